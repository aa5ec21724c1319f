"""What the government publishes: notices and documents, and the register of permit decisions."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.models import Application


class Publication(models.Model):
    class Kind(models.TextChoices):
        NOTICE = "notice", _("Notice or announcement")
        DOCUMENT = "document", _("Policy document")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="publications",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["notice", "document"]), name="publication_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("disclosure:publication", args=[self.pk])


class DecisionRecord(models.Model):
    """A permit decision as the public sees it (Administrative License Law Art. 40).

    Written once, when the application is decided, with personal data already masked: the
    register never holds more than what may be shown.
    """

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="decision_record"
    )
    tracking_number = models.CharField(_("tracking number"), max_length=32, unique=True)
    item_code = models.CharField(_("item code"), max_length=32)
    item_name = models.CharField(_("service item"), max_length=128)
    item_name_en = models.CharField(max_length=128, blank=True)
    applicant_display = models.CharField(_("applicant"), max_length=200)
    outcome = models.CharField(_("decision"), max_length=16, choices=Outcome.choices)
    departments = models.CharField(_("deciding departments"), max_length=500)
    deemed_approved_by = models.CharField(
        _("deemed approved (no response in time)"), max_length=500, blank=True
    )
    decided_at = models.DateTimeField(_("decided"), db_index=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("published decision")
        verbose_name_plural = _("published decisions")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["approved", "rejected"]),
                name="decision_outcome_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} · {self.item_name} · {self.get_outcome_display()}"

    def get_absolute_url(self) -> str:
        return reverse("disclosure:decision", args=[self.tracking_number])

    @property
    def display_item_name(self) -> str:
        if (get_language() or "").startswith("en") and self.item_name_en:
            return self.item_name_en
        return self.item_name
