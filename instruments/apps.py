from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "instruments"
    verbose_name = _("Written instruments")

    def ready(self) -> None:
        from services.once_only import register_certificate_source

        from . import checks, receivers  # noqa: F401  (system checks; the timeline's hook)
        from .reuse import IssuedCertificates

        # Filing offers the applicant's e-certificates in place of a copy (issue 18 §8).
        register_certificate_source(IssuedCertificates())
