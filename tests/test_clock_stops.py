"""Clock stops (暂停计时): hearings, inspections, expert review and supplements do not count.

Administrative License Law Art. 45. Every case here is filed and accepted on Monday
23 November 2026 at 10:00 in Shanghai; its review tasks are due on 30 November at 17:30.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from approvals.calendar import add_working_days, working_days_between
from approvals.clocks import resume_clock, stop_clock
from approvals.decisions import Outcome, decide
from approvals.models import ClockStop, ReviewTask
from approvals.timeouts import sweep_overdue_tasks
from services.models import Application, ApplicationEvent
from tests.factories import (
    DepartmentFactory,
    application_form_data,
    item_with_stages,
    png_upload,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
Reason = ClockStop.Reason
Event = ApplicationEvent.Kind

FILED = shanghai("2026-11-23 10:00")
REVIEW_DEADLINE = shanghai("2026-11-30 17:30")
STOPPED = shanghai("2026-11-24 10:00")  # Tuesday
RESUMED = shanghai("2026-12-01 10:00")  # the next Tuesday, after the original deadline
# Wednesday 25 to Tuesday 1 December: five working days stood still.
STOPPED_WORKING_DAYS = 5


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


@pytest.fixture
def clock():
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def application(clock, market, health):
    return routed_application(item_with_stages([[market, health]]))


def task_of(application, department) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=department, stage_order=1)


def reload(application) -> Application:
    return Application.objects.get(pk=application.pk)


def test_hearing_and_resumption_move_the_deadline_by_exactly_the_stopped_working_days(
    application, market, clock
):
    reviewer = reviewer_of(market)
    task = task_of(application, market)
    assert task.due_at == REVIEW_DEADLINE
    clock.move_to(STOPPED)
    stop_clock(task.pk, reviewer, Reason.HEARING, "听证会定于11月27日举行")

    clock.move_to(RESUMED)
    resume_clock(task.pk, reviewer)

    assert working_days_between(STOPPED, RESUMED) == STOPPED_WORKING_DAYS
    resumed = task_of(application, market)
    assert resumed.due_at == add_working_days(REVIEW_DEADLINE, STOPPED_WORKING_DAYS)
    assert resumed.due_at == shanghai("2026-12-07 17:30")
    assert resumed.clock_stopped_at is None
    stop = ClockStop.objects.get(task=task)
    assert (stop.ended_at, stop.stopped_working_days) == (RESUMED, STOPPED_WORKING_DAYS)


def test_hearing_moves_the_overall_due_date_too(application, market, clock):
    reviewer = reviewer_of(market)
    task = task_of(application, market)
    clock.move_to(STOPPED)
    stop_clock(task.pk, reviewer, Reason.HEARING, "听证")
    assert reload(application).clock_stopped_at == STOPPED

    clock.move_to(RESUMED)
    resume_clock(task.pk, reviewer)

    resumed = reload(application)
    assert resumed.due_at == add_working_days(application.due_at, STOPPED_WORKING_DAYS)
    assert resumed.clock_stopped_at is None


def test_case_clock_runs_again_only_when_no_task_is_stopped(application, market, health, clock):
    clock.move_to(STOPPED)
    stop_clock(task_of(application, market).pk, reviewer_of(market), Reason.INSPECTION, "现场核查")
    stop_clock(
        task_of(application, health).pk, reviewer_of(health), Reason.EXPERT_REVIEW, "专家评审"
    )

    clock.move_to(RESUMED)
    resume_clock(task_of(application, market).pk, reviewer_of(market))

    still_stopped = reload(application)
    assert still_stopped.clock_stopped_at == STOPPED
    assert still_stopped.due_at == application.due_at


def test_stopped_task_is_not_deemed_approved_past_its_original_deadline(application, market, clock):
    clock.move_to(STOPPED)
    stop_clock(task_of(application, market).pk, reviewer_of(market), Reason.HEARING, "听证")
    clock.move_to(shanghai("2026-12-01 09:00"))

    result = sweep_overdue_tasks()

    assert task_of(application, market).pk not in result.deemed_approved
    assert task_of(application, market).state == ReviewTask.State.PENDING


def test_resumed_task_is_deemed_approved_at_its_moved_deadline_not_before(
    application, market, clock
):
    reviewer = reviewer_of(market)
    clock.move_to(STOPPED)
    stop_clock(task_of(application, market).pk, reviewer, Reason.HEARING, "听证")
    clock.move_to(RESUMED)
    resume_clock(task_of(application, market).pk, reviewer)

    market_task = task_of(application, market)

    clock.move_to(shanghai("2026-12-07 17:29"))
    assert market_task.pk not in sweep_overdue_tasks().deemed_approved  # the health one was
    clock.move_to(shanghai("2026-12-07 17:31"))
    assert sweep_overdue_tasks().deemed_approved == [market_task.pk]


def test_supplement_stop_moves_the_task_and_the_application_due_dates(
    application, market, clock, client_for
):
    task = task_of(application, market)
    clock.move_to(STOPPED)
    decide(task.pk, reviewer_of(market), Outcome.REQUEST_SUPPLEMENT, "请补充经营场所照片")
    assert reload(application).clock_stopped_at == STOPPED

    clock.move_to(RESUMED)
    response = client_for(application.applicant).post(
        reverse("services:edit", args=[application.pk]),
        application_form_data(submit=True, site_photo=png_upload("门店照片.png")),
    )

    assert response.status_code == 302
    assert task_of(application, market).due_at == add_working_days(
        task.due_at, STOPPED_WORKING_DAYS
    )
    resumed = reload(application)
    assert resumed.status == Application.Status.IN_REVIEW
    assert resumed.due_at == add_working_days(application.due_at, STOPPED_WORKING_DAYS)
    assert resumed.clock_stopped_at is None


def test_stop_within_one_day_moves_nothing(application, market, clock):
    reviewer = reviewer_of(market)
    clock.move_to(shanghai("2026-11-24 09:00"))
    stop_clock(task_of(application, market).pk, reviewer, Reason.INSPECTION, "上午现场核查")
    clock.move_to(shanghai("2026-11-24 16:00"))

    resume_clock(task_of(application, market).pk, reviewer)

    assert task_of(application, market).due_at == REVIEW_DEADLINE


def test_clock_cannot_be_stopped_twice(application, market):
    reviewer = reviewer_of(market)
    stop_clock(task_of(application, market).pk, reviewer, Reason.HEARING, "听证")

    with pytest.raises(ValidationError):
        stop_clock(task_of(application, market).pk, reviewer, Reason.INSPECTION, "核查")

    assert ClockStop.objects.filter(task__application=application).count() == 1


def test_clock_stops_only_for_a_hearing_an_inspection_or_an_expert_review(application, market):
    with pytest.raises(ValidationError) as error:
        stop_clock(task_of(application, market).pk, reviewer_of(market), Reason.SUPPLEMENT, "")

    assert "reason" in error.value.message_dict
    assert task_of(application, market).clock_stopped_at is None


def test_reviewer_cannot_resume_a_clock_waiting_for_the_applicant(application, market):
    reviewer = reviewer_of(market)
    decide(task_of(application, market).pk, reviewer, Outcome.REQUEST_SUPPLEMENT, "请补充照片")

    with pytest.raises(ValidationError):
        resume_clock(task_of(application, market).pk, reviewer)

    assert task_of(application, market).clock_stopped_at is not None


def test_reviewer_of_another_department_cannot_stop_the_clock(application, market, health):
    with pytest.raises(PermissionDenied):
        stop_clock(task_of(application, market).pk, reviewer_of(health), Reason.HEARING, "听证")

    assert task_of(application, market).clock_stopped_at is None


def test_deciding_a_stopped_task_ends_its_stop(application, market, clock):
    reviewer = reviewer_of(market)
    clock.move_to(STOPPED)
    stop_clock(task_of(application, market).pk, reviewer, Reason.EXPERT_REVIEW, "专家评审")
    clock.move_to(RESUMED)

    decide(task_of(application, market).pk, reviewer, Outcome.APPROVE, "专家意见同意")

    stop = ClockStop.objects.get(task__application=application)
    assert (stop.ended_at, stop.stopped_working_days) == (RESUMED, STOPPED_WORKING_DAYS)
    assert reload(application).clock_stopped_at is None


# --- through the pages ----------------------------------------------------------------------------


def test_reviewer_stops_and_resumes_the_clock_on_the_task_page_and_the_applicant_sees_why(
    application, market, clock, client_for
):
    task = task_of(application, market)
    reviewer_in_market = reviewer_of(market)
    # Days pass between the steps: sessions end after idle minutes, so each logs in afresh.
    clock.move_to(STOPPED)
    reviewer = client_for(reviewer_in_market)
    applicant = client_for(application.applicant)

    stopped = reviewer.post(
        reverse("approvals:clock", args=[task.pk]),
        {"reason": Reason.HEARING, "note": "听证会定于11月27日在市民中心举行"},
    )

    assert stopped.status_code == 302
    assert stopped["Location"] == reverse("approvals:task", args=[task.pk])
    assert task_of(application, market).clock_stopped_at == STOPPED
    status_page = applicant.get(application.get_absolute_url())
    assert "听证会定于11月27日在市民中心举行" in status_page.content.decode()

    clock.move_to(RESUMED)
    reviewer = client_for(reviewer_in_market)
    resumed = reviewer.post(reverse("approvals:clock", args=[task.pk]), {"action": "resume"})

    assert resumed.status_code == 302
    task = task_of(application, market)
    assert task.clock_stopped_at is None
    assert task.due_at == add_working_days(REVIEW_DEADLINE, STOPPED_WORKING_DAYS)
    assert application.events.filter(kind=Event.CLOCK_RESUMED).count() == 1


def test_clock_stop_without_a_valid_reason_on_the_page_changes_nothing(
    application, market, client_for
):
    task = task_of(application, market)

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:clock", args=[task.pk]), {"reason": "lunch", "note": "午休"}
    )

    assert response.status_code == 200
    assert "reason" in response.context["clock_form"].errors
    assert task_of(application, market).clock_stopped_at is None


def test_reviewer_of_another_department_gets_404_on_the_clock_page(
    application, market, health, client_for
):
    task = task_of(application, market)

    response = client_for(reviewer_of(health)).post(
        reverse("approvals:clock", args=[task.pk]), {"reason": Reason.HEARING, "note": "听证"}
    )

    assert response.status_code == 404
    assert task_of(application, market).clock_stopped_at is None
