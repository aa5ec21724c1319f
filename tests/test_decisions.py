"""Decisions of departments, the join of a stage, supplements, and decisions that race."""

import threading

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from approvals.calendar import add_working_days, working_days_between
from approvals.decisions import AlreadyDecided, Outcome, decide
from approvals.models import ReviewTask
from disclosure.models import DecisionRecord
from services.models import Application, ApplicationEvent, Attachment
from tests.factories import (
    DepartmentFactory,
    application_form_data,
    item_with_stages,
    png_upload,
    reviewer_of,
    routed_application,
    shanghai,
)

State = ReviewTask.State
Status = Application.Status


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


@pytest.fixture
def fire():
    return DepartmentFactory(name="市消防救援支队")


@pytest.fixture
def one_stage_item(market, health):
    return item_with_stages([[market, health]])


@pytest.fixture
def two_stage_item(market, health, fire):
    return item_with_stages([[market, health], [fire]])


def task_of(application: Application, department, stage: int = 1) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=department, stage_order=stage)


def reload(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


# --- one stage -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_application_is_approved_when_every_department_approves(one_stage_item, market, health):
    application = routed_application(one_stage_item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE, "符合条件")
    decide(task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE)

    application = reload(application)
    assert application.status == Status.APPROVED
    assert application.decided_at is not None
    assert application.events.filter(kind=ApplicationEvent.Kind.APPROVED).count() == 1


@pytest.mark.django_db
def test_application_stays_in_review_while_a_department_has_not_decided(one_stage_item, market):
    application = routed_application(one_stage_item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE)

    assert reload(application).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_one_rejection_rejects_the_application_with_its_reasons(one_stage_item, market, health):
    application = routed_application(one_stage_item)

    decide(
        task_of(application, health).pk,
        reviewer_of(health),
        Outcome.REJECT,
        "经营场所不符合卫生要求",
    )

    application = reload(application)
    assert application.status == Status.REJECTED
    assert "市卫生健康委员会: 经营场所不符合卫生要求" in application.decision_reason


@pytest.mark.django_db
def test_rejection_closes_the_other_departments_open_tasks(one_stage_item, market, health):
    application = routed_application(one_stage_item)

    decide(
        task_of(application, health).pk,
        reviewer_of(health),
        Outcome.REJECT,
        "经营场所不符合卫生要求",
    )

    assert task_of(application, market).state == State.CANCELLED
    assert task_of(application, health).state == State.REJECTED


@pytest.mark.django_db
def test_rejection_without_reasons_is_refused_and_changes_nothing(one_stage_item, health):
    application = routed_application(one_stage_item)

    with pytest.raises(ValidationError) as error:
        decide(task_of(application, health).pk, reviewer_of(health), Outcome.REJECT, "   ")

    assert "opinion" in error.value.message_dict
    assert task_of(application, health).state == State.PENDING
    assert reload(application).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_decided_task_cannot_be_decided_again(one_stage_item, market):
    application = routed_application(one_stage_item)
    task = task_of(application, market)
    decide(task.pk, reviewer_of(market), Outcome.APPROVE)

    with pytest.raises(AlreadyDecided):
        decide(task.pk, reviewer_of(market), Outcome.REJECT, "改变主意")

    assert task_of(application, market).state == State.APPROVED


@pytest.mark.django_db
def test_department_decision_records_who_decided_and_the_opinion(one_stage_item, market):
    application = routed_application(one_stage_item)
    reviewer = reviewer_of(market)

    decide(task_of(application, market).pk, reviewer, Outcome.APPROVE, "材料齐全")

    task = task_of(application, market)
    assert (task.state, task.decided_by, task.opinion) == (State.APPROVED, reviewer, "材料齐全")
    event = application.events.get(kind=ApplicationEvent.Kind.APPROVED_BY_DEPARTMENT)
    assert (event.department, event.note) == (market, "材料齐全")


# --- stages in order -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_stage_waits_until_every_first_stage_department_approves(two_stage_item, market):
    application = routed_application(two_stage_item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE)

    assert not ReviewTask.objects.filter(application=application, stage_order=2).exists()
    assert reload(application).current_stage == 1


@pytest.mark.django_db
def test_second_stage_opens_when_the_first_stage_is_complete(two_stage_item, market, health, fire):
    application = routed_application(two_stage_item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE)
    decide(task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE)

    application = reload(application)
    assert application.status == Status.IN_REVIEW
    assert application.current_stage == 2
    assert task_of(application, fire, stage=2).state == State.PENDING
    second_stage_opened = application.events.filter(
        kind=ApplicationEvent.Kind.STAGE_OPENED, note__contains="市消防救援支队"
    )
    assert second_stage_opened.count() == 1
    assert "第2环节" in second_stage_opened.get().note


@pytest.mark.django_db
def test_application_is_approved_after_the_last_stage_approves(
    two_stage_item, market, health, fire
):
    application = routed_application(two_stage_item)
    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE)
    decide(task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE)
    assert reload(application).status == Status.IN_REVIEW

    decide(task_of(application, fire, stage=2).pk, reviewer_of(fire), Outcome.APPROVE)

    assert reload(application).status == Status.APPROVED


