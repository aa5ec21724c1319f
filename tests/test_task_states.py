"""A review task's states change through one door (approvals/task_states.py), and a task that
closes leaves no clock stop running behind it.

Every pair of states is tried against the transition table: the allowed ones move the task and
log it, the refused ones change nothing. Tasks are brought to each state the way the portal
brings them there (a decision, the sweeper, a withdrawal), never by writing the column.
"""

import ast
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry
from approvals.clocks import stop_clock
from approvals.decisions import Outcome, decide
from approvals.locking import lock_task
from approvals.models import ClockStop, ReviewTask
from approvals.task_states import TASK_TRANSITIONS, TaskTransitionNotAllowed, change_task_state
from approvals.timeouts import sweep_overdue_tasks
from services import filing
from services.models import Application, ApplicationEvent
from tests.factories import (
    DepartmentFactory,
    ReviewTaskFactory,
    acceptance_task,
    application_at_acceptance,
    clerk_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
State = ReviewTask.State
Reason = ClockStop.Reason
REPO = Path(__file__).resolve().parent.parent


def task_in(state: str) -> ReviewTask:
    """A task of a case in review, brought to `state` through the portal's own doors."""
    if state == State.PENDING:
        return ReviewTaskFactory()
    if state == State.SUPPLEMENT_REQUESTED:
        return ReviewTaskFactory(supplement_requested=True)
    if state == State.APPROVED:
        return ReviewTaskFactory(decided=True)
    if state == State.REJECTED:
        return ReviewTaskFactory(rejected=True)
    task = ReviewTaskFactory()
    if state == State.DEEMED_APPROVED:
        sweep_overdue_tasks(now=task.due_at + timedelta(minutes=1))
    elif state == State.CANCELLED:
        filing.withdraw(task.application, task.application.applicant, reason="不再需要")
    task.refresh_from_db()
    assert task.state == state
    return task


ALL_PAIRS = list(itertools.product(State.values, State.values))
ALLOWED = [(source, target) for source, target in ALL_PAIRS if target in TASK_TRANSITIONS[source]]
REFUSED = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


def test_the_table_names_every_state_and_closed_states_lead_nowhere():
    assert set(TASK_TRANSITIONS) == set(State.values)
    for state in ReviewTask.DECIDED_STATES + (State.CANCELLED,):
        assert TASK_TRANSITIONS[state] == frozenset()


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_transition_moves_the_task_and_logs_it(source, target):
    task = task_in(source)

    application, locked = lock_task(task.pk)
    change_task_state(application, locked, target)

    task.refresh_from_db()
    assert task.state == target
    if target in ReviewTask.DECIDED_STATES:
        assert task.decided_at is not None
    entry = AuditEntry.objects.filter(
        object_type="approvals.reviewtask", object_id=str(task.pk)
    ).last()
    assert (entry.action, entry.detail["from"], entry.detail["to"]) == (
        "task.state",
        source,
        target,
    )


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_a_refused_transition_changes_nothing(source, target):
    task = task_in(source)
    logged_before = AuditEntry.objects.count()

    application, locked = lock_task(task.pk)
    with pytest.raises(TaskTransitionNotAllowed) as refusal:
        change_task_state(application, locked, target)

    assert refusal.value.code == "task_transition_not_allowed"
    task.refresh_from_db()
    assert task.state == source
    assert AuditEntry.objects.count() == logged_before


def test_of_two_writers_that_read_the_same_state_only_the_first_wins():
    task = task_in(State.PENDING)
    stop_clock(task.pk, reviewer_of(task.department), Reason.HEARING, "听证")
    application, first = lock_task(task.pk)
    second = ReviewTask.objects.select_related("department").get(pk=task.pk)  # read stale

    change_task_state(application, first, State.APPROVED, outcome=Outcome.APPROVE)
    stop_ended_at = ClockStop.objects.get(task=task).ended_at
    with pytest.raises(TaskTransitionNotAllowed):
        change_task_state(application, second, State.REJECTED, outcome=Outcome.REJECT)

    task.refresh_from_db()
    assert task.state == State.APPROVED
    assert AuditEntry.objects.filter(action="task.decision", object_id=str(task.pk)).count() == 1
    assert stop_ended_at is not None
    assert ClockStop.objects.get(task=task).ended_at == stop_ended_at


def test_a_deemed_approval_is_one_member_of_the_outcomes_and_no_reviewer_can_choose_it():
    assert Outcome.DEEMED_APPROVE == "deemed_approve"
    assert Outcome.DEEMED_APPROVE not in Outcome.BY_REVIEWER
    task = task_in(State.PENDING)

    with pytest.raises(ValidationError):
        decide(task.pk, reviewer_of(task.department), Outcome.DEEMED_APPROVE)

    task.refresh_from_db()
    assert task.state == State.PENDING


def test_the_stock_opinions_offer_exactly_the_reviewers_outcomes():
    from approvals.models import CommonOpinionOutcome

    assert set(CommonOpinionOutcome.values) == set(Outcome.BY_REVIEWER)


# --- no other door ------------------------------------------------------------------------------


def state_writes_in(source: str) -> list[int]:
    """Lines of each `<…task…>.state = …` and each `<…task…>.update(state=…)` in `source`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                targets += target.elts if isinstance(target, ast.Tuple) else [target]
        lines += [
            node.lineno
            for target in targets
            if isinstance(target, ast.Attribute)
            and target.attr == "state"
            and "task" in ast.unparse(target.value).lower()
        ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and any(keyword.arg == "state" for keyword in node.keywords)
            and "task" in ast.unparse(node.func.value).lower()
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_but_the_door_writes_a_tasks_state():
    door = REPO / "approvals" / "task_states.py"
    offending = [
        f"{path.relative_to(REPO)}:{line}"
        for package in ("accounts", "services", "approvals", "instruments", "disclosure", "portal")
        for path in sorted((REPO / package).rglob("*.py"))
        if path != door and "migrations" not in path.parts
        for line in state_writes_in(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_the_scan_sees_an_assignment_a_pair_assignment_and_a_bulk_update():
    source = (
        "task.state = 'approved'\n"
        "task.state, task.opinion = 'pending', ''\n"
        "ReviewTask.objects.filter(pk=1).update(state='cancelled')\n"
        "publication.state = 'published'\n"
    )
    assert state_writes_in(source) == [1, 2, 3]


def clock_state_writes_in(source: str) -> list[int]:
    """Lines that write `clock_stopped_at`: an assignment, or a keyword of a call that writes
    (an UPDATE, a create, change_status); a lookup (`clock_stopped_at__isnull=`) is a read."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            targets = [
                element
                for target in node.targets
                for element in (target.elts if isinstance(target, ast.Tuple) else [target])
            ]
            if any(isinstance(t, ast.Attribute) and t.attr == "clock_stopped_at" for t in targets):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and _called(node.func) in WRITING_CALLS
            and any(keyword.arg == "clock_stopped_at" for keyword in node.keywords)
        ):
            lines.append(node.lineno)
    return lines


