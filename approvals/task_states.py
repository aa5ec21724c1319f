"""A review task's states, their allowed transitions, and the one door through which they change.

Every change of `ReviewTask.state` (a reviewer's decision, a supplement request and its answer,
a deemed approval by the sweeper, the closing of a case's other tasks) goes through
`change_task_state()`: it checks the table below, writes the task with a conditional UPDATE
(so of two writers that read the same state only one wins, even one that forgot the lock),
and writes the task's audit entry and, when the applicant should read it, the timeline event.

Lock order (approvals/locking.py): the application first, then its tasks. Callers hold both.
"""

from enum import StrEnum, nonmember

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record, text_digest
from services.lifecycle import record_event
from services.models import Application

from .clocks import _end_clock_stop
from .models import ReviewTask

State = ReviewTask.State


class Outcome(StrEnum):
    """What decided a task, as the audit log names it."""

    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_SUPPLEMENT = "request_supplement"
    # Silence past the deadline (缺席默认制): the sweeper's outcome, never a person's.
    DEEMED_APPROVE = "deemed_approve"

    # What a reviewer may choose (the decision form, the API); `ALL` is its older name.
    BY_REVIEWER = nonmember((APPROVE, REJECT, REQUEST_SUPPLEMENT))
    ALL = nonmember((APPROVE, REJECT, REQUEST_SUPPLEMENT))


TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    State.PENDING: frozenset(
        {
            State.SUPPLEMENT_REQUESTED,
            State.APPROVED,
            State.DEEMED_APPROVED,
            State.REJECTED,
            State.CANCELLED,
        }
    ),
    # The applicant answers (back to pending), or the department decides without waiting; the
    # sweeper never deems a task approved whose clock waits on the applicant.
    State.SUPPLEMENT_REQUESTED: frozenset(
        {State.PENDING, State.APPROVED, State.REJECTED, State.CANCELLED}
    ),
    State.APPROVED: frozenset(),
    State.DEEMED_APPROVED: frozenset(),
    State.REJECTED: frozenset(),
    State.CANCELLED: frozenset(),
}

# The states whose task has an outcome, so its decision time is set (a database constraint).
DECIDED_STATES = frozenset(ReviewTask.DECIDED_STATES)


class TaskTransitionNotAllowed(ValidationError):
    """The task is not (or no longer) in a state from which `target` may be reached."""

    def __init__(self, task: ReviewTask, target: str):
        self.task, self.target = task, target
        super().__init__(
            _("This task is %(current)s and cannot become %(target)s.")
            % {"current": State(task.state).label, "target": State(target).label},
            code="task_transition_not_allowed",
        )


def allowed(source: str, target: str) -> bool:
    return target in TASK_TRANSITIONS[source]


def change_task_state(
    application: Application,
    task: ReviewTask,
    target: str,
    *,
    actor=None,
    outcome: Outcome | None = None,
    event: str | None = None,
    opinion: str | None = None,
    decided_by=None,
    acting_for=None,
    now=None,
) -> ReviewTask:
    """Move `task` (locked by the caller, after its application) to `target`, and record it.

    `outcome`: the decision the audit log records (action "task.decision"); without one the
    entry is a plain change of state ("task.state"). `event`: the applicant's timeline line,
    if the change is one they read. `opinion`, `decided_by`: written with the state, in the
    same UPDATE; `acting_for`: the absent reviewer a substitute decides for (代理审批), named
    on the task, the audit entry and the timeline; `now`: the decision's time (the sweeper
    passes its own).

    A task leaving a stopped clock (decided, answered, or closed with its case) ends its clock
    stop here, through the one function that keeps the clock-stop state (approvals/clocks.py):
    no task ends with its stop still open.
    """
    source = task.state
    if not allowed(source, target):
        raise TaskTransitionNotAllowed(task, target)
    now = now or timezone.now()
    fields: dict = {"state": target}
    if opinion is not None:
        fields["opinion"] = opinion
    if decided_by is not None:
        fields["decided_by"] = decided_by
    if acting_for is not None:
        fields["decided_for"] = acting_for
    if target in DECIDED_STATES:
        fields["decided_at"] = now
    updated = ReviewTask.objects.filter(pk=task.pk, state=source).update(**fields)
    if not updated:
        task.refresh_from_db(fields=["state"])
        raise TaskTransitionNotAllowed(task, target)
    for name, value in fields.items():
        setattr(task, name, value)
    if task.clock_stopped_at and target != State.SUPPLEMENT_REQUESTED:
        _end_clock_stop(application, task, now, closing=target == State.CANCELLED)
    _audit(application, task, source=source, outcome=outcome, actor=actor, acting_for=acting_for)
    if event is not None:
        record_event(
            application,
            event,
            actor=actor,
            department=task.department,
            note=task.opinion,
            acting_for=acting_for,
        )
    return task


def _audit(
    application: Application, task: ReviewTask, *, source: str, outcome, actor, acting_for=None
) -> None:
    """The task's audit entry: the opinion is on the task and the timeline, its digest here."""
    detail = {
        "application_id": application.pk,
        "tracking_number": application.tracking_number,
        "department": task.department.code,
        "stage": task.stage_order,
    }
    if outcome is None:
        record(
            "task.state", obj=task, actor=actor, detail={**detail, "from": source, "to": task.state}
        )
        return
    record(
        "task.decision",
        obj=task,
        actor=actor,
        detail={
            "outcome": str(outcome),
            **detail,
            "opinion_sha256": text_digest(task.opinion),
            **({"acting_for": acting_for.username} if acting_for is not None else {}),
        },
    )
