"""Written instruments (文书): every legal event of a case as one numbered, signed PDF.

An instrument is written once, after the event's transaction committed, and never changed: a
database trigger (migration 0001) refuses any UPDATE of its number, content or signature, and
any DELETE. Only its revocation may be recorded later.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.models import Application, ApplicationEvent, ServiceItem


class Kind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Acceptance notice")
    NON_ACCEPTANCE = "non_acceptance", _("Decision not to accept")
    SUPPLEMENT = "supplement", _("Notice to supplement materials")
    APPROVAL = "approval", _("Decision granting the licence")
    REFUSAL = "refusal", _("Decision refusing the licence")
    EXTENSION = "extension", _("Notice of extension")
    DISCLOSURE_ANSWER = "disclosure_answer", _("Answer to a disclosure request")
    CERTIFICATE = "certificate", _("E-certificate")


class IssuingOffice(models.Model):
    """What a department's instruments say of it: the prefix of their numbers, where to appeal."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="issuing_office",
    )
    number_prefix = models.CharField(
        _("prefix of the instrument numbers"),
        max_length=16,
        help_text=_(
            "The department's abbreviation, e.g. 合市监许 gives 合市监许〔2026〕第000123号."
        ),
    )
    reconsideration_body = models.CharField(
        _("reconsideration body"),
        max_length=128,
        default="合肥市人民政府",
        help_text=_(
            "Where an applicant applies for administrative reconsideration "
            "(Administrative Reconsideration Law 2023 Art. 24)."
        ),
    )
    reconsideration_body_en = models.CharField(
        _("reconsideration body in English"),
        max_length=128,
        blank=True,
        default="Hefei Municipal People's Government",
    )
    court = models.CharField(
        _("court"),
        max_length=128,
        default="有管辖权的人民法院",
        help_text=_("Where an applicant brings an administrative lawsuit."),
    )
    court_en = models.CharField(
        _("court in English"), max_length=128, blank=True, default="the competent people's court"
    )

    class Meta:
        verbose_name = _("issuing office")
        verbose_name_plural = _("issuing offices")

    def __str__(self) -> str:
        return f"{self.department} ({self.number_prefix})"


class NumberCounter(models.Model):
    """The last number a department issued in a year; locked while the next one is issued."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year"], name="one_instrument_counter_per_department_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.year}: {self.last}"


class InstrumentTemplate(models.Model):
    """The text of one kind of instrument, edited by administrators; an item may have its own.

    The body is a Django template restricted to the placeholders in instruments/wording.py,
    checked when it is saved (never at generation time).
    """

    kind = models.CharField(_("instrument"), max_length=24, choices=Kind.choices)
    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("only for the item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: every item without a template of its own."),
    )
    body = models.TextField(
        _("text (Chinese, authoritative)"),
        help_text=_(
            "Paragraphs separated by an empty line; placeholders such as "
            "{{ party.name }} or {{ appeal.reconsideration_until }}."
        ),
    )
    body_en = models.TextField(
        _("English rendering"),
        blank=True,
        help_text=_("Added for applicants who chose English. Empty: none."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("instrument template")
        verbose_name_plural = _("instrument templates")
        ordering = ["kind", "item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(item__isnull=True),
                name="one_default_template_per_kind",
            ),
            models.UniqueConstraint(fields=["kind", "item"], name="one_template_per_kind_and_item"),
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="instrument_template_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        label = Kind(self.kind).label
        return f"{label} · {self.item.name}" if self.item_id else str(label)

    def clean(self) -> None:
        """Refused at save, naming the line and the placeholder (never at generation time)."""
        from django.core.exceptions import ValidationError

        from .wording import check_template

        errors = {}
        for field in ("body", "body_en"):
            text = getattr(self, field)
            if field == "body_en" and not text.strip():
                continue
            try:
                check_template(text)
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)


class Instrument(models.Model):
    """One signed PDF, issued for one legal event of one case."""

    Kind = Kind

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    event = models.ForeignKey(
        ApplicationEvent,
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    kind = models.CharField(_("instrument"), max_length=24, choices=Kind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial number"))
    number = models.CharField(_("number"), max_length=64, unique=True)
    # Printed in the PDF's metadata: finds the instrument a changed copy claims to be.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dated = models.DateField(_("dated"))
    issued_at = models.DateTimeField(_("issued"))
    languages = models.CharField(_("languages"), max_length=16, default="zh-hans")
    key_id = models.CharField(_("signing key"), max_length=32)
    pdf = models.BinaryField(_("signed PDF"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, unique=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Refusals and non-acceptances: the last days to appeal, as the instrument states them.
    reconsideration_until = models.DateField(_("reconsideration until"), null=True, blank=True)
    lawsuit_until = models.DateField(_("lawsuit until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason of the revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("written instrument")
        verbose_name_plural = _("written instruments")
        ordering = ["issued_at", "id"]
        permissions = [("revoke_instrument", _("Can revoke written instruments"))]
        constraints = [
            # A rerun of the generating task, or two workers at once, find the same document.
            models.UniqueConstraint(
                fields=["application", "kind", "event"], name="one_instrument_per_event_and_kind"
            ),
            # Numbers run per issuing department and year without duplicates.
            models.UniqueConstraint(
                fields=["department", "year", "serial"], name="unique_instrument_serial"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="instrument_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revoked_reason=""),
                name="revoked_instrument_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("instrument_download", args=[self.application_id, self.pk])

    @property
    def audit_department_id(self) -> int | None:
        return self.application.audit_department_id

    @property
    def filename(self) -> str:
        return f"{self.application.tracking_number}-{self.kind}-{self.serial:06d}.pdf"