@pytest.mark.django_db
def test_rejection_in_the_first_stage_never_opens_the_second(two_stage_item, market):
    application = routed_application(two_stage_item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.REJECT, "不符合规划")

    assert reload(application).status == Status.REJECTED
    assert not ReviewTask.objects.filter(application=application, stage_order=2).exists()


@pytest.mark.django_db
def test_item_that_lets_the_case_continue_after_a_rejection_opens_the_next_stage(
    market, health, fire
):
    item = item_with_stages([[market, health], [fire]], rejection_ends_case=False)
    application = routed_application(item)

    decide(task_of(application, market).pk, reviewer_of(market), Outcome.REJECT, "有保留意见")
    decide(task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE)

    assert reload(application).current_stage == 2
    decide(task_of(application, fire, stage=2).pk, reviewer_of(fire), Outcome.APPROVE)
    application = reload(application)
    assert application.status == Status.REJECTED
    assert "有保留意见" in application.decision_reason


# --- supplements ---------------------------------------------------------------------------------


@pytest.fixture
def supplement_case(one_stage_item, market, health):
    """A case in which the market department asked for a better photo of the site."""
    application = routed_application(one_stage_item)
    decide(
        task_of(application, market).pk,
        reviewer_of(market),
        Outcome.REQUEST_SUPPLEMENT,
        "请补充经营场所照片",
    )
    return reload(application)


@pytest.mark.django_db
def test_supplement_request_pauses_the_application(supplement_case, market):
    assert supplement_case.status == Status.SUPPLEMENT_REQUESTED
    task = task_of(supplement_case, market)
    assert task.state == State.SUPPLEMENT_REQUESTED
    assert task.clock_stopped_at is not None


@pytest.mark.django_db
def test_supplement_request_must_list_what_is_missing(one_stage_item, market):
    application = routed_application(one_stage_item)

    with pytest.raises(ValidationError):
        decide(task_of(application, market).pk, reviewer_of(market), Outcome.REQUEST_SUPPLEMENT, "")

    assert task_of(application, market).state == State.PENDING


@pytest.mark.django_db
def test_applicant_sees_the_supplement_request_on_the_edit_page(supplement_case, client_for):
    page = client_for(supplement_case.applicant).get(
        reverse("services:edit", args=[supplement_case.pk])
    )

    assert page.status_code == 200
    content = page.content.decode()
    assert "请补充经营场所照片" in content
    assert "市市场监督管理局" in content


def send_supplement(client, application):
    return client.post(
        reverse("services:edit", args=[application.pk]),
        application_form_data(submit=True, site_photo=png_upload("门店照片.png")),
    )


@pytest.mark.django_db
def test_supplement_resumes_the_same_task_with_its_deadline_moved_by_the_stop(
    one_stage_item, market, client_for
):
    requested_at, answered_at = shanghai("2026-11-23 10:00"), shanghai("2026-12-07 09:00")
    with time_machine.travel(requested_at, tick=False) as clock:
        application = routed_application(one_stage_item)
        task = task_of(application, market)
        decide(task.pk, reviewer_of(market), Outcome.REQUEST_SUPPLEMENT, "请补充经营场所照片")

        clock.move_to(answered_at)
        response = send_supplement(client_for(application.applicant), application)

    assert response.status_code == 302
    resumed = task_of(application, market)
    assert resumed.pk == task.pk
    assert resumed.state == State.PENDING
    assert resumed.clock_stopped_at is None
    # Two weeks without holidays: the department gets back the 10 working days it waited.
    assert working_days_between(requested_at, answered_at) == 10
    assert resumed.due_at == add_working_days(task.due_at, 10)
    assert reload(application).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_supplement_replaces_the_material_and_keeps_the_old_file(supplement_case, client_for):
    send_supplement(client_for(supplement_case.applicant), supplement_case)

    photos = Attachment.objects.filter(application=supplement_case, material_code="site_photo")
    assert photos.get(is_current=True).original_name == "门店照片.png"
    assert photos.filter(is_current=False).count() == 1


