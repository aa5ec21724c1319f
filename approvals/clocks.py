"""Time that does not count (clock stops) and time that is added (extensions).

Administrative License Law Art. 45: time for hearings, inspections, expert review and the
applicant's supplements is not counted in the limit. Art. 42: the limit may be extended once,
with the approval of the head of the department, and the applicant is told why.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import record, text_digest
from services.lifecycle import official_language, record_event
from services.models import Application, ApplicationEvent

from .claims import note_claim_activity
from .deadlines import (
    deadline_after,
    extended_deadline,
    reminder_time,
    resumed_deadline,
    stopped_working_days,
)
from .locking import lock_task
from .models import ClockStop, Extension, ReviewTask
from .notifications import tell_applicant_time_limit_extended
from .permissions import can_decide_extension, can_review, grant_extension

Event = ApplicationEvent.Kind


DEADLINE_FIELDS = ["due_at", "remind_at", "reminded_at", "escalated_at"]


def _move_deadline(task: ReviewTask, due_at) -> None:
    """Set a task's deadline and its reminder together; a later deadline earns a new reminder."""
    set_deadline(task, due_at)
    task.save(update_fields=DEADLINE_FIELDS)


def set_deadline(task: ReviewTask, due_at) -> None:
    """`_move_deadline` without the save, for a caller that writes many tasks in one statement
    (approvals/recount.py)."""
    task.due_at = due_at
    task.remind_at = reminder_time(due_at, task.reminder_days)
    if task.remind_at > timezone.now():
        task.reminded_at = None
    if task.escalated_at and due_at > timezone.now():
        task.escalated_at = None


# The clock-stop state is written here only: the open ClockStop row, the task's mirror of it
# (`ReviewTask.clock_stopped_at`, for the sweeper's partial index) and the case's
# (`Application.clock_stopped_at`: set while any of its tasks is stopped). Callers hold the
# application's lock, then the task's (approvals/locking.py).


def _start_clock_stop(application: Application, task: ReviewTask, reason: str, by, note: str):
    """Stop the task's clock, and the case's if it is running."""
    now = timezone.now()
    ClockStop.objects.create(task=task, reason=reason, note=note, started_at=now, started_by=by)
    task.clock_stopped_at = now
    task.save(update_fields=["clock_stopped_at"])
    if application.clock_stopped_at is None:
        application.clock_stopped_at = now
        Application.objects.filter(pk=application.pk).update(clock_stopped_at=now)
    if reason != ClockStop.Reason.SUPPLEMENT:  # supplement requests are their own event
        with official_language():
            label = str(ClockStop.Reason(reason).label)
            text = _("%(reason)s: %(note)s") % {"reason": label, "note": note} if note else label
        record_event(
            application, Event.CLOCK_STOPPED, actor=by, department=task.department, note=text
        )


def _end_clock_stop(application: Application, task: ReviewTask, now, *, closing: bool) -> None:
    """End the task's open stop, if any; the case's clock runs again once none of its tasks is
    stopped, its deadline moved by the working days it stood still.

    `closing`: the task ends without a decision of its own (the case was withdrawn, or another
    department's rejection ended it), so its deadline is not moved and the applicant's
    timeline does not say the clock resumed. A decision, or the applicant's supplement,
    resumes the clock (`closing=False`): the task's deadline moves by the stop (acceptance is
    counted afresh, Art. 32).
    """
    stop = task.clock_stops.filter(ended_at__isnull=True).first()
    if stop is None:
        return
    stop.ended_at = now
    stop.stopped_working_days = stopped_working_days(stop.started_at, now)
    stop.save(update_fields=["ended_at", "stopped_working_days"])
    task.clock_stopped_at = None
    task.save(update_fields=["clock_stopped_at"])
    if not closing:
        if task.is_acceptance:
            # Art. 32: once the materials are complete, acceptance is counted afresh from receipt.
            _move_deadline(task, deadline_after(now, task.time_limit_days))
        else:
            _move_deadline(task, resumed_deadline(task.due_at, stop.started_at, now))
    still_stopped = ReviewTask.objects.filter(
        application=application, clock_stopped_at__isnull=False
    ).exists()
    if application.clock_stopped_at and not still_stopped:
        if application.due_at:
            application.due_at = resumed_deadline(
                application.due_at, application.clock_stopped_at, now
            )
        application.clock_stopped_at = None
        Application.objects.filter(pk=application.pk).update(
            due_at=application.due_at, clock_stopped_at=None
        )
    if stop.reason != ClockStop.Reason.SUPPLEMENT and not closing:
        days = stop.stopped_working_days
        with official_language():
            text = ngettext(
                "%(days)s working day not counted.", "%(days)s working days not counted.", days
            ) % {"days": days}
        record_event(application, Event.CLOCK_RESUMED, department=task.department, note=text)


