"""Decisions of departments, and the join that turns them into the application's outcome.

Every decision locks the application row first, then the task: decisions on one application
are serialised, so two reviewers deciding at the same moment yield exactly one decision, and
the last two departments of a stage cannot both miss that the stage is complete.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.audit import appended_together
from services.lifecycle import change_status, official_language, record_event
from services.models import Application, ApplicationEvent

from .calendar import one_calendar
from .certificates import issue_certificate
from .claims import audit_refusals, claimed_by_someone_else
from .clocks import _start_clock_stop
from .locking import lock_task
from .models import ACCEPTANCE_STAGE, ClockStop, ReviewTask
from .notifications import (
    tell_applicant_decided,
    tell_applicant_supplement_requested,
    tell_writer_answered,
)
from .permissions import can_review
from .routing import accept_and_open_review, next_stage_order, open_stage, record_stage_opened
from .signals import application_decided
from .substitutes import covering_for
from .task_states import Outcome, change_task_state

Status = Application.Status
Event = ApplicationEvent.Kind
State = ReviewTask.State


class AlreadyDecided(ValidationError):
    pass


def _reasons_required(outcome: str, opinion: str) -> None:
    if outcome == Outcome.REJECT and not opinion:
        raise ValidationError({"opinion": _("Give your reasons: the applicant reads them.")})
    if outcome == Outcome.REQUEST_SUPPLEMENT and not opinion:
        raise ValidationError({"opinion": _("List every missing or defective material at once.")})


@audit_refusals("substitute_out_of_range", actor="reviewer")
@transaction.atomic
@appended_together()
@one_calendar()
def decide(task_id: int, reviewer, outcome: str, opinion: str = "") -> ReviewTask:
    """Record one department's decision on a task and advance the case.

    A substitute (approvals/substitutes.py) decides the absent claimant's task for them.
    The audit entries of the decision and of the stage it opens (grants of every new task
    included) are appended in one INSERT as the transaction ends, and every deadline of the
    new stage is counted on one reading of the calendar.
    """
    if outcome not in Outcome.BY_REVIEWER:
        raise ValidationError(_("Choose approve, reject or request supplements."))
    opinion = opinion.strip()
    _reasons_required(outcome, opinion)
    application, task = lock_task(task_id)
    if not can_review(reviewer, task):
        raise PermissionDenied(_("You do not review for this department."))
    if application.definition.item.is_letter:
        check_letter_outcome(task, outcome, opinion)
    acting_for = covering_for(reviewer, task)
    if claimed_by_someone_else(task, reviewer) and acting_for is None:
        raise ValidationError(
            _("%(name)s is working on this task: ask them, or the head, to release it.")
            % {"name": task.claimed_by}
        )
    if outcome == Outcome.REQUEST_SUPPLEMENT:
        _request_supplement(application, task, reviewer, opinion, acting_for=acting_for)
        return task
    if not task.is_open:
        raise AlreadyDecided(_("This task has already been decided."))
    approved = outcome == Outcome.APPROVE
    change_task_state(
        application,
        task,
        State.APPROVED if approved else State.REJECTED,
        actor=reviewer,
        outcome=Outcome(outcome),
        opinion=opinion,
        decided_by=reviewer,
        acting_for=acting_for,
        event=None
        if task.is_acceptance
        else (Event.APPROVED_BY_DEPARTMENT if approved else Event.REJECTED_BY_DEPARTMENT),
    )
    _join_stage(application, actor=reviewer)
    return task


def check_letter_outcome(task: ReviewTask, outcome: str, opinion: str) -> None:
    """A letter is triaged (accepted with its departments, or not taken up with reasons) and
    then answered; a department does not "reject" a letter, and its answer is never empty."""
    if not task.is_acceptance and outcome == Outcome.REJECT:
        raise ValidationError(
            _("A letter is answered, not rejected: write the answer the writer will read.")
        )
    if not task.is_acceptance and outcome == Outcome.APPROVE and not opinion:
        raise ValidationError({"opinion": _("Write the answer the writer will read.")})


def _request_supplement(
    application: Application, task: ReviewTask, reviewer, opinion: str, *, acting_for=None
):
    if task.state != State.PENDING:
        raise AlreadyDecided(_("This task has already been decided or is waiting for supplements."))
    if task.is_acceptance and task.clock_stops.filter(reason=ClockStop.Reason.SUPPLEMENT).exists():
        # Art. 32 (一次性告知): everything missing is listed in one notice, never a second.
        raise ValidationError(
            {"opinion": _("The acceptance notice has been sent once; a second is not allowed.")}
        )
    if task.clock_stopped_at:
        raise ValidationError(_("Resume the clock before requesting supplements."))
    change_task_state(
        application,
        task,
        State.SUPPLEMENT_REQUESTED,
        actor=reviewer,
        outcome=Outcome.REQUEST_SUPPLEMENT,
        opinion=opinion,
        acting_for=acting_for,
    )
    _start_clock_stop(application, task, ClockStop.Reason.SUPPLEMENT, reviewer, opinion)
    if application.status != Status.SUPPLEMENT_REQUESTED:
        change_status(
            application,
            Status.SUPPLEMENT_REQUESTED,
            event=Event.SUPPLEMENT_REQUESTED,
            actor=reviewer,
            department=task.department,
            note=opinion,
            acting_for=acting_for,
        )
    else:  # Another department asked first; this request joins it.
        record_event(
            application,
            Event.SUPPLEMENT_REQUESTED,
            actor=reviewer,
            department=task.department,
            note=opinion,
            acting_for=acting_for,
        )
    tell_applicant_supplement_requested(application, task, opinion)


def resume_after_supplement(application: Application, *, actor=None) -> list[ReviewTask]:
    """The applicant answered: the waiting tasks continue, each deadline moved by the working
    days its clock stood still (Art. 45), and the case's with the last of them."""
    now = timezone.now()
    tasks = list(
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(application=application, state=State.SUPPLEMENT_REQUESTED)
        .order_by("pk")
    )
    for task in tasks:
        change_task_state(application, task, State.PENDING, actor=actor, now=now)
    return tasks