@pytest.mark.django_db
def test_supplement_leaves_the_other_departments_tasks_alone(supplement_case, health, client_for):
    before = task_of(supplement_case, health)

    send_supplement(client_for(supplement_case.applicant), supplement_case)

    after = task_of(supplement_case, health)
    assert (after.state, after.due_at) == (before.state, before.due_at)
    assert ReviewTask.objects.filter(application=supplement_case, stage_order=1).count() == 2


@pytest.mark.django_db
def test_case_is_approved_after_the_supplement_is_accepted(
    supplement_case, market, health, client_for
):
    send_supplement(client_for(supplement_case.applicant), supplement_case)

    decide(
        task_of(supplement_case, market).pk, reviewer_of(market), Outcome.APPROVE, "补正后符合要求"
    )
    decide(task_of(supplement_case, health).pk, reviewer_of(health), Outcome.APPROVE)

    assert reload(supplement_case).status == Status.APPROVED


@pytest.mark.django_db
def test_other_department_may_approve_while_supplements_are_awaited(supplement_case, health):
    decide(task_of(supplement_case, health).pk, reviewer_of(health), Outcome.APPROVE)

    application = reload(supplement_case)
    assert application.status == Status.SUPPLEMENT_REQUESTED
    assert task_of(application, health).state == State.APPROVED


# --- races ---------------------------------------------------------------------------------------


def decide_at_once(calls: list[tuple]) -> list:
    """Run `decide` for each call in its own thread, released together; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, args: tuple) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = decide(*args)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_the_same_task_at_once_record_one_decision(one_stage_item, market):
    application = routed_application(one_stage_item)
    task = task_of(application, market)
    first, second = reviewer_of(market), reviewer_of(market)

    results = decide_at_once(
        [(task.pk, first, Outcome.APPROVE, ""), (task.pk, second, Outcome.APPROVE, "")]
    )

    assert sum(isinstance(r, AlreadyDecided) for r in results) == 1
    assert sum(isinstance(r, ReviewTask) for r in results) == 1
    assert application.events.filter(kind=ApplicationEvent.Kind.APPROVED_BY_DEPARTMENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_last_two_departments_deciding_at_once_join_the_stage_exactly_once(
    one_stage_item, market, health
):
    application = routed_application(one_stage_item)

    results = decide_at_once(
        [
            (task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE, ""),
            (task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE, ""),
        ]
    )

    assert all(isinstance(r, ReviewTask) for r in results), results
    assert reload(application).status == Status.APPROVED
    assert application.events.filter(kind=ApplicationEvent.Kind.APPROVED).count() == 1
    assert DecisionRecord.objects.filter(application=application).count() == 1
    assert application.events.filter(kind=ApplicationEvent.Kind.PUBLISHED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_last_two_first_stage_departments_deciding_at_once_open_the_next_stage_once(
    two_stage_item, market, health, fire
):
    application = routed_application(two_stage_item)

    decide_at_once(
        [
            (task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE, ""),
            (task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE, ""),
        ]
    )

    assert ReviewTask.objects.filter(application=application, stage_order=2).count() == 1
    second_stage_opened = application.events.filter(
        kind=ApplicationEvent.Kind.STAGE_OPENED, note__contains="市消防救援支队"
    )
    assert second_stage_opened.count() == 1
    assert reload(application).current_stage == 2


# --- through the reviewer's page -----------------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_rejecting_on_the_page_without_reasons_is_asked_for_them(
    one_stage_item, market, client_for
):
    application = routed_application(one_stage_item)
    task = task_of(application, market)

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]), {"outcome": Outcome.REJECT, "opinion": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["opinion"] == [
        "Give your reasons: the applicant reads them."
    ]
    assert task_of(application, market).state == State.PENDING


@pytest.mark.django_db
def test_reviewer_deciding_an_already_decided_task_on_the_page_is_told_so(
    one_stage_item, market, client_for
):
    application = routed_application(one_stage_item)
    task = task_of(application, market)
    decide(task.pk, reviewer_of(market), Outcome.APPROVE, "同意")

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]), {"outcome": Outcome.REJECT, "opinion": "不同意"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:task", args=[task.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This task has already been decided."
    ]
    task = task_of(application, market)
    assert (task.state, task.opinion) == (State.APPROVED, "同意")


@pytest.mark.django_db
def test_closed_application_cannot_be_withdrawn(one_stage_item, market, health, client_for):
    application = routed_application(one_stage_item)
    decide(task_of(application, market).pk, reviewer_of(market), Outcome.APPROVE)
    decide(task_of(application, health).pk, reviewer_of(health), Outcome.APPROVE)

    response = client_for(application.applicant).post(
        reverse("services:withdraw", args=[application.pk])
    )

    assert response.status_code == 302
    assert reload(application).status == Status.APPROVED
