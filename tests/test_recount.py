"""A calendar edit recounts every open deadline from scratch, exactly once (issue 17 §5).

Cases are filed and accepted on Monday 23 November 2026 at 10:00 in Shanghai; their review
tasks (5 working days) are due on Monday 30 November at 17:30, the case (20 days) on
21 December. Then an administrator declares Wednesday 25 November a holiday.
"""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection

from accounts.models import Notification
from approvals.calendar import add_working_days
from approvals.clocks import resume_clock, stop_clock
from approvals.explanation import explain_task_deadline
from approvals.models import CalendarDay, CalendarVersion, ClockStop, ReviewTask
from approvals.recount import recount_deadlines
from services.models import Application, ApplicationEvent
from tests.factories import (
    DepartmentFactory,
    StaffFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
    wait_until,
)

Kind = CalendarDay.Kind
Event = ApplicationEvent.Kind
FILED = shanghai("2026-11-23 10:00")
HOLIDAY = date(2026, 11, 25)


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def health():
    return DepartmentFactory(code="health", name="市卫生健康委员会", name_en="Health Commission")


@pytest.fixture
def clock():
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


def counted_in_force() -> None:
    """The deadlines of the calendar as it is now are in force (as after the last recount)."""
    CalendarVersion.objects.update(deadlines_token=CalendarVersion.objects.get().token)


def declare_holiday(day: date = HOLIDAY) -> None:
    CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": Kind.HOLIDAY, "name": "City Foundation Day"}
    )


def task_of(application, department) -> ReviewTask:
    return ReviewTask.objects.select_related("extension").get(
        application=application, department=department, stage_order=1
    )


