from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = _("Government information disclosure")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (publishes decisions as they are made)
