"""Decisions of departments, and the join that turns them into the application's outcome.

Every decision locks the application row first, then the task: decisions on one application
are serialised, so two reviewers deciding at the same moment yield exactly one decision, and
the last two departments of a stage cannot both miss that the stage is complete.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from services.lifecycle import change_status, record_event
from services.models import Application, ApplicationEvent

from .deadlines import resumed_deadline
from .models import ReviewTask
from .routing import next_stage_order, open_stage, record_stage_opened
from .signals import application_decided

Status = Application.Status
Event = ApplicationEvent.Kind
State = ReviewTask.State


class Outcome:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_SUPPLEMENT = "request_supplement"
    ALL = (APPROVE, REJECT, REQUEST_SUPPLEMENT)


class AlreadyDecided(ValidationError):
    pass


def can_review(user, task: ReviewTask) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and Membership.objects.filter(
            user=user,
            department_id=task.department_id,
            role__in=[Membership.Role.REVIEWER, Membership.Role.HEAD],
        ).exists()
    )


def _lock(task_id: int) -> tuple[Application, ReviewTask]:
    application_id = ReviewTask.objects.values_list("application_id", flat=True).get(pk=task_id)
    application = Application.objects.select_for_update().get(pk=application_id)
    task = ReviewTask.objects.select_for_update().select_related("department").get(pk=task_id)
    return application, task


@transaction.atomic
def decide(task_id: int, reviewer, outcome: str, opinion: str = "") -> ReviewTask:
    """Record one department's decision on a task and advance the case."""
    if outcome not in Outcome.ALL:
        raise ValidationError(_("Choose approve, reject or request supplements."))
    opinion = opinion.strip()
    if outcome != Outcome.APPROVE and not opinion:
        raise ValidationError(
            {"opinion": _("Give your reasons: the applicant reads them.")}
            if outcome == Outcome.REJECT
            else {"opinion": _("List every missing or defective material at once.")}
        )
    application, task = _lock(task_id)
    if not can_review(reviewer, task):
        raise PermissionDenied(_("You do not review for this department."))
    if outcome == Outcome.REQUEST_SUPPLEMENT:
        if task.state != State.PENDING:
            raise AlreadyDecided(
                _("This task has already been decided or is waiting for supplements.")
            )
        _request_supplement(application, task, reviewer, opinion)
        return task
    if task.state not in ReviewTask.OPEN_STATES:
        raise AlreadyDecided(_("This task has already been decided."))
    now = timezone.now()
    task.state = State.APPROVED if outcome == Outcome.APPROVE else State.REJECTED
    task.opinion, task.decided_by, task.decided_at, task.clock_stopped_at = (
        opinion,
        reviewer,
        now,
        None,
    )
    task.save(update_fields=["state", "opinion", "decided_by", "decided_at", "clock_stopped_at"])
    record_event(
        application,
        Event.APPROVED_BY_DEPARTMENT
        if outcome == Outcome.APPROVE
        else Event.REJECTED_BY_DEPARTMENT,
        actor=reviewer,
        department=task.department,
        note=opinion,
    )
    join_stage(application)
    return task


def _request_supplement(application: Application, task: ReviewTask, reviewer, opinion: str) -> None:
    task.state, task.opinion, task.clock_stopped_at = (
        State.SUPPLEMENT_REQUESTED,
        opinion,
        timezone.now(),
    )
    task.save(update_fields=["state", "opinion", "clock_stopped_at"])
    if application.status == Status.IN_REVIEW:
        change_status(
            application,
            Status.SUPPLEMENT_REQUESTED,
            event=Event.SUPPLEMENT_REQUESTED,
            actor=reviewer,
            department=task.department,
            note=opinion,
            clock_stopped_at=task.clock_stopped_at,
        )
    else:  # Another department asked first; this request joins it.
        record_event(
            application,
            Event.SUPPLEMENT_REQUESTED,
            actor=reviewer,
            department=task.department,
            note=opinion,
        )


def resume_after_supplement(application: Application) -> list[ReviewTask]:
    """The applicant answered: the waiting tasks continue, their deadlines moved by the stop."""
    now = timezone.now()
    tasks = list(
        ReviewTask.objects.select_for_update().filter(
            application=application, state=State.SUPPLEMENT_REQUESTED
        )
    )
    for task in tasks:
        task.due_at = resumed_deadline(task.due_at, task.clock_stopped_at or now, now)
        task.state, task.clock_stopped_at = State.PENDING, None
    ReviewTask.objects.bulk_update(tasks, ["due_at", "state", "clock_stopped_at"])
    if application.clock_stopped_at and application.due_at:
        application.due_at = resumed_deadline(application.due_at, application.clock_stopped_at, now)
        application.clock_stopped_at = None
        application.save(update_fields=["due_at", "clock_stopped_at"])
    return tasks


def join_stage(application: Application) -> None:
    """Advance the case once every department of its current stage has an outcome."""
    stage_tasks = list(
        ReviewTask.objects.filter(
            application=application, stage_order=application.current_stage
        ).select_related("department")
    )
    rejected = [t for t in stage_tasks if t.state == State.REJECTED]
    ends_on_rejection = application.definition["item"]["rejection_ends_case"]
    if rejected and ends_on_rejection:
        ReviewTask.objects.filter(application=application, state__in=ReviewTask.OPEN_STATES).update(
            state=State.CANCELLED
        )
        _finish(application, Status.REJECTED, rejected)
        return
    if any(t.is_open for t in stage_tasks):
        return
    following = next_stage_order(application, application.current_stage)
    if following is not None:
        Application.objects.filter(pk=application.pk).update(current_stage=following)
        application.current_stage = following
        record_stage_opened(application, open_stage(application, following, timezone.now()))
        return
    all_rejections = list(
        ReviewTask.objects.filter(application=application, state=State.REJECTED).select_related(
            "department"
        )
    )
    _finish(application, Status.REJECTED if all_rejections else Status.APPROVED, all_rejections)


def _finish(application: Application, status: str, rejections: list[ReviewTask]) -> None:
    reasons = "\n".join(f"{t.department.name}: {t.opinion}" for t in rejections)
    change_status(
        application,
        status,
        event=Event.APPROVED if status == Status.APPROVED else Event.REJECTED,
        note=reasons,
        decided_at=timezone.now(),
        decision_reason=reasons,
    )
    application_decided.send(sender=Application, application=application)