def deem_approved(application: Application, task: ReviewTask, now) -> None:
    """Silence past the deadline means consent (缺席默认制); recorded as such for everyone."""
    # Stored in the portal's official language, like every opinion a reviewer writes.
    with official_language():
        deadline = date_format(timezone.localtime(task.due_at), "DATETIME_FORMAT")
        opinion = _("Deemed approved — no response by %(deadline)s") % {"deadline": deadline}
    change_task_state(
        application,
        task,
        State.DEEMED_APPROVED,
        outcome=Outcome.DEEMED_APPROVE,
        opinion=opinion,
        now=now,
        event=None if task.is_acceptance else Event.DEEMED_APPROVED_BY_DEPARTMENT,
    )
    _join_stage(application)


def close_open_tasks(application: Application, *, actor=None) -> list[ReviewTask]:
    """Close the case's undecided tasks without a decision (it was withdrawn, or a rejection
    ended it), their clock stops with them. The caller holds the application's lock."""
    now = timezone.now()
    tasks = list(
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(application=application, state__in=ReviewTask.OPEN_STATES)
        .order_by("pk")
    )
    for task in tasks:
        change_task_state(application, task, State.CANCELLED, actor=actor, now=now)
    return tasks


def _join_stage(application: Application, actor=None) -> None:
    """Advance the case once every department of its current stage has an outcome."""
    stage_tasks = list(
        ReviewTask.objects.filter(
            application=application, stage_order=application.current_stage
        ).select_related("department")
    )
    rejected = [t for t in stage_tasks if t.state == State.REJECTED]
    if rejected and application.current_stage == ACCEPTANCE_STAGE:
        _finish(application, Status.REJECTED, rejected, event=Event.NOT_ACCEPTED, actor=actor)
        return
    if rejected and application.definition.item.rejection_ends_case:
        close_open_tasks(application, actor=actor)
        _finish(application, Status.REJECTED, rejected)
        return
    if any(t.is_open for t in stage_tasks):
        return
    following = next_stage_order(application, application.current_stage)
    if application.current_stage == ACCEPTANCE_STAGE and following is not None:
        deemed = stage_tasks[0].state == State.DEEMED_APPROVED
        accept_and_open_review(application, deemed=deemed, actor=actor)
        return
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


def _finish(application, status: str, rejections: list[ReviewTask], *, event=None, actor=None):
    reasons = "\n".join(f"{t.department.name}: {t.opinion}" for t in rejections)
    change_status(
        application,
        status,
        event=event or (Event.APPROVED if status == Status.APPROVED else Event.REJECTED),
        actor=actor,
        note=reasons,
        decided_at=timezone.now(),
        decision_reason=reasons,
    )
    if application.definition.item.is_letter:
        # A letter answered is not a permit granted: no e-certificate, no appeal rights.
        tell_writer_answered(application)
    else:
        certificate = issue_certificate(application) if status == Status.APPROVED else None
        tell_applicant_decided(application, certificate)
    application_decided.send(sender=Application, application=application)