# The calls that write their keywords to a row (an example dict for the API docs does not).
WRITING_CALLS = {"update", "create", "update_or_create", "change_status", "Application"}


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def test_only_the_clocks_module_writes_the_clock_stop_state():
    keeper = REPO / "approvals" / "clocks.py"
    offending = [
        f"{path.relative_to(REPO)}:{line}"
        for package in ("accounts", "services", "approvals", "instruments", "disclosure", "portal")
        for path in sorted((REPO / package).rglob("*.py"))
        if path != keeper and "migrations" not in path.parts
        for line in clock_state_writes_in(path.read_text(encoding="utf-8"))
    ]
    assert offending == []
    assert clock_state_writes_in(
        "application.clock_stopped_at = None\n"
        "Application.objects.filter(pk=1).update(clock_stopped_at=None)\n"
        "ReviewTask.objects.filter(clock_stopped_at__isnull=True)\n"
        "change_status(application, 'rejected', event='rejected', clock_stopped_at=None)\n"
    ) == [1, 2, 4]


# --- clock stops close with their tasks ---------------------------------------------------------


FILED = shanghai("2026-11-23 10:00")
STOPPED = shanghai("2026-11-24 10:00")
CLOSED = shanghai("2026-11-26 10:00")


@pytest.fixture
def clock():
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


def task_of(application, department) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=department, stage_order=1)