def _locked_open_task(task_id: int, user) -> tuple[Application, ReviewTask]:
    application, task = lock_task(task_id)
    if not can_review(user, task):
        raise PermissionDenied(_("You do not review for this department."))
    if not task.is_open:
        raise ValidationError(_("This task has already been decided."))
    note_claim_activity(task, user)  # the claimant is at work on it: the claim does not lapse
    return application, task


@transaction.atomic
def stop_clock(task_id: int, reviewer, reason: str, note: str = "") -> ReviewTask:
    """A hearing, an on-site inspection or an expert review begins."""
    if reason not in (
        ClockStop.Reason.HEARING,
        ClockStop.Reason.INSPECTION,
        ClockStop.Reason.EXPERT_REVIEW,
    ):
        raise ValidationError({"reason": _("Choose a hearing, an inspection or an expert review.")})
    application, task = _locked_open_task(task_id, reviewer)
    if task.is_acceptance:
        raise ValidationError(_("Acceptance is decided on the materials; its clock does not stop."))
    if task.clock_stopped_at:
        raise ValidationError(_("The clock of this task is already stopped."))
    _start_clock_stop(application, task, reason, reviewer, note.strip())
    return task


@transaction.atomic
def resume_clock(task_id: int, reviewer) -> ReviewTask:
    application, task = _locked_open_task(task_id, reviewer)
    if task.state == ReviewTask.State.SUPPLEMENT_REQUESTED:
        raise ValidationError(_("The clock resumes when the applicant sends the supplements."))
    if not task.clock_stopped_at:
        raise ValidationError(_("The clock of this task is running."))
    _end_clock_stop(application, task, timezone.now(), closing=False)
    return task


@transaction.atomic
def request_extension(task_id: int, reviewer, working_days: int, reason: str) -> Extension:
    application, task = _locked_open_task(task_id, reviewer)
    if task.is_acceptance:
        # Art. 42 extends the decision period, not the 5 days of the acceptance check.
        raise ValidationError(_("The acceptance limit cannot be extended."))
    longest = application.definition.item.max_extension_days
    if not 1 <= working_days <= longest:
        raise ValidationError(
            {"working_days": _("Between 1 and %(max)s working days.") % {"max": longest}}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason: the applicant reads it.")})
    if Extension.objects.filter(task=task).exists():
        raise ValidationError(_("This task has already had its one extension request."))
    extension = Extension.objects.create(
        task=task, working_days=working_days, reason=reason.strip(), requested_by=reviewer
    )
    record(
        "extension.request",
        obj=extension,
        actor=reviewer,
        detail={"task_id": task.pk, "application_id": application.pk, "working_days": working_days},
    )
    grant_extension(extension, task.department_id)
    return extension


@transaction.atomic
def decide_extension(extension_id: int, head, approve: bool, note: str = "") -> Extension:
    task_id = Extension.objects.values_list("task_id", flat=True).get(pk=extension_id)
    application, task = lock_task(task_id)
    extension = Extension.objects.select_for_update().get(pk=extension_id)
    if not can_decide_extension(head, extension):
        raise PermissionDenied(_("Only the head of the department decides extensions."))
    if extension.state != Extension.State.REQUESTED:
        raise ValidationError(_("This extension request has already been decided."))
    if approve and not task.is_open:
        raise ValidationError(_("The task is closed; there is nothing to extend."))
    extension.state = Extension.State.APPROVED if approve else Extension.State.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = head, timezone.now(), note
    extension.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    record(
        "extension.decision",
        obj=extension,
        actor=head,
        detail={
            "approved": approve,
            "task_id": task.pk,
            "application_id": application.pk,
            "working_days": extension.working_days,
            "note_sha256": text_digest(note),
        },
    )
    if approve:
        _move_deadline(task, extended_deadline(task.due_at, extension.working_days))
        if application.due_at and application.due_at < task.due_at:
            Application.objects.filter(pk=application.pk).update(due_at=task.due_at)
        days = extension.working_days
        with official_language():
            text = ngettext(
                "%(days)s working day: %(reason)s", "%(days)s working days: %(reason)s", days
            ) % {"days": days, "reason": extension.reason}
        record_event(application, Event.EXTENDED, actor=head, department=task.department, note=text)
        tell_applicant_time_limit_extended(extension)
    return extension
