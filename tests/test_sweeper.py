"""The deadline sweeper run twice at once: the work is shared and every task handled once.

Two sweepers (two threads, two database connections) start together over 1,000 overdue tasks
of 250 applications, four parallel departments each. SELECT … FOR UPDATE SKIP LOCKED must
give each task to exactly one of them, and each case must be decided and published once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from approvals.models import ReviewTask, TimeoutPolicy
from approvals.timeouts import SweepResult, sweep_overdue_tasks
from disclosure.models import DecisionRecord
from services.models import Application, ApplicationEvent
from tests.factories import DepartmentFactory, item_with_stages, routed_application

APPLICATIONS = 250
DEPARTMENTS = 4


def overdue_cases() -> list[int]:
    """250 accepted applications whose four review tasks are all past their deadline.

    One case goes through the real pipeline; the others copy its frozen definition and are
    bulk-created, with their tasks, so that setting up 1,000 tasks takes a moment.
    """
    departments = [DepartmentFactory(name=f"第{n}审批局") for n in range(1, DEPARTMENTS + 1)]
    model = routed_application(item_with_stages([departments]))
    now = timezone.now()
    copies = Application.objects.bulk_create(
        [
            Application(
                item=model.item,
                implementation=model.implementation,
                item_version=model.item_version,
                applicant=model.applicant,
                tracking_number=f"{model.tracking_number}-{n:04d}",
                status=Application.Status.IN_REVIEW,
                answers=model.answers,
                current_stage=1,
                submitted_at=model.submitted_at,
                routed_at=model.routed_at,
                accepted_at=model.accepted_at,
                due_at=model.due_at,
            )
            for n in range(1, APPLICATIONS)
        ]
    )
    ReviewTask.objects.bulk_create(
        [
            ReviewTask(
                application=application,
                stage_order=1,
                stage_name="第1环节",
                department=department,
                time_limit_days=5,
                timeout_policy=TimeoutPolicy.DEEMED_APPROVAL,
                due_at=now,
                remind_at=now,
            )
            for application in copies
            for department in departments
        ]
    )
    cases = [model.pk, *(application.pk for application in copies)]
    # Each case's four tasks fall due together, as a stage whose departments share a time limit
    # does; the cases one second apart, all in the past. (When one case's tasks are spread over
    # both sweepers' batches, a task whose case the other sweeper holds is skipped and left to
    # the next sweep: exactly once still, but a minute later.)
    for index, application_id in enumerate(cases):
        due = now - timedelta(hours=1, seconds=index)
        ReviewTask.objects.filter(application_id=application_id, stage_order=1).update(
            due_at=due, remind_at=due - timedelta(days=2)
        )
    return cases


def sweep_at_once(sweepers: int) -> list[SweepResult | Exception]:
    barrier = threading.Barrier(sweepers)
    results: list = [None] * sweepers

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = sweep_overdue_tasks()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_deem_each_of_a_thousand_overdue_tasks_approved_exactly_once():
    cases = overdue_cases()
    due = set(
        ReviewTask.objects.filter(application__in=cases, stage_order=1).values_list("pk", flat=True)
    )
    assert len(due) == APPLICATIONS * DEPARTMENTS == 1000

    first, second = sweep_at_once(2)

    assert isinstance(first, SweepResult), first
    assert isinstance(second, SweepResult), second
    assert first.escalated == second.escalated == []
    assert len(first.deemed_approved) == len(set(first.deemed_approved))
    assert len(second.deemed_approved) == len(set(second.deemed_approved))
    assert not set(first.deemed_approved) & set(second.deemed_approved)
    assert set(first.deemed_approved) | set(second.deemed_approved) == due
    assert first.deemed_approved and second.deemed_approved, "one sweeper did all the work"

    assert set(
        ReviewTask.objects.filter(pk__in=due).values_list("state", flat=True).distinct()
    ) == {ReviewTask.State.DEEMED_APPROVED}
    assert set(
        Application.objects.filter(pk__in=cases).values_list("status", flat=True).distinct()
    ) == {Application.Status.APPROVED}
    approved_events = (
        ApplicationEvent.objects.filter(application__in=cases, kind=ApplicationEvent.Kind.APPROVED)
        .values("application")
        .annotate(n=Count("id"))
    )
    assert sorted(row["application"] for row in approved_events) == sorted(cases)
    assert {row["n"] for row in approved_events} == {1}
    records = DecisionRecord.objects.filter(application__in=cases)
    assert records.count() == records.values("application").distinct().count() == APPLICATIONS
    assert {r.deemed_approved_by for r in records} == {"第1审批局、第2审批局、第3审批局、第4审批局"}

    # Nothing is left for the next sweep.
    assert sweep_overdue_tasks().handled == 0