def assert_no_clock_runs_stopped(application):
    assert not ClockStop.objects.filter(
        task__application=application, ended_at__isnull=True
    ).exists()
    assert not ReviewTask.objects.filter(
        application=application, clock_stopped_at__isnull=False
    ).exists()
    assert Application.objects.get(pk=application.pk).clock_stopped_at is None


def test_withdrawal_during_a_hearing_ends_the_stop_with_the_task(clock, market, health):
    application = routed_application(item_with_stages([[market, health]]))
    clock.move_to(STOPPED)
    stop_clock(task_of(application, market).pk, reviewer_of(market), Reason.HEARING, "听证")
    clock.move_to(CLOSED)

    filing.withdraw(application, application.applicant, reason="不再需要")

    review = application.review_tasks.filter(stage_order=1)
    assert set(review.values_list("state", flat=True)) == {State.CANCELLED}
    assert_no_clock_runs_stopped(application)
    assert ClockStop.objects.get(task__application=application).ended_at == CLOSED


def test_withdrawal_while_waiting_for_a_supplement_ends_that_stop(clock, market, health):
    application = routed_application(item_with_stages([[market, health]]))
    clock.move_to(STOPPED)
    decide(task_of(application, market).pk, reviewer_of(market), Outcome.REQUEST_SUPPLEMENT, "补")

    filing.withdraw(Application.objects.get(pk=application.pk), application.applicant)

    assert_no_clock_runs_stopped(application)


def test_a_rejection_that_ends_the_case_ends_the_other_departments_stops(clock, market, health):
    application = routed_application(item_with_stages([[market, health]], rejection_ends_case=True))
    clock.move_to(STOPPED)
    stop_clock(task_of(application, health).pk, reviewer_of(health), Reason.INSPECTION, "核查")
    clock.move_to(CLOSED)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.REJECT, "不符合条件")

    assert task_of(application, health).state == State.CANCELLED
    assert Application.objects.get(pk=application.pk).status == Application.Status.REJECTED
    assert_no_clock_runs_stopped(application)
    # Closing is not resuming: the applicant's timeline does not say the clock ran again.
    assert not application.events.filter(kind=ApplicationEvent.Kind.CLOCK_RESUMED).exists()


def test_a_rejection_at_acceptance_during_the_supplement_notice_ends_the_notices_stop(clock):
    application = application_at_acceptance(item_with_stages([[DepartmentFactory()]]))
    acceptance = acceptance_task(application)
    clerk = clerk_of(acceptance.department)
    decide(acceptance.pk, clerk, Outcome.REQUEST_SUPPLEMENT, "请补充身份证明")

    decide(acceptance.pk, clerk, Outcome.REJECT, "不属于本机关职权范围")

    assert Application.objects.get(pk=application.pk).status == Application.Status.REJECTED
    assert_no_clock_runs_stopped(application)


def test_the_status_page_of_a_case_withdrawn_during_a_hearing_shows_no_running_stop(
    clock, market, health, client_for
):
    application = routed_application(item_with_stages([[market, health]]))
    stop_clock(task_of(application, market).pk, reviewer_of(market), Reason.HEARING, "听证会")
    filing.withdraw(application, application.applicant)

    page = client_for(application.applicant).get(application.get_absolute_url())

    assert page.status_code == 200
    assert [entry["running"] for entry in page.context["clock_stops"]] == [False]


@pytest.mark.django_db(transaction=True)
def test_the_migration_ends_the_stops_that_closed_tasks_left_open(market, health):
    """approvals 0030: a case withdrawn before the door existed kept its running stop."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = ("approvals", "0011_deadlines_counted_on_calendar_version")  # 0030 comes after
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    application = routed_application(item_with_stages([[market, health]]))
    running = routed_application(item_with_stages([[market]]))
    for case in (application, running):
        stop_clock(task_of(case, market).pk, reviewer_of(market), Reason.HEARING, "听证")
    # What withdrawal used to do: close the tasks in bulk, their stops left running.
    ReviewTask.objects.filter(application=application, stage_order=1).update(state=State.CANCELLED)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    MigrationExecutor(connection).migrate([before])
    # Forward through 0030 to every later migration (the model reads their columns).
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)

    assert_no_clock_runs_stopped(application)
    # A stop whose task is still open is left running.
    assert task_of(running, market).clock_stopped_at is not None
    assert Application.objects.get(pk=running.pk).clock_stopped_at is not None
