"""Deadlines enforced by the system: silence means consent, or escalation; reminders before.

Time is moved with time-machine. Every case below is filed on Monday 23 November 2026 at
10:00 in Shanghai and accepted at once, so a 5-working-day review ends on Monday 30 November
at 17:30, and the reminder (2 working days before) is due from Thursday 26 November.
"""

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from approvals.calendar import add_working_days
from approvals.clocks import stop_clock
from approvals.decisions import Outcome, decide
from approvals.models import ClockStop, ReviewTask, TimeoutPolicy
from approvals.tasks import sweep_deadlines
from approvals.timeouts import claim_due_reminders, sweep_overdue_tasks
from disclosure.models import DecisionRecord
from services.models import Application, ApplicationEvent
from tests.factories import (
    DepartmentFactory,
    acceptance_task,
    email_pending_notifications,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
State = ReviewTask.State
Status = Application.Status
Event = ApplicationEvent.Kind

FILED = shanghai("2026-11-23 10:00")
REVIEW_DEADLINE = shanghai("2026-11-30 17:30")
JUST_AFTER_THE_DEADLINE = shanghai("2026-11-30 17:31")


@pytest.fixture
def four_departments():
    return [
        DepartmentFactory(name="市市场监督管理局"),
        DepartmentFactory(name="市卫生健康委员会"),
        DepartmentFactory(name="市消防救援支队"),
        DepartmentFactory(name="市生态环境局"),
    ]


@pytest.fixture
def clock():
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


def task_of(application, department) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=department, stage_order=1)


def reload(application) -> Application:
    return Application.objects.get(pk=application.pk)


# --- the deadlines themselves ----------------------------------------------------------------------


def test_review_deadline_counts_working_days_from_acceptance(clock, four_departments):
    application = routed_application(item_with_stages([four_departments]))

    for department in four_departments:
        task = task_of(application, department)
        assert task.due_at == REVIEW_DEADLINE == add_working_days(FILED, 5)
        assert task.remind_at == shanghai("2026-11-26 00:00")


def test_deadlines_skip_national_day_and_count_its_make_up_saturday(four_departments):
    with time_machine.travel(shanghai("2026-09-30 10:00"), tick=False):
        application = routed_application(item_with_stages([four_departments[:1]]))

    assert acceptance_task(application).due_at == shanghai("2026-10-13 17:30")
    assert task_of(application, four_departments[0]).due_at == shanghai("2026-10-13 17:30")


def test_case_handled_by_one_department_has_the_statutory_limit(clock, four_departments):
    application = routed_application(item_with_stages([four_departments[:1]]))

    assert application.due_at == add_working_days(FILED, 20)


def test_promised_limit_replaces_the_statutory_one(clock, four_departments):
    item = item_with_stages([four_departments], promised_limit_days=12)

    application = routed_application(item)

    assert application.due_at == add_working_days(FILED, 12)


def test_joint_handling_by_several_departments_has_the_joint_limit(clock, four_departments):
    application = routed_application(item_with_stages([four_departments], joint_limit_days=30))

    assert application.due_at == add_working_days(FILED, 30)


# --- silence means consent (缺席默认制) -----------------------------------------------------------


@pytest.fixture
def three_approved_one_silent(clock, four_departments):
    application = routed_application(item_with_stages([four_departments]))
    for department in four_departments[:3]:
        decide(task_of(application, department).pk, reviewer_of(department), Outcome.APPROVE)
    return application


def test_silent_department_is_deemed_approved_after_its_deadline(
    three_approved_one_silent, four_departments, clock
):
    clock.move_to(JUST_AFTER_THE_DEADLINE)

    result = sweep_overdue_tasks()

    silent = task_of(three_approved_one_silent, four_departments[3])
    assert result.deemed_approved == [silent.pk]
    assert silent.state == State.DEEMED_APPROVED
    assert silent.decided_by is None
    assert silent.decided_at == JUST_AFTER_THE_DEADLINE
    with translation.override(settings.LANGUAGE_CODE):  # opinions are kept in the official language
        expected = gettext("Deemed approved — no response by %(deadline)s") % {
            "deadline": date_format(timezone.localtime(REVIEW_DEADLINE), "DATETIME_FORMAT")
        }
    assert silent.opinion == expected
    event = three_approved_one_silent.events.get(kind=Event.DEEMED_APPROVED_BY_DEPARTMENT)
    assert (event.department, event.note) == (four_departments[3], expected)


def test_case_is_approved_when_its_last_silent_department_is_deemed_to_approve(
    three_approved_one_silent, four_departments, clock
):
    clock.move_to(JUST_AFTER_THE_DEADLINE)

    sweep_overdue_tasks()

    application = reload(three_approved_one_silent)
    assert application.status == Status.APPROVED
    assert application.events.filter(kind=Event.APPROVED).count() == 1
    record = DecisionRecord.objects.get(application=application)
    assert record.outcome == DecisionRecord.Outcome.APPROVED
    assert record.deemed_approved_by == "市生态环境局"
    assert "市生态环境局" in record.departments


