"""The applicant sees how each deadline was counted: the start, the working days, every
weekend, holiday and make-up day that moved it (named), each clock stop, the extension, and
the close of office hours — on the status page and in the API, in both languages.

The cases are filed and accepted on Monday 23 November 2026 at 10:00 in Shanghai, with five
working days per department. The calendar is given a holiday on Wednesday 25 November and a
make-up working day on Saturday 28 November, so the period ends on Monday 30 November either
way, and the explanation must name both.
"""

from datetime import date

import pytest
import time_machine
from django.utils import translation

from approvals.calendar import add_working_days
from approvals.clocks import decide_extension, request_extension, resume_clock, stop_clock
from approvals.explanation import WEEKEND, explain_case, explain_task_deadline
from approvals.models import CalendarDay, ClockStop, ReviewTask
from approvals.queues import application_progress, tasks_of
from services.models import Application
from tests.factories import (
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
Kind = CalendarDay.Kind

FILED = shanghai("2026-11-23 10:00")
DUE = shanghai("2026-11-30 17:30")


@pytest.fixture
def clock():
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def calendar_edits():
    CalendarDay.objects.update_or_create(
        date=date(2026, 11, 25), defaults={"kind": Kind.HOLIDAY, "name": "City Foundation Day"}
    )
    CalendarDay.objects.update_or_create(
        date=date(2026, 11, 28),
        defaults={"kind": Kind.MAKEUP_WORKDAY, "name": "Make-up working day for 2026-11-25"},
    )


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def health():
    return DepartmentFactory(code="health", name="市卫生健康委员会", name_en="Health Commission")


@pytest.fixture
def case(clock, calendar_edits, market, health):
    return routed_application(item_with_stages([[market, health]], statutory_limit_days=20))


def task_of(application, department) -> ReviewTask:
    return ReviewTask.objects.select_related("extension").get(
        application=application, department=department, stage_order=1
    )


def test_a_task_deadline_names_the_holiday_the_make_up_day_and_the_weekend(case, market):
    with translation.override("en"):
        explanation = explain_task_deadline(task_of(case, market))

    assert explanation.first_counted_day == date(2026, 11, 24)
    assert explanation.working_days == 5
    assert [(d.day, d.kind, d.name, d.counted) for d in explanation.days] == [
        (date(2026, 11, 25), Kind.HOLIDAY, "City Foundation Day", False),
        (date(2026, 11, 28), Kind.MAKEUP_WORKDAY, "Make-up working day for 2026-11-25", True),
        (date(2026, 11, 29), WEEKEND, "", False),
    ]
    assert explanation.due_at == DUE == task_of(case, market).due_at
    assert explanation.matches_record


def test_a_clock_stop_and_an_extension_are_counted_as_the_engine_moved_the_deadline(
    case, market, clock
):
    reviewer = reviewer_of(market)
    task = task_of(case, market)
    clock.move_to(shanghai("2026-11-24 10:00"))
    stop_clock(task.pk, reviewer, ClockStop.Reason.HEARING, "听证")
    clock.move_to(shanghai("2026-12-01 10:00"))
    resume_clock(task.pk, reviewer)
    extension = request_extension(task.pk, reviewer, 3, "需要现场核查")
    decide_extension(extension.pk, head_of(market), approve=True)

    task = task_of(case, market)
    explanation = explain_task_deadline(task)

    [pause] = explanation.pauses
    assert pause.working_days == 5  # 26, 27, 28 (make-up), 30 Nov and 1 Dec; 25 is a holiday
    assert [e.working_days for e in explanation.extensions] == [3]
    assert explanation.counted_days == 5 + 5 + 3
    assert explanation.due_at == task.due_at == add_working_days(FILED, 13)
    assert explanation.matches_record


def test_the_case_deadline_counts_overlapping_stops_of_two_departments_once(
    case, market, health, clock
):
    clock.move_to(shanghai("2026-11-24 10:00"))
    stop_clock(task_of(case, market).pk, reviewer_of(market), ClockStop.Reason.HEARING)
    clock.move_to(shanghai("2026-11-26 10:00"))
    stop_clock(task_of(case, health).pk, reviewer_of(health), ClockStop.Reason.INSPECTION)
    clock.move_to(shanghai("2026-11-27 10:00"))
    resume_clock(task_of(case, market).pk, reviewer_of(market))
    clock.move_to(shanghai("2026-12-02 10:00"))
    resume_clock(task_of(case, health).pk, reviewer_of(health))

    application = Application.objects.get(pk=case.pk)
    deadlines = explain_case(application, tasks_of(application_progress(application)))

    overall = deadlines["overall"]
    [span] = overall.pauses  # the case's clock stood still from the 24th to the 2nd, once
    assert span.started_at == shanghai("2026-11-24 10:00")
    assert span.ended_at == shanghai("2026-12-02 10:00")
    assert overall.due_at == application.due_at
    assert overall.matches_record
    assert {row["task"].department for row in deadlines["departments"]} == {market, health}


def test_a_calendar_changed_after_the_deadline_was_computed_is_said_not_hidden(case, market):
    CalendarDay.objects.filter(date=date(2026, 11, 28)).delete()  # the make-up day is cancelled

    explanation = explain_task_deadline(task_of(case, market))

    assert explanation.due_at == shanghai("2026-12-01 17:30")
    assert explanation.recorded_due_at == DUE
    assert not explanation.matches_record


def test_the_status_page_explains_each_deadline_in_english_and_chinese(case, client_for):
    client = client_for(case.applicant)

    english = client.get(f"/applications/{case.pk}/").content.decode()
    chinese = client.get(
        f"/applications/{case.pk}/", headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert "How the due dates are counted" in english
    assert "Wed 25 Nov 2026: City Foundation Day, not counted" in english
    assert "Sun 29 Nov 2026: weekend, not counted" in english
    assert "a make-up working day, counted" in english
    assert "Market Regulation: 30 Nov 2026" in english
    assert "截止日期如何计算" in chinese
    assert "2026年11月29日：周末，不计入" in chinese
    assert "调休上班日，计入" in chinese


def test_holidays_are_named_as_the_state_council_names_them_for_a_chinese_reader(
    clock, market, health
):
    CalendarDay.objects.update_or_create(
        date=date(2027, 1, 1), defaults={"kind": Kind.HOLIDAY, "name": "New Year's Day"}
    )
    clock.move_to(shanghai("2026-12-31 10:00"))
    task = task_of(routed_application(item_with_stages([[market]])), market)

    with translation.override("en"):
        english = explain_task_deadline(task).days[0]
    with translation.override("zh-hans"):
        chinese = explain_task_deadline(task).days[0]

    assert (english.day, english.name) == (date(2027, 1, 1), "New Year's Day")
    assert (chinese.day, chinese.name) == (date(2027, 1, 1), "元旦")


def test_the_api_gives_the_same_explanation_to_the_applicant_only(case, client_for, market):
    from tests.factories import CitizenFactory

    response = client_for(case.applicant).get(f"/api/v1/applications/{case.pk}/")
    stranger = client_for(CitizenFactory()).get(f"/api/v1/applications/{case.pk}/")

    assert response.status_code == 200
    deadlines = response.json()["deadlines"]
    market_row = next(r for r in deadlines["departments"] if r["department"]["code"] == "market")
    assert market_row["explanation"]["days"] == [
        {"date": "2026-11-25", "kind": "holiday", "name": "City Foundation Day", "counted": False},
        {
            "date": "2026-11-28",
            "kind": "workday",
            "name": "Make-up working day for 2026-11-25",
            "counted": True,
        },
        {"date": "2026-11-29", "kind": "weekend", "name": "", "counted": False},
    ]
    assert market_row["explanation"]["due_at"] == "2026-11-30T17:30:00+08:00"
    assert deadlines["overall"]["working_days"] == case.definition.overall_limit_days()
    assert stranger.status_code == 404
