"""Two sweeper processes at once over 10,000 overdue review tasks: each handled exactly once.

2,000 cases in review, five parallel departments each, every task past its deadline. Two
processes run the deadline sweep at the same moment, each with its own connection; SELECT …
FOR UPDATE SKIP LOCKED must share the work out, and the database must end with every task
deemed approved once and every case approved and published once.
"""

import json
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from approvals.models import ReviewTask
from approvals.timeouts import sweep_overdue_tasks
from disclosure.models import DecisionRecord
from services.models import Application, ApplicationEvent
from tests.factories import DepartmentFactory, item_with_stages, routed_application
from tests.faults.cases import copies_of, overdue_tasks
from tests.faults.conftest import figure
from tests.faults.servers import PYTHON, wait_for

CASES = 2000
DEPARTMENTS = 5

Kind = ApplicationEvent.Kind


def test_two_sweepers_handle_each_of_ten_thousand_due_tasks_exactly_once(stack):
    departments = [DepartmentFactory(name=f"第{n}审批局") for n in range(DEPARTMENTS)]
    model = routed_application(item_with_stages([departments]))
    due = timezone.now() - timedelta(hours=1)
    ReviewTask.objects.filter(application=model, stage_order=1).update(due_at=due, remind_at=due)
    cases = [model.pk, *(a.pk for a in copies_of(model, CASES - 1))]
    overdue_tasks(Application.objects.filter(pk__in=cases[1:]), departments, due)
    tasks = set(
        ReviewTask.objects.filter(application__in=cases, stage_order=1).values_list("pk", flat=True)
    )
    assert len(tasks) == CASES * DEPARTMENTS == 10_000

    go = stack.workdir / "go"
    results = [stack.workdir / f"sweeper-{n}.json" for n in (1, 2)]
    sweepers = [
        stack.process(f"sweeper-{n}", [PYTHON, "-m", "tests.faults.sweeper", str(go), str(out)])
        for n, out in zip((1, 2), results, strict=True)
    ]
    go.touch()
    wait_for(lambda: all(out.exists() for out in results), 240, "the two sweeps")
    first, second = (json.loads(out.read_text()) for out in results)
    assert all(sweeper.proc.wait() == 0 for sweeper in sweepers)

    one, two = set(first["deemed_approved"]), set(second["deemed_approved"])
    assert len(one) == len(first["deemed_approved"]) and len(two) == len(second["deemed_approved"])
    assert not one & two, "a task was handled by both sweepers"
    assert one | two == tasks
    assert ReviewTask.objects.filter(pk__in=tasks).exclude(state="deemed_approved").count() == 0
    per_task = (
        ApplicationEvent.objects.filter(
            application__in=cases, kind=Kind.DEEMED_APPROVED_BY_DEPARTMENT
        )
        .values("application", "department")
        .annotate(n=Count("id"))
    )
    assert len(per_task) == len(tasks) and {row["n"] for row in per_task} == {1}
    approved = (
        ApplicationEvent.objects.filter(application__in=cases, kind=Kind.APPROVED)
        .values("application")
        .annotate(n=Count("id"))
    )
    assert len(approved) == CASES and {row["n"] for row in approved} == {1}
    assert DecisionRecord.objects.filter(application__in=cases).count() == CASES
    assert sweep_overdue_tasks().handled == 0
    seconds = max(first["seconds"], second["seconds"])
    figure(
        f"Two sweepers over {len(tasks):,} due tasks: {len(one):,} + {len(two):,}, none twice, "
        f"in {seconds:.1f} s ({len(tasks) / seconds:,.0f} tasks/s)"
    )