def test_department_is_not_deemed_to_approve_before_its_deadline(
    three_approved_one_silent, four_departments, clock
):
    clock.move_to(shanghai("2026-11-30 17:29"))

    result = sweep_overdue_tasks()

    assert result.handled == 0
    assert task_of(three_approved_one_silent, four_departments[3]).state == State.PENDING
    assert reload(three_approved_one_silent).status == Status.IN_REVIEW


def test_second_sweep_finds_nothing_left_to_deem(three_approved_one_silent, clock):
    clock.move_to(JUST_AFTER_THE_DEADLINE)
    sweep_overdue_tasks()

    clock.move_to(shanghai("2026-12-01 09:00"))
    again = sweep_overdue_tasks()

    assert again.handled == 0
    assert reload(three_approved_one_silent).events.filter(kind=Event.APPROVED).count() == 1


# --- escalation to the head --------------------------------------------------------------------------


@pytest.fixture
def escalating_case(clock, four_departments):
    item = item_with_stages([four_departments[:1]], timeout_policy=TimeoutPolicy.ESCALATION)
    return routed_application(item)


def test_overdue_task_of_an_escalating_step_goes_to_the_head_and_stays_open(
    escalating_case, four_departments, clock, mailoutbox
):
    department = four_departments[0]
    head = head_of(department, email="head@market.gov.cn")
    reviewer_of(department, email="reviewer@market.gov.cn")
    clock.move_to(JUST_AFTER_THE_DEADLINE)
    mailoutbox.clear()

    swept = sweep_deadlines()
    email_pending_notifications("task_overdue")
    email_pending_notifications("task_reminder")

    assert swept["escalated"] == 1 and swept["deemed_approved"] == 0
    task = task_of(escalating_case, department)
    assert task.state == State.PENDING
    assert task.escalated_at == JUST_AFTER_THE_DEADLINE
    event = escalating_case.events.get(kind=Event.ESCALATED)
    assert event.department == department
    # One e-mail, to the head; no "deadline approaching" reminder once the deadline has passed.
    assert [m.to for m in mailoutbox] == [[head.email]]
    assert escalating_case.tracking_number in mailoutbox[0].subject
    assert reload(escalating_case).status == Status.IN_REVIEW


def test_escalated_task_is_escalated_once(escalating_case, four_departments, clock, mailoutbox):
    head_of(four_departments[0], email="head@market.gov.cn")
    clock.move_to(JUST_AFTER_THE_DEADLINE)
    sweep_deadlines()
    email_pending_notifications()
    sent = len(mailoutbox)

    clock.move_to(shanghai("2026-12-01 09:00"))
    again = sweep_deadlines()
    email_pending_notifications()

    assert again == {"deemed_approved": 0, "escalated": 0, "reminded": 0, "claims_lapsed": 0}
    assert len(mailoutbox) == sent
    assert escalating_case.events.filter(kind=Event.ESCALATED).count() == 1


def test_head_can_still_decide_an_escalated_task(escalating_case, four_departments, clock):
    department = four_departments[0]
    clock.move_to(JUST_AFTER_THE_DEADLINE)
    sweep_overdue_tasks()

    decide(task_of(escalating_case, department).pk, head_of(department), Outcome.APPROVE, "同意")

    assert reload(escalating_case).status == Status.APPROVED


# --- reminders ---------------------------------------------------------------------------------------


def test_reminders_are_claimed_once_each(clock, four_departments):
    application = routed_application(item_with_stages([four_departments[:2]]))
    clock.move_to(shanghai("2026-11-26 09:00"))

    first = claim_due_reminders()
    second = claim_due_reminders()

    assert sorted(first) == sorted(
        task_of(application, department).pk for department in four_departments[:2]
    )
    assert second == []


def test_no_reminder_before_the_reminder_period(clock, four_departments):
    routed_application(item_with_stages([four_departments[:2]]))
    clock.move_to(shanghai("2026-11-25 23:59"))

    assert claim_due_reminders() == []


def test_task_with_a_stopped_clock_gets_no_reminder(clock, four_departments):
    market, health = four_departments[:2]
    application = routed_application(item_with_stages([[market, health]]))
    stop_clock(
        task_of(application, market).pk,
        reviewer_of(market),
        ClockStop.Reason.INSPECTION,
        "现场核查",
    )
    clock.move_to(shanghai("2026-11-26 09:00"))

    reminded = claim_due_reminders()

    assert reminded == [task_of(application, health).pk]


def test_reminder_email_goes_to_the_departments_staff(clock, four_departments, mailoutbox):
    department = four_departments[0]
    application = routed_application(item_with_stages([[department]]))
    reviewer = reviewer_of(department, email="reviewer@market.gov.cn")
    clock.move_to(shanghai("2026-11-26 09:00"))

    swept = sweep_deadlines()
    email_pending_notifications("task_reminder")

    assert swept["reminded"] == 1
    reminders = [m for m in mailoutbox if application.tracking_number in m.subject]
    assert [m.to for m in reminders] == [[reviewer.email]]


def test_task_already_past_its_deadline_gets_no_late_reminder(escalating_case, clock):
    clock.move_to(JUST_AFTER_THE_DEADLINE)

    assert claim_due_reminders() == []
    assert not ReviewTask.objects.filter(
        application=escalating_case, state=State.PENDING, reminded_at__isnull=True
    ).exists()
