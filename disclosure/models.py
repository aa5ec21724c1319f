"""What the government publishes: notices and documents, and the register of permit decisions."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.models import Application, ServiceItem


class PublicationQuerySet(models.QuerySet):
    def public(self) -> "PublicationQuerySet":
        """What anyone may read: graded public AND published (not a draft, not withdrawn).

        The only door through which public pages, feeds, the sitemap, search and the API read
        publications (disclosure/selectors.py): grading (分级管理) is enforced in one place.
        """
        return self.filter(
            classification=Publication.Classification.PUBLIC,
            state=Publication.State.PUBLISHED,
        )


class PublicationKind(models.TextChoices):
    DOCUMENT = "document", _("Policy document")
    NOTICE = "notice", _("Notice or announcement")
    PERMIT_DECISION = "decision", _("Permit decision")
    STATISTICS = "statistics", _("Statistics")
    ANNUAL_REPORT = "annual_report", _("Annual report")
    REQUEST_ANSWER = "request_answer", _("Answer to a disclosure request")


class PublicationClassification(models.TextChoices):
    # Regulations on the Disclosure of Government Information Art. 13-16 and 19-20.
    PUBLIC = "public", _("Public (proactively disclosed)")
    ON_REQUEST = "on_request", _("Disclosed on request only")
    INTERNAL = "internal", _("Internal")
    CONFIDENTIAL = "confidential", _("Confidential")


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft, awaiting approval")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Publication(models.Model):
    """A piece of government information the government discloses of its own motion (主动公开).

    Drafted by a civil servant of the department, approved by a second one (never the author),
    then published under a permanent number. Withdrawal keeps the row, its number and the reason,
    so a permalink that once worked says why it no longer shows the text.
    """

    Kind = PublicationKind
    Classification = PublicationClassification
    State = PublicationState

    number = models.CharField(
        _("publication number"), max_length=24, unique=True, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    classification = models.CharField(
        _("classification"),
        max_length=16,
        choices=Classification.choices,
        default=Classification.PUBLIC,
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
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
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The disclosure request this publication answers, if any (never shown: it names a person).
    answers_application = models.ForeignKey(
        Application,
        verbose_name=_("answers the disclosure request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    # Character bigrams of the Chinese text (config 'simple') and stemmed English words
    # (config 'english'); written by save() through disclosure.search.index_publication.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PublicationKind.values),
                name="publication_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(classification__in=PublicationClassification.values),
                name="publication_classification_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=PublicationState.values),
                name="publication_state_valid",
            ),
            # The four-eyes rule, as the last guard: whoever approves did not write it.
            models.CheckConstraint(
                condition=models.Q(state="draft")
                | (
                    models.Q(approved_by__isnull=False)
                    & models.Q(published_at__isnull=False)
                    & models.Q(number__isnull=False)
                    & ~models.Q(approved_by=models.F("author"))
                ),
                name="published_publication_approved_by_a_second_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="withdrawn")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdrawal_reason="")),
                name="withdrawn_publication_has_reason",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="publication_search"),
            models.Index(
                fields=["kind", "-published_at"],
                condition=models.Q(state="published", classification="public"),
                name="public_publication_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        from .search import index_publication

        index_publication(self)

    def get_absolute_url(self) -> str:
        if self.number:
            return reverse("disclosure:publication", args=[self.number])
        return reverse("disclosure:draft", args=[self.pk])


def publication_attachment_path(instance: "PublicationAttachment", filename: str) -> str:
    return f"publications/{instance.publication_id}/{instance.storage_name}"


class PublicationAttachment(models.Model):
    """A file published with a publication; checked like an applicant's material on upload."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=publication_attachment_path, max_length=255)
    storage_name = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment of a publication")
        verbose_name_plural = _("attachments of publications")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("disclosure:publication_attachment", args=[self.publication.number, self.pk])


class CatalogueSearchEntry(models.Model):
    """The search index of one published service item (its guide), kept by disclosure.search."""

    item = models.OneToOneField(ServiceItem, on_delete=models.CASCADE, related_name="search_entry")
    search_vector = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("catalogue search entry")
        verbose_name_plural = _("catalogue search entries")
        indexes = [GinIndex(fields=["search_vector"], name="catalogue_search")]

    def __str__(self) -> str:
        return str(self.item)


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DecisionRecord(models.Model):
    """A permit decision as the public sees it (Administrative License Law Art. 40).

    Written once, when the application is decided, with personal data already masked: the
    register never holds more than what may be shown.
    """

    Outcome = DecisionOutcome

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
                condition=models.Q(outcome__in=DecisionOutcome.values),
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
