"""What the government publishes: notices and documents, and the register of permit decisions."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from approvals.calendar import official_date
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
    # A draft put out for public comment (征求意见稿) and, once the period has closed, the
    # department's account of what it adopted (意见采纳情况): disclosure/consultations.py.
    CONSULTATION = "consultation", _("Draft for public comment")
    FEEDBACK_REPORT = "feedback_report", _("Feedback report on a consultation")


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
        if self.number and self.kind == self.Kind.CONSULTATION:
            # Its page carries the comment form and the comments, under the same number.
            return reverse("disclosure:consultation", args=[self.number])
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
    # The GB/T 2260 code of the region whose implementation decided the case, copied rather
    # than joined: the register filters a city with its districts by the code's leading digits.
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
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
        indexes = [
            # A region's register, newest first; a prefix (LIKE '3401%') uses it too.
            models.Index(
                fields=["region_code", "-decided_at"],
                name="decision_region_decided",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
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


# --- public consultation on drafts (征求意见) -----------------------------------------------------


class Consultation(models.Model):
    """A draft put out for public comment: a publication with a comment period and a feedback
    deadline that the sweeper watches.

    The draft's text, attachments, approval by a second person, permanent number, search, feeds
    and withdrawal are its publication's (kind "consultation"). Added here: when comments are
    accepted, who is consulted, the questions asked, and the feedback report (意见采纳情况) due
    a number of working days after closing, escalated to the department's heads when it is late
    (disclosure/consultations.py).
    """

    class Phase(models.TextChoices):
        UPCOMING = "upcoming", _("Not open yet")
        OPEN = "open", _("Open for comment")
        CLOSED = "closed", _("Closed")

    publication = models.OneToOneField(
        Publication,
        verbose_name=_("draft for comment"),
        on_delete=models.PROTECT,
        related_name="consultation",
    )
    scope = models.CharField(
        _("who is consulted"),
        max_length=500,
        help_text=_("Published with the draft, e.g. “residents and enterprises of the city”."),
    )
    opens_at = models.DateTimeField(_("comments open"))
    closes_at = models.DateTimeField(_("comments close"))
    # Interim Regulations on Major Administrative Decision-making Procedures Art. 14: a period
    # shorter than 30 days must be explained when the draft is published.
    shortened_reason = models.TextField(_("why the period is shorter"), blank=True)
    report_limit_days = models.PositiveSmallIntegerField(
        _("working days for the feedback report"),
        help_text=_("Counted from the day after comments close."),
    )
    report_due_at = models.DateTimeField(_("feedback report due"))
    report = models.OneToOneField(
        Publication,
        verbose_name=_("feedback report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_consultation",
    )
    adopted_count = models.PositiveIntegerField(
        _("comments adopted (fully or in part)"), null=True, blank=True
    )
    report_published_at = models.DateTimeField(
        _("feedback report published"), null=True, blank=True
    )
    # Set once by the sweeper: the department was told that comments closed (and by when the
    # report is due), and, if the report is late, its heads were told.
    closing_noticed_at = models.DateTimeField(null=True, blank=True, editable=False)
    report_escalated_at = models.DateTimeField(
        _("late feedback report escalated"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-closes_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="consultation_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(report_due_at__gt=models.F("closes_at")),
                name="consultation_report_due_after_closing",
            ),
            models.CheckConstraint(
                condition=models.Q(report_limit_days__gte=1),
                name="consultation_report_limit_at_least_one_day",
            ),
            models.CheckConstraint(
                condition=models.Q(report_published_at__isnull=True)
                | models.Q(report__isnull=False),
                name="consultation_published_report_exists",
            ),
        ]
        indexes = [
            # The sweeper reads only consultations still owing their report, so its cost follows
            # the number of late reports, not of consultations ever held.
            models.Index(
                fields=["report_due_at"],
                condition=models.Q(
                    report_published_at__isnull=True, report_escalated_at__isnull=True
                ),
                name="consultation_report_awaited",
            ),
            models.Index(
                fields=["closes_at"],
                condition=models.Q(closing_noticed_at__isnull=True),
                name="consultation_closing_unnoticed",
            ),
        ]

    def __str__(self) -> str:
        return str(self.publication)

    def get_absolute_url(self) -> str:
        return self.publication.get_absolute_url()

    def phase(self, now=None) -> str:
        return phase_between(self.opens_at, self.closes_at, now)

    @property
    def current_phase(self) -> str:
        return self.phase()

    @property
    def period_days(self) -> int:
        """Calendar days from the opening day to the closing day, both counted."""
        return (official_date(self.closes_at) - official_date(self.opens_at)).days + 1

    @property
    def report_is_late(self) -> bool:
        return self.report_published_at is None and self.report_due_at < timezone.now()


def phase_between(opens_at, closes_at, now=None) -> str:
    """Not open yet, open (the closing moment included), or closed, at `now`."""
    now = now or timezone.now()
    if now < opens_at:
        return Consultation.Phase.UPCOMING
    if now <= closes_at:
        return Consultation.Phase.OPEN
    return Consultation.Phase.CLOSED


class ConsultationQuestion(models.Model):
    """A question the department asks about its draft; answering it is optional."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("question"), max_length=500)

    class Meta:
        verbose_name = _("question of a consultation")
        verbose_name_plural = _("questions of consultations")
        ordering = ["consultation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "order"], name="one_question_per_place")
        ]

    def __str__(self) -> str:
        return self.text


