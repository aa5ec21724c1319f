from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Virtual government")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to filing's signals)