@pytest.mark.django_db
def test_a_new_holiday_moves_each_open_deadline_once_with_one_entry_and_one_message_each(
    clock, market, health
):
    case = routed_application(item_with_stages([[market, health]], statutory_limit_days=20))
    reviewer = reviewer_of(market)
    counted_in_force()
    assert task_of(case, market).due_at == shanghai("2026-11-30 17:30")

    declare_holiday()
    first = recount_deadlines()
    again = recount_deadlines()

    case.refresh_from_db()
    assert task_of(case, market).due_at == shanghai("2026-12-01 17:30")
    assert task_of(case, health).due_at == shanghai("2026-12-01 17:30")
    assert case.due_at == add_working_days(case.accepted_at, case.definition.overall_limit_days())
    assert sorted(first.cases_moved) == [case.pk] and len(first.tasks_moved) == 2
    assert again.cases_moved == [] and again.tasks_moved == []
    assert case.events.filter(kind=Event.DEADLINES_RECOUNTED).count() == 1
    assert (
        Notification.objects.filter(recipient=case.applicant, kind="deadlines_recounted").count()
        == 1
    )
    assert (
        Notification.objects.filter(
            recipient=reviewer, kind="department_deadlines_recounted"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_holiday_inside_a_clock_stop_moves_nothing_since_the_stop_did_not_count_it(clock, market):
    """Shifting blindly would add a day; counting from scratch sees that the stop, which
    added its working days, now spans one fewer."""
    case = routed_application(item_with_stages([[market]], statutory_limit_days=20))
    reviewer = reviewer_of(market)
    clock.move_to(shanghai("2026-11-24 10:00"))
    stop_clock(task_of(case, market).pk, reviewer, ClockStop.Reason.HEARING, "听证")
    clock.move_to(shanghai("2026-11-27 10:00"))
    resume_clock(task_of(case, market).pk, reviewer)
    counted_in_force()
    case.refresh_from_db()
    before, case_before = task_of(case, market).due_at, case.due_at

    declare_holiday()  # Wednesday 25th, inside the stop: it stood still 2 working days, not 3
    result = recount_deadlines()

    task = task_of(case, market)
    case.refresh_from_db()
    assert before == shanghai("2026-12-03 17:30")  # 30 Nov + 25, 26, 27 stood still
    assert (task.due_at, case.due_at) == (before, case_before)
    assert task.due_at == explain_task_deadline(task, names={}).due_at
    assert task.clock_stops.get().stopped_working_days == 2
    assert result.cases_moved == []
    assert not case.events.filter(kind=Event.DEADLINES_RECOUNTED).exists()


@pytest.mark.django_db
def test_removing_the_holiday_again_restores_the_first_deadlines(clock, market):
    case = routed_application(item_with_stages([[market]]))
    counted_in_force()
    original = task_of(case, market).due_at

    declare_holiday()
    recount_deadlines()
    CalendarDay.objects.filter(date=HOLIDAY).delete()
    recount_deadlines()

    assert task_of(case, market).due_at == original
    assert case.events.filter(kind=Event.DEADLINES_RECOUNTED).count() == 2


@pytest.mark.django_db
def test_a_recount_under_ten_thousand_open_tasks_equals_a_recount_from_scratch(
    clock, market, health
):
    """Every deadline afterwards is the from-scratch count: fails if the edit is ignored
    (dates unchanged) or applied twice (two days later)."""
    template = routed_application(item_with_stages([[market, health]], statutory_limit_days=20))
    seed = list(ReviewTask.objects.filter(application=template, stage_order=1))
    applications = Application.objects.bulk_create(
        [
            Application(
                item=template.item,
                implementation=template.implementation,
                item_version=template.item_version,
                applicant=template.applicant,
                status=template.status,
                answers=template.answers,
                submitted_at=template.submitted_at,
                routed_at=template.routed_at,
                accepted_at=template.accepted_at,
                due_at=template.due_at,
                current_stage=1,
                tracking_number=f"2026112399{n:06d}",
            )
            for n in range(5_000)
        ]
    )
    ReviewTask.objects.bulk_create(
        [
            ReviewTask(
                application=application,
                stage_order=1,
                stage_name=task.stage_name,
                department_id=task.department_id,
                time_limit_days=task.time_limit_days,
                timeout_policy=task.timeout_policy,
                due_at=task.due_at,
                reminder_days=task.reminder_days,
                remind_at=task.remind_at,
            )
            for application in applications
            for task in seed
        ]
    )
    counted_in_force()
    assert ReviewTask.objects.filter(state="pending", stage_order=1).count() >= 10_000

    declare_holiday()
    recount_deadlines()
    recount_deadlines()

    expected_task = add_working_days(FILED, 5)
    expected_case = add_working_days(template.accepted_at, template.definition.overall_limit_days())
    assert expected_task == shanghai("2026-12-01 17:30")
    assert set(
        ReviewTask.objects.filter(stage_order=1).values_list("due_at", flat=True).distinct()
    ) == {expected_task}
    assert set(Application.objects.values_list("due_at", flat=True).distinct()) == {expected_case}
    assert ApplicationEvent.objects.filter(kind=Event.DEADLINES_RECOUNTED).count() == 5_001


@pytest.mark.django_db(transaction=True)
def test_two_processes_recounting_the_same_edit_leave_one_result(clock, market):
    case = routed_application(item_with_stages([[market]]))
    counted_in_force()
    declare_holiday()
    results, errors = [], []

    def recount():
        try:
            results.append(recount_deadlines())
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recount) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    # The session's worker may run a third recount (the edit's own message): still one result.
    assert sum(len(result.cases_moved) for result in results) <= 1
    assert task_of(case, market).due_at == shanghai("2026-12-01 17:30")
    assert case.events.filter(kind=Event.DEADLINES_RECOUNTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_edit_in_the_admin_is_recounted_by_the_worker_within_seconds(
    clock, market, celery_worker, client_for
):
    case = routed_application(item_with_stages([[market]]))
    counted_in_force()
    admin = client_for(StaffFactory(is_staff=True, is_superuser=True))

    response = admin.post(
        "/admin/approvals/calendarday/add/",
        {"date": HOLIDAY.isoformat(), "kind": Kind.HOLIDAY, "name": "City Foundation Day"},
    )

    assert response.status_code == 302
    assert wait_until(
        lambda: task_of(case, market).due_at == shanghai("2026-12-01 17:30"), timeout=30
    )
    assert case.events.filter(kind=Event.DEADLINES_RECOUNTED).count() == 1
