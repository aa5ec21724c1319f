"""The applicant's status page: the progress picture of stages and departments in words, the
working days left, the clock stops with their reasons, and the timeline."""

import re

import pytest
import time_machine

from approvals import clocks
from approvals.models import ReviewTask
from approvals.queues import Progress, application_progress
from approvals.timeouts import sweep_overdue_tasks
from tests.factories import (
    DepartmentFactory,
    ReviewTaskFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def health():
    return DepartmentFactory(code="health", name="市卫生健康委员会", name_en="Health Commission")


@pytest.fixture
def fire():
    return DepartmentFactory(code="fire", name="市消防救援支队", name_en="Fire Brigade")


@pytest.fixture
def police():
    return DepartmentFactory(code="police", name="市公安局", name_en="Public Security")


def task_of(application, department) -> ReviewTask:
    return application.review_tasks.get(department=department)


def text_of(html: str) -> str:
    """The page as a screen reader says it: tags and decorative icons out, spaces folded."""
    html = re.sub(r'<span class="progress-icon[^>]*>.*?</span>', " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def stepper_of(html: str) -> str:
    return text_of(
        html[html.index('<ol class="stepper"') : html.index("</ol>", html.index("stepper"))]
    )


@pytest.fixture
def three_stage_case(market, health, fire, police):
    """Stage 1: market approved, health silent past its deadline (deemed approved);
    stage 2: fire reviewing; stage 3: police, not yet open."""
    item = item_with_stages([[market, health], [fire], [police]], audience="both")
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        application = routed_application(item)
        ReviewTaskFactory(application=application, department=market, decided=True)
    with time_machine.travel(shanghai("2026-12-03 10:00"), tick=False):
        sweep_overdue_tasks()
    application.refresh_from_db()
    return application


def test_progress_picture_says_done_deemed_approved_in_progress_and_waiting_in_words(
    client_for, three_stage_case, market, health, fire, police
):
    application = three_stage_case

    with time_machine.travel(shanghai("2026-12-03 11:00"), tick=False):
        html = client_for(application.applicant).get(application.get_absolute_url()).content
    html = html.decode()

    assert stepper_of(html).split() == (
        "Acceptance Done 1. 第1环节 Done 2. 第2环节 In progress 3. 第3环节 Waiting".split()
    )
    page = text_of(html)
    assert "2 of 2 departments have finished" in page
    assert "3 of 5 departments have finished." in page
    assert "Market Regulation Approved" in page
    assert "Health Commission Deemed approved (no response in time)" in page
    assert "Fire Brigade Under review" in page
    assert "Public Security Waiting" in page
    assert 'aria-current="step"' in html  # the current stage, for screen readers too


def test_each_open_task_shows_its_working_days_left_and_the_case_its_own(
    client_for, market, health
):
    item = item_with_stages([[market, health]], time_limit_days=5)
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):  # a Monday
        application = routed_application(item)
        ReviewTask.objects.filter(pk=task_of(application, health).pk).update(
            due_at=shanghai("2026-11-25 17:30")
        )
        page = text_of(
            client_for(application.applicant).get(application.get_absolute_url()).content.decode()
        )

    assert "Market Regulation Under review" in page
    assert "Time left 5 working days" in page
    assert "Time left 2 working days" in page
    assert re.search(r"Overall due date \d+ \w+ \d{4} \( ?\d+ working days left ?\)", page)


def test_a_clock_stop_shows_its_reason_and_freezes_the_days_left(client_for, market):
    item = item_with_stages([[market]])
    reviewer = reviewer_of(market)
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        application = routed_application(item)
        clocks.stop_clock(
            task_of(application, market).pk, reviewer, "inspection", "12月1日现场核查"
        )
        page = text_of(
            client_for(application.applicant).get(application.get_absolute_url()).content.decode()
        )

    assert "Market Regulation Under review" in page
    assert "1. 第1环节 In progress, clock stopped" in page
    assert "Time left paused while the clock is stopped" in page
    clock_section = page[page.index("Clock stops Time spent") :]
    assert "On-site inspection" in clock_section and "12月1日现场核查" in clock_section
    assert "still stopped" in clock_section


def test_an_ended_clock_stop_stays_listed_with_the_days_not_counted(client_for, market):
    item = item_with_stages([[market]])
    reviewer = reviewer_of(market)
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        application = routed_application(item)
        clocks.stop_clock(task_of(application, market).pk, reviewer, "hearing", "听证")
    with time_machine.travel(shanghai("2026-11-26 10:00"), tick=False):
        clocks.resume_clock(task_of(application, market).pk, reviewer)
        page = text_of(
            client_for(application.applicant).get(application.get_absolute_url()).content.decode()
        )

    clock_section = page[page.index("Clock stops Time spent") :]
    assert "Hearing" in clock_section and "3 working days not counted" in clock_section
    assert "Timeline" in page and "Clock resumed" in page


def test_a_rejection_shows_the_stage_as_rejected_and_the_rest_closed(client_for, market, fire):
    item = item_with_stages([[market], [fire]])
    application = routed_application(item)
    ReviewTaskFactory(
        application=application, department=market, rejected=True, opinion="场所不符。"
    )

    html = client_for(application.applicant).get(application.get_absolute_url()).content.decode()

    assert stepper_of(html).split() == (
        "Acceptance Done 1. 第1环节 Rejected 2. 第2环节 Waiting".split()
    )
    assert "场所不符。" in text_of(html)


def test_progress_states_follow_the_tasks(three_stage_case, market, health, fire, police):
    stages = application_progress(three_stage_case)

    by_department = {
        row["department"].department_id: row["progress"]
        for stage in stages
        for row in stage["departments"]
    }
    assert by_department[market.pk] == Progress.DONE
    assert by_department[health.pk] == Progress.DEEMED_APPROVED
    assert by_department[fire.pk] == Progress.IN_PROGRESS
    assert by_department[police.pk] == Progress.WAITING
    assert [stage["progress"] for stage in stages] == [
        Progress.DONE,
        Progress.DONE,
        Progress.IN_PROGRESS,
        Progress.WAITING,
    ]


def test_the_status_page_stays_the_applicants_own(client_for, three_stage_case):
    from tests.factories import CitizenFactory

    response = client_for(CitizenFactory()).get(three_stage_case.get_absolute_url())

    assert response.status_code == 404


def test_the_status_page_reads_the_case_in_a_bounded_number_of_queries(
    client_for, three_stage_case, django_assert_max_num_queries
):
    client = client_for(three_stage_case.applicant)
    client.get(three_stage_case.get_absolute_url())  # warm the session and calendar

    with django_assert_max_num_queries(25):
        response = client.get(three_stage_case.get_absolute_url())

    assert response.status_code == 200


def test_the_status_page_names_the_material_of_each_file(client_for, market):
    application = routed_application(item_with_stages([[market]]))
    material = application.definition.materials[0]

    page = text_of(
        client_for(application.applicant).get(application.get_absolute_url()).content.decode()
    )

    attachment = application.attachments.get(material_code=material.code, is_current=True)
    assert f"{material.name} {attachment.original_name}" in page
