"""When the working-day calendar changes, every open deadline is counted again from scratch.

An administrator adds a holiday or a make-up working day (调休) after deadlines were computed.
Shifting the stored dates by a day would be wrong whenever the change lies outside a period,
or inside a clock stop, or when two edits overlap; so each open task's deadline, and each
open case's overall one, is recounted from its start, its clock stops and its extension, the
way the status page explains it (approvals/explanation.py), and written where it differs.

Exactly once: the calendar's version row (CalendarVersion) remembers the version whose
deadlines are in force (`deadlines_token`). A recount locks that row, so a second process
waits and then finds nothing to do, and a calendar edit committed meanwhile waits for the
recount (its trigger updates the same row) and is counted by the next one. Each case whose
dates moved gets one timeline entry and one notification; each department, one.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.audit import appended_together
from services.lifecycle import official_language, record_events
from services.models import Application, ApplicationEvent

from .calendar import one_calendar
from .clocks import DEADLINE_FIELDS, set_deadline
from .explanation import explain_overall_deadline, explain_task_deadline
from .models import CalendarVersion, ClockStop, ReviewTask
from .notifications import tell_applicants_deadlines_recounted, tell_department_deadlines_recounted

CASES_PER_BATCH = 500


@dataclass
class RecountResult:
    calendar_version: str | None = None
    tasks_moved: list[int] = field(default_factory=list)
    cases_moved: list[int] = field(default_factory=list)


@transaction.atomic
@appended_together()
def recount_deadlines() -> RecountResult:
    """Recount every open deadline on the calendar the database holds, if not done already."""
    version = CalendarVersion.objects.select_for_update().filter(pk=CalendarVersion.SINGLETON)
    version = version.first()
    if version is None or version.deadlines_token == version.token:
        return RecountResult()
    result = RecountResult(calendar_version=str(version.token))
    case_ids = list(
        Application.objects.filter(review_tasks__state__in=ReviewTask.OPEN_STATES)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved_by_department: dict[int, list[ReviewTask]] = {}
    with one_calendar():
        for start in range(0, len(case_ids), CASES_PER_BATCH):
            _recount_cases(case_ids[start : start + CASES_PER_BATCH], result, moved_by_department)
    for department_id, tasks in moved_by_department.items():
        tell_department_deadlines_recounted(department_id, tasks, result.calendar_version)
    version.deadlines_token = version.token
    version.save(update_fields=["deadlines_token"])
    return result


def _recount_cases(case_ids: list[int], result: RecountResult, moved_by_department) -> None:
    # The documented lock order (approvals/locking.py): the applications, then their tasks.
    cases = {
        case.pk: case
        for case in Application.objects.select_for_update(of=("self",))
        .select_related("item_version")
        .filter(pk__in=case_ids)
        .order_by("pk")
    }
    tasks_by_case: dict[int, list[ReviewTask]] = {}
    for task in (
        ReviewTask.objects.select_for_update(of=("self",))
        .filter(application_id__in=case_ids)
        .select_related("department", "extension")
        .prefetch_related("clock_stops")
        .order_by("pk")
    ):
        tasks_by_case.setdefault(task.application_id, []).append(task)
    moved_tasks, moved_cases, told = [], [], []
    for case_id, tasks in tasks_by_case.items():
        case = cases[case_id]
        moved = [task for task in tasks if task.is_open and _recount_task(task)]
        overall = explain_overall_deadline(case, tasks, names={})
        case_moved = overall is not None and overall.due_at != case.due_at
        if case_moved:
            case.due_at = overall.due_at
            moved_cases.append(case)
        if not (moved or case_moved):
            continue
        moved_tasks.extend(moved)
        for task in moved:
            task.application = case
            moved_by_department.setdefault(task.department_id, []).append(task)
        result.tasks_moved.extend(task.pk for task in moved)
        told.append(case)
    _write_deadlines(moved_tasks, moved_cases)
    with official_language():
        note = _("The working-day calendar changed: time limits were counted again.")
    record_events(told, ApplicationEvent.Kind.DEADLINES_RECOUNTED, note=note)
    tell_applicants_deadlines_recounted(told, result.calendar_version)
    result.cases_moved.extend(case.pk for case in told)


def _write_deadlines(tasks: list[ReviewTask], cases: list[Application]) -> None:
    """One UPDATE for the tasks and one for the cases (bulk_update's CASE WHEN is slow here)."""
    with connection.cursor() as cursor:
        if tasks:
            cursor.execute(
                """
                UPDATE approvals_reviewtask AS task
                SET due_at = moved.due_at, remind_at = moved.remind_at,
                    reminded_at = moved.reminded_at, escalated_at = moved.escalated_at
                FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[],
                            %s::timestamptz[], %s::timestamptz[])
                    AS moved(id, due_at, remind_at, reminded_at, escalated_at)
                WHERE task.id = moved.id
                """,
                [[getattr(task, name) for task in tasks] for name in ["pk", *DEADLINE_FIELDS]],
            )
        if cases:
            cursor.execute(
                """
                UPDATE services_application AS application SET due_at = moved.due_at
                FROM unnest(%s::bigint[], %s::timestamptz[]) AS moved(id, due_at)
                WHERE application.id = moved.id
                """,
                [[case.pk for case in cases], [case.due_at for case in cases]],
            )


def _recount_task(task: ReviewTask) -> bool:
    """Set the task's recounted deadline (and its reminder) if it moved; whether it did."""
    explanation = explain_task_deadline(task, names={})
    _recount_stops(task, explanation.pauses)
    if explanation.due_at == task.due_at:
        return False
    set_deadline(task, explanation.due_at)
    return True


def _recount_stops(task: ReviewTask, pauses) -> None:
    """The working days each ended stop added, as the new calendar counts them."""
    counted = {pause.started_at: pause.working_days for pause in pauses if pause.ended_at}
    for stop in task.clock_stops.all():
        days = counted.get(stop.started_at)
        if days is not None and stop.stopped_working_days != days:
            ClockStop.objects.filter(pk=stop.pk).update(stopped_working_days=days)
