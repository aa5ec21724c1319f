"""Review tasks: one per department per stage of an application, each with its own deadline."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.models import Application


class ReviewTask(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Under review")
        SUPPLEMENT_REQUESTED = "supplement_requested", _("Waiting for supplements")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Closed without decision")

    OPEN_STATES = (State.PENDING, State.SUPPLEMENT_REQUESTED)
    DONE_STATES = (State.APPROVED, State.REJECTED)

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
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (days)"))
    due_at = models.DateTimeField(_("deadline"))
    clock_stopped_at = models.DateTimeField(_("clock stopped"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
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
                condition=models.Q(
                    state__in=[
                        "pending",
                        "supplement_requested",
                        "approved",
                        "rejected",
                        "cancelled",
                    ]
                ),
                name="review_task_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["approved", "rejected"])
                | models.Q(decided_at__isnull=False),
                name="decided_task_has_decision_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="review_task_state_due"),
            models.Index(fields=["department", "state", "due_at"], name="review_task_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.application.tracking_number} · {self.department}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday, or a make-up working day (调休).

    Seeded from the `holidays` package for the current and next year; administrators correct
    it when the State Council publishes the year's arrangement.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday (no work)")
        MAKEUP_WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]), name="calendar_day_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()
