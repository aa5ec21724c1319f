from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "instruments"
    verbose_name = _("Written instruments")

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (system checks; the timeline's hook)
