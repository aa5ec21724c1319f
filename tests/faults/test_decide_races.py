"""100 decision races over HTTP: two reviewers decide the same task at the same instant.

For each of 100 tasks of one department, reviewer A approves and reviewer B rejects, both
requests released together against gunicorn (several processes and threads). Exactly one
decision must stand per task — one state, one decider, one timeline event, one outcome of the
case — and the other reviewer is told the task was already decided.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.db.models import Count

from approvals.models import ReviewTask
from disclosure.models import DecisionRecord
from services.models import Application, ApplicationEvent
from tests.factories import DepartmentFactory, item_with_stages, reviewer_of, routed_application
from tests.faults.cases import copies_of, overdue_tasks
from tests.faults.conftest import figure
from tests.faults.http import Visitor

RACES = 100
Kind = ApplicationEvent.Kind


def test_two_reviewers_deciding_the_same_task_at_once_produce_exactly_one_decision(stack):
    department = DepartmentFactory(name="市市场监督管理局")
    model = routed_application(item_with_stages([[department]]))
    far = model.due_at
    overdue_tasks(copies_of(model, RACES - 1), [department], far)
    tasks = list(
        ReviewTask.objects.filter(department=department, stage_order=1).values_list("pk", flat=True)
    )
    assert len(tasks) == RACES
    approver, rejecter = reviewer_of(department), reviewer_of(department)
    stack.web(workers=2, threads=8)
    a = Visitor.logged_in(stack.web_port, approver)
    b = Visitor.logged_in(stack.web_port, rejecter)

    def race(task_id: int):
        barrier = threading.Barrier(2)

        def decide(visitor, fields):
            barrier.wait(10)
            return visitor.post(f"/staff/tasks/{task_id}/", fields)

        with ThreadPoolExecutor(2) as pair:
            approve = pair.submit(decide, a, {"outcome": "approve", "opinion": "同意"})
            reject = pair.submit(decide, b, {"outcome": "reject", "opinion": "材料不符合要求"})
            return task_id, approve.result(), reject.result()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(race, tasks))

    winners = Counter()
    for task_id, approve, reject in results:
        assert {approve.status, reject.status} == {302}, (approve.status, reject.status)
        won = [r for r in (approve, reject) if r.location == "/staff/"]
        lost = [r for r in (approve, reject) if r.location == f"/staff/tasks/{task_id}/"]
        assert len(won) == len(lost) == 1, "not exactly one reviewer was told they decided"
        winners["approve" if won[0] is approve else "reject"] += 1

    decided = ReviewTask.objects.filter(pk__in=tasks)
    assert set(decided.values_list("state", flat=True)) <= {"approved", "rejected"}
    assert Counter(decided.values_list("state", flat=True)) == {
        "approved": winners["approve"],
        "rejected": winners["reject"],
    }
    events = (
        ApplicationEvent.objects.filter(
            application__review_tasks__in=tasks,
            kind__in=[Kind.APPROVED_BY_DEPARTMENT, Kind.REJECTED_BY_DEPARTMENT],
        )
        .values("application")
        .annotate(n=Count("id"))
    )
    assert len(events) == RACES and {row["n"] for row in events} == {1}
    cases = Application.objects.filter(review_tasks__in=tasks)
    assert set(cases.values_list("status", flat=True)) <= {"approved", "rejected"}
    assert DecisionRecord.objects.filter(application__in=cases).count() == RACES
    figure(
        f"{RACES} decide races over HTTP: {RACES} decisions, none twice "
        f"(approver won {winners['approve']}, rejecter {winners['reject']})"
    )