class CommentState(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", pgettext_lazy("comment state", "Published")
    REJECTED = "rejected", _("Not published")


class ConsultationComment(models.Model):
    """A citizen's or an enterprise's comment on a draft; public only once a moderator lets it.

    The name the public sees is written when the comment is made, masked as the decision
    register masks it (张三 → 张*, an enterprise by its name); the published text is a copy
    written at moderation with any identifier in it masked (disclosure/masking.py). The comment
    as written is only ever shown to its author and to the department.
    """

    State = CommentState

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="consultation_comments",
    )
    author_display = models.CharField(_("name as published"), max_length=200)
    body = models.TextField(_("comment"))
    public_body = models.TextField(_("comment as published"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    rejection_reason = models.TextField(_("why it is not published"), blank=True)

    class Meta:
        verbose_name = _("comment on a consultation")
        verbose_name_plural = _("comments on consultations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=CommentState.values),
                name="consultation_comment_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending")
                | models.Q(moderated_by__isnull=False, moderated_at__isnull=False),
                name="moderated_comment_has_moderator",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(rejection_reason=""),
                name="rejected_comment_has_reason",
            ),
        ]
        indexes = [
            # A consultation's public comments, newest first, a page at a time off the index.
            models.Index(
                F("consultation"),
                F("created_at").desc(),
                F("id").desc(),
                condition=models.Q(state="published"),
                name="consultation_public_comments",
            ),
            models.Index(
                fields=["consultation", "created_at"],
                condition=models.Q(state="pending"),
                name="consultation_comments_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_display} · {self.consultation}"


class ConsultationAnswer(models.Model):
    """A comment's answer to one of the consultation's questions."""

    comment = models.ForeignKey(
        ConsultationComment, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        ConsultationQuestion, on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField(_("answer"))
    public_text = models.TextField(_("answer as published"), blank=True)

    class Meta:
        verbose_name = _("answer to a question of a consultation")
        verbose_name_plural = _("answers to questions of consultations")
        ordering = ["question__order"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return self.text[:50]


# --- letters to the government (政民互动) -------------------------------------------------------


class PublishedLetter(models.Model):
    """A letter and its answers as the public sees them, published with the writer's consent.

    Written (and rewritten after a second answer) when the letter is answered, with personal
    data already masked, as the decision register is: this table never holds more than what
    may be shown (disclosure/letters.py).
    """

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="published_letter"
    )
    tracking_number = models.CharField(_("tracking number"), max_length=32, unique=True)
    kind = models.CharField(_("kind of letter"), max_length=16)
    topic = models.CharField(_("topic"), max_length=200)
    body = models.TextField(_("letter"))
    writer_display = models.CharField(_("writer"), max_length=200)
    # [{"department": …, "department_en": …, "answer": …, "answered_at": iso, "round": 1|2}]
    answers = models.JSONField(_("answers"), default=list)
    written_at = models.DateTimeField(_("written"))
    answered_at = models.DateTimeField(_("answered"), db_index=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("published letter")
        verbose_name_plural = _("published letters")
        ordering = ["-answered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.tracking_number} · {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("disclosure:letter", args=[self.tracking_number])
