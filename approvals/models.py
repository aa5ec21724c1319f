"""Review tasks: one per department per stage of an application, each with its own deadline;
and the e-certificate an approved application ends with."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.definitions import ACCEPTANCE_ORDER
from services.models import Application, ServiceItem, TimeoutPolicy

# Stage 0 is acceptance (受理) by the service centre; review stages count from 1.
ACCEPTANCE_STAGE = ACCEPTANCE_ORDER


class ReviewTaskState(models.TextChoices):
    PENDING = "pending", _("Under review")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Waiting for supplements")
    APPROVED = "approved", _("Approved")
    DEEMED_APPROVED = "deemed_approved", _("Deemed approved (no response in time)")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Closed without decision")


class ReviewTask(models.Model):
    State = ReviewTaskState

    # Which state may follow which, and the one function that changes it: approvals/task_states.py.
    OPEN_STATES = (State.PENDING, State.SUPPLEMENT_REQUESTED)
    APPROVED_STATES = (State.APPROVED, State.DEEMED_APPROVED)
    DECIDED_STATES = (State.APPROVED, State.DEEMED_APPROVED, State.REJECTED)

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="review_tasks",
    )
    stage_order = models.PositiveSmallIntegerField(_("stage"))
    stage_name = models.CharField(_("stage name"), max_length=128)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="review_tasks",
    )
    state = models.CharField(
        _("state"), max_length=24, choices=State.choices, default=State.PENDING
    )
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    timeout_policy = models.CharField(
        _("when the deadline passes"),
        max_length=24,
        choices=TimeoutPolicy.choices,
        default=TimeoutPolicy.DEEMED_APPROVAL,
    )
    due_at = models.DateTimeField(_("deadline"))
    reminder_days = models.PositiveSmallIntegerField(
        _("remind staff (working days before the deadline)"), default=2
    )
    remind_at = models.DateTimeField(_("reminder due"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the head"), null=True, blank=True)
    # Mirrors the open ClockStop so the sweeper's partial index can leave stopped tasks out.
    clock_stopped_at = models.DateTimeField(_("clock stopped"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    # Raised by PostgreSQL in the transaction of every change to the task, its clock stops and
    # its extension (migration 0081): the key of the task's row on the queue page.
    page_version = models.BigIntegerField(
        _("page version"), default=0, db_default=0, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # The reviewer working on the task, so two colleagues do not read the same case twice.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # The claimant's last action on the task; a claim idle for CLAIM_LAPSE_WORKING_HOURS
    # working hours lapses back to the queue (approvals/substitutes.py, lapse_idle_claims).
    claim_active_at = models.DateTimeField(_("last worked on"), null=True, blank=True)
    # A substitute's decision (代理审批): decided_by decided for this absent reviewer.
    decided_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")
        ordering = ["due_at", "id"]
        constraints = [
            # Routing twice, or two workers routing at once, cannot create a task twice.
            models.UniqueConstraint(
                fields=["application", "stage_order", "department"],
                name="one_task_per_department_per_stage",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ReviewTaskState.values),
                name="review_task_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    state__in=[
                        ReviewTaskState.APPROVED,
                        ReviewTaskState.DEEMED_APPROVED,
                        ReviewTaskState.REJECTED,
                    ]
                )
                | models.Q(decided_at__isnull=False),
                name="decided_task_has_decision_time",
            ),
            models.CheckConstraint(
                condition=models.Q(timeout_policy__in=TimeoutPolicy.values),
                name="review_task_timeout_policy_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(claimed_by__isnull=True, claimed_at__isnull=True)
                | models.Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="claimed_task_has_claim_time",
            ),
            models.CheckConstraint(
                condition=models.Q(claimed_by__isnull=True, claim_active_at__isnull=True)
                | models.Q(claimed_by__isnull=False, claim_active_at__isnull=False),
                name="claimed_task_has_activity_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="review_task_state_due"),
            models.Index(fields=["department", "state", "due_at"], name="review_task_queue"),
            # A department's open tasks in the queue's order (approvals.queues.queue_for): the
            # first page is read off the index, whatever the number of open tasks.
            models.Index(
                F("department"),
                F("clock_stopped_at").asc(nulls_first=True),
                F("due_at"),
                F("id"),
                condition=models.Q(
                    state__in=[ReviewTaskState.PENDING, ReviewTaskState.SUPPLEMENT_REQUESTED]
                ),
                name="review_task_open_queue",
            ),
            # The sweeper reads only the tasks whose clock runs and whose policy is not yet
            # applied, so its cost follows the number of due tasks, not of open ones.
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    state=ReviewTaskState.PENDING,
                    clock_stopped_at__isnull=True,
                    escalated_at__isnull=True,
                ),
                name="review_task_awaiting_timeout",
            ),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(
                    state=ReviewTaskState.PENDING,
                    clock_stopped_at__isnull=True,
                    reminded_at__isnull=True,
                ),
                name="review_task_awaiting_reminder",
            ),
            # The sweeper's lapse of idle claims reads only claimed tasks whose clock runs.
            models.Index(
                fields=["claim_active_at"],
                condition=models.Q(
                    state="pending", clock_stopped_at__isnull=True, claimed_by__isnull=False
                ),
                name="review_task_claim_idle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.tracking_number} · {self.department}"

    @property
    def audit_department_id(self) -> int | None:
        # The case's chain, not the reviewing department's: a decision also writes the case's
        # timeline, and one transaction then locks one chain.
        return self.application.audit_department_id

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_acceptance(self) -> bool:
        return self.stage_order == ACCEPTANCE_STAGE

    @property
    def stage_name_en(self) -> str:
        """The stage's English name, as the case's frozen definition has it ("" if none)."""
        try:
            return self.application.definition.stage(self.stage_order).name_en
        except LookupError:
            return ""

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.is_open and self.clock_stopped_at is None and self.due_at < timezone.now()


class ClockStopReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Waiting for the applicant's supplements")
    HEARING = "hearing", _("Hearing")
    INSPECTION = "inspection", _("On-site inspection")
    EXPERT_REVIEW = "expert_review", _("Expert review")


class ClockStop(models.Model):
    """Time that does not count against a deadline (Administrative License Law Art. 45)."""

    Reason = ClockStopReason

    task = models.ForeignKey(ReviewTask, on_delete=models.PROTECT, related_name="clock_stops")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    started_at = models.DateTimeField(_("since"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    stopped_working_days = models.PositiveSmallIntegerField(_("working days stopped"), null=True)

    class Meta:
        verbose_name = _("clock stop")
        verbose_name_plural = _("clock stops")
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(ended_at__isnull=True),
                name="one_running_clock_stop_per_task",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=ClockStopReason.values),
                name="clock_stop_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.get_reason_display()}"


class ExtensionState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the head's approval")
    APPROVED = "approved", _("Extension granted")
    REFUSED = "refused", _("Extension refused")


class Extension(models.Model):
    """One extension per task (Administrative License Law Art. 42), approved by the head."""

    State = ExtensionState

    # One-to-one: a task is extended at most once, whatever the outcome of the request.
    task = models.OneToOneField(ReviewTask, on_delete=models.PROTECT, related_name="extension")
    working_days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("head's note"), blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_days__gte=1), name="extension_at_least_one_day"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ExtensionState.values),
                name="extension_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · +{self.working_days}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    MAKEUP_WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday, or a make-up working day (调休).

    Seeded from the `holidays` package for the current and next year; administrators correct
    it when the State Council publishes the year's arrangement.
    """

    Kind = CalendarDayKind

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CalendarDayKind.values), name="calendar_day_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class CalendarVersion(models.Model):
    """The one row saying which calendar the database holds (approvals/calendar.py).

    A trigger on the calendar's table (migration 0010) gives it a new random token in the same
    transaction as any change to the days, whatever makes it: the admin, the seeding task's
    bulk insert, an UPDATE by hand. A process keeps the calendar it read under the token it
    read first, and reads the days again when the token differs.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    token = models.UUIDField(_("version"), editable=False)
    # The version whose deadlines are in force: a recount (approvals/recount.py) sets it to
    # `token` once every open deadline has been counted on that calendar.
    deadlines_token = models.UUIDField(_("deadlines counted on"), null=True, editable=False)

    class Meta:
        verbose_name = _("calendar version")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="calendar_version_single_row")
        ]

    def __str__(self) -> str:
        return str(self.token)


class CertificateHolderKind(models.TextChoices):
    NATURAL_PERSON = "natural_person", _("Natural person")
    ENTERPRISE = "enterprise", _("Enterprise or organisation")


class Certificate(models.Model):
    """The e-certificate (电子证照) of an approved application, signed with Ed25519.

    Every field printed on the certificate is part of the signed payload
    (`approvals.certificates.certificate_payload`): a row edited in the database no longer
    verifies. Revocation is not signed; it is a fact the portal records and publishes.
    """

    HolderKind = CertificateHolderKind

    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    holder_kind = models.CharField(_("holder kind"), max_length=16, choices=HolderKind.choices)
    holder_name = models.CharField(_("holder"), max_length=128)
    # A natural person's resident ID number is only ever stored here masked (first 6, last 4).
    holder_identifier = models.CharField(_("holder's identifier"), max_length=32, blank=True)
    item_code = models.CharField(_("item code"), max_length=32)
    item_name = models.CharField(_("service item"), max_length=128)
    item_name_en = models.CharField(_("English name of the item"), max_length=128, blank=True)
    scope = models.TextField(_("scope"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    issuing_departments = models.TextField(_("issuing departments"))
    issued_at = models.DateTimeField(_("issued"))
    key_id = models.CharField(_("signing key"), max_length=32)
    signature = models.CharField(_("signature (Ed25519, base64)"), max_length=128)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("e-certificate")
        verbose_name_plural = _("e-certificates")
        ordering = ["-issued_at"]
        permissions = [("revoke_certificate", _("Can revoke e-certificates"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revoked_reason=""),
                name="revoked_certificate_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(holder_kind__in=CertificateHolderKind.values),
                name="certificate_holder_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="certificate_valid_until_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.item_name} · {self.holder_name}"

    def get_absolute_url(self) -> str:
        return reverse("disclosure:certificate", args=[self.number])

    @property
    def is_natural_person(self) -> bool:
        return self.holder_kind == self.HolderKind.NATURAL_PERSON

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_item_name(self) -> str:
        if (get_language() or "").startswith("en") and self.item_name_en:
            return self.item_name_en
        return self.item_name


class CommonOpinionOutcome(models.TextChoices):
    # The reviewer's outcomes (approvals.task_states.Outcome.BY_REVIEWER), repeated: models
    # cannot import task_states, which imports them; tests/test_task_states.py checks they agree.
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_SUPPLEMENT = "request_supplement", _("Request supplements")


class CommonOpinion(models.Model):
    """A department's stock wording for an outcome (常用意见), offered on the decision form.

    Reviewers write the same few opinions again and again ("材料齐全，符合法定条件，同意。");
    picking one keeps the department's wording consistent and saves typing. The department's
    heads keep the list in the Django admin; the reviewer may still edit the text before deciding.
    An opinion scoped to items is offered only on those items' tasks: the police's wording for a
    company seal must never reach a residence-permit applicant. No items means every item.
    """

    Outcome = CommonOpinionOutcome

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="common_opinions",
    )
    outcome = models.CharField(_("decision"), max_length=24, choices=Outcome.choices)
    title = models.CharField(
        _("short name"), max_length=80, help_text=_("What the reviewer picks from the list.")
    )
    text = models.TextField(_("opinion"), max_length=4000)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    items = models.ManyToManyField(
        ServiceItem,
        verbose_name=_("service items"),
        blank=True,
        related_name="common_opinions",
        help_text=_(
            "Offered only on these items' tasks. Leave empty to offer it on every item the "
            "department reviews."
        ),
    )

    class Meta:
        verbose_name = _("common opinion")
        verbose_name_plural = _("common opinions")
        ordering = ["department", "outcome", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=CommonOpinionOutcome.values),
                name="common_opinion_outcome_valid",
            ),
            models.UniqueConstraint(
                fields=["department", "outcome", "title"], name="one_common_opinion_per_title"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_outcome_display()} · {self.title}"


class Substitution(models.Model):
    """Leave cover (代理审批): while `reviewer` is away, `substitute` decides their claimed tasks.

    Named by a head of the department, for a range of dates (both days included), between two
    reviewers of that department only: the substitute is already in the department's reviewers group
    (approvals/permissions.py: it decides the department's tasks), and the substitution lifts the one thing that stops them, the
    absent reviewer's claim. A head may end it early; it is never deleted.
    """

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("absent reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("substitute"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (included)"))
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("named"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("substitution")
        verbose_name_plural = _("substitutions")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=F("starts_on")),
                name="substitution_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(substitute=F("reviewer")),
                name="substitution_not_for_oneself",
            ),
        ]
        indexes = [
            models.Index(fields=["substitute", "ends_on"], name="substitution_by_substitute"),
        ]

    def __str__(self) -> str:
        return f"{self.substitute} → {self.reviewer} · {self.starts_on}–{self.ends_on}"
