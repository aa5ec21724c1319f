"""Acceptance (受理): the service centre accepts, refuses, or sends one supplement notice.

Administrative License Law Art. 32: within 5 working days; one notice listing everything
missing (一次性告知); without an answer in time the application counts as accepted from the
day it was received.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import Department, Membership
from approvals.calendar import add_working_days
from approvals.decisions import Outcome, decide
from approvals.models import ACCEPTANCE_STAGE, ReviewTask
from approvals.timeouts import sweep_overdue_tasks
from services import filing
from services.models import Application, ApplicationEvent, ServiceItemVersion
from tests.factories import (
    DepartmentFactory,
    accept,
    acceptance_task,
    application_at_acceptance,
    application_form_data,
    clerk_of,
    complete_draft,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    service_centre,
    shanghai,
)

pytestmark = pytest.mark.django_db
Status = Application.Status
Event = ApplicationEvent.Kind
State = ReviewTask.State

SUBMITTED_ON_MONDAY = shanghai("2026-11-23 10:00")
# Five working days after Monday 23 November 2026, at the end of office hours.
ACCEPTANCE_DEADLINE = shanghai("2026-11-30 17:30")


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


@pytest.fixture
def item(market, health):
    return item_with_stages([[market, health]])


def reload(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def send_supplement(client, application):
    return client.post(
        reverse("services:edit", args=[application.pk]),
        application_form_data(submit=True, id_card=pdf_upload("身份证（清晰）.pdf")),
    )


# --- the centre answers --------------------------------------------------------------------------


def test_submission_waits_for_acceptance_by_the_service_centre_alone(item):
    application = application_at_acceptance(item)

    task = ReviewTask.objects.get(application=application)
    assert (task.department, task.stage_order) == (service_centre(), ACCEPTANCE_STAGE)
    assert task.department.is_service_centre
    assert application.status == Status.SUBMITTED
    assert application.accepted_at is None
    assert application.due_at is None  # the decision limit starts at acceptance


def test_acceptance_deadline_is_five_working_days_after_routing(item):
    with time_machine.travel(SUBMITTED_ON_MONDAY, tick=False):
        application = application_at_acceptance(item)

    assert acceptance_task(application).due_at == ACCEPTANCE_DEADLINE


def test_clerk_accepting_starts_the_review_and_its_overall_limit(item, market, health):
    with time_machine.travel(SUBMITTED_ON_MONDAY, tick=False) as clock:
        application = application_at_acceptance(item)
        clock.move_to(shanghai("2026-11-24 09:00"))
        application = accept(application)

    assert application.status == Status.IN_REVIEW
    assert application.accepted_at == shanghai("2026-11-24 09:00")
    assert application.due_at == add_working_days(application.accepted_at, 45)  # joint handling
    assert acceptance_task(application).state == State.APPROVED
    event = application.events.get(kind=Event.ACCEPTED)
    assert (event.department, event.actor) == (service_centre(), clerk_of(service_centre()))
    assert set(
        ReviewTask.objects.filter(application=application, stage_order=1).values_list(
            "department", flat=True
        )
    ) == {market.pk, health.pk}


def test_clerk_refusing_to_accept_rejects_the_application_with_the_reasons(item):
    application = application_at_acceptance(item)

    decide(
        acceptance_task(application).pk,
        clerk_of(service_centre()),
        Outcome.REJECT,
        "申请事项不属于本机关职权范围",
    )

    application = reload(application)
    assert application.status == Status.REJECTED
    assert "申请事项不属于本机关职权范围" in application.decision_reason
    assert application.events.filter(kind=Event.NOT_ACCEPTED).count() == 1
    assert not ReviewTask.objects.filter(application=application, stage_order=1).exists()


def test_reviewer_of_a_review_department_cannot_accept(item, market):
    application = application_at_acceptance(item)

    with pytest.raises(PermissionDenied):
        decide(acceptance_task(application).pk, reviewer_of(market), Outcome.APPROVE)

    assert reload(application).status == Status.SUBMITTED


def test_clerk_of_the_centre_cannot_decide_a_review_task(item, market):
    application = accept(application_at_acceptance(item))
    review_task = ReviewTask.objects.get(application=application, department=market)

    with pytest.raises(PermissionDenied):
        decide(review_task.pk, clerk_of(service_centre()), Outcome.APPROVE)


def test_item_with_its_own_accepting_department_is_accepted_there(market, health):
    permits_office = DepartmentFactory(name="市行政审批局")
    item = item_with_stages([[market]], accepting_department=permits_office)
    clerk = reviewer_of(permits_office, role=Membership.Role.CLERK)

    application = application_at_acceptance(item)
    assert acceptance_task(application).department == permits_office
    accept(application, clerk)

    assert reload(application).status == Status.IN_REVIEW


def test_submission_without_any_accepting_department_is_refused_and_nothing_is_submitted(item):
    Department.objects.filter(is_service_centre=True).update(is_service_centre=False)
    application = complete_draft(item)

    with pytest.raises(ValidationError) as error, translation.override("en"):
        filing.submit(application, application.applicant)

    assert error.value.messages == [
        "No service centre accepts this service yet. Please contact the service centre."
    ]
    application = reload(application)
    assert application.status == Status.DRAFT
    assert application.tracking_number is None
    assert not ServiceItemVersion.objects.filter(item=item).exists()


# --- one supplement notice (一次性告知) -------------------------------------------------------------


@pytest.fixture
def notified(item):
    """An application whose acceptance clerk listed what is missing, once."""
    application = application_at_acceptance(item)
    decide(
        acceptance_task(application).pk,
        clerk_of(service_centre()),
        Outcome.REQUEST_SUPPLEMENT,
        "身份证明复印件不清晰，请重新上传",
    )
    return reload(application)


def test_acceptance_supplement_notice_pauses_the_application(notified):
    task = acceptance_task(notified)

    assert notified.status == Status.SUPPLEMENT_REQUESTED
    assert task.state == State.SUPPLEMENT_REQUESTED
    assert task.clock_stopped_at is not None
    assert notified.events.get(kind=Event.SUPPLEMENT_REQUESTED).note == (
        "身份证明复印件不清晰，请重新上传"
    )


def test_supplement_to_the_acceptance_notice_returns_the_case_to_acceptance(notified, client_for):
    response = send_supplement(client_for(notified.applicant), notified)

    assert response.status_code == 302
    application = reload(notified)
    assert application.status == Status.SUBMITTED
    assert application.accepted_at is None
    assert acceptance_task(application).state == State.PENDING
    assert acceptance_task(application).clock_stopped_at is None
    assert not ReviewTask.objects.filter(application=application, stage_order=1).exists()


def test_second_acceptance_supplement_notice_is_refused(notified, client_for):
    send_supplement(client_for(notified.applicant), notified)

    with pytest.raises(ValidationError) as error:
        decide(
            acceptance_task(notified).pk,
            clerk_of(service_centre()),
            Outcome.REQUEST_SUPPLEMENT,
            "另需补充营业执照",
        )

    assert "opinion" in error.value.message_dict
    application = reload(notified)
    assert application.status == Status.SUBMITTED
    assert acceptance_task(application).state == State.PENDING
    assert application.events.filter(kind=Event.SUPPLEMENT_REQUESTED).count() == 1


def test_case_is_accepted_after_the_supplement_to_the_notice(notified, client_for):
    send_supplement(client_for(notified.applicant), notified)

    application = accept(notified)

    assert application.status == Status.IN_REVIEW
    assert ReviewTask.objects.filter(application=application, stage_order=1).count() == 2


# --- silence means acceptance ---------------------------------------------------------------------


def test_centre_silent_past_five_working_days_is_deemed_to_have_accepted(item, market, health):
    with time_machine.travel(SUBMITTED_ON_MONDAY, tick=False) as clock:
        application = application_at_acceptance(item)
        clock.move_to(shanghai("2026-11-30 17:31"))

        result = sweep_overdue_tasks()

    task = acceptance_task(application)
    assert result.deemed_approved == [task.pk]
    assert task.state == State.DEEMED_APPROVED
    application = reload(application)
    assert application.status == Status.IN_REVIEW
    assert application.events.filter(kind=Event.DEEMED_ACCEPTED).count() == 1
    # Art. 32: accepted from the day it was received, so the overall limit runs from then.
    assert application.accepted_at == application.submitted_at == SUBMITTED_ON_MONDAY
    assert application.due_at == add_working_days(SUBMITTED_ON_MONDAY, 45)
    assert application.current_stage == 1
    assert set(
        ReviewTask.objects.filter(application=application, stage_order=1).values_list(
            "department", flat=True
        )
    ) == {market.pk, health.pk}


def test_centre_still_within_its_acceptance_limit_is_left_alone(item):
    with time_machine.travel(SUBMITTED_ON_MONDAY, tick=False) as clock:
        application = application_at_acceptance(item)
        clock.move_to(shanghai("2026-11-30 17:29"))

        result = sweep_overdue_tasks()

    assert result.handled == 0
    assert reload(application).status == Status.SUBMITTED
    assert acceptance_task(application).state == State.PENDING


def test_centre_waiting_for_the_supplement_is_not_deemed_to_accept(notified):
    with time_machine.travel(shanghai("2027-01-29 10:00"), tick=False):
        result = sweep_overdue_tasks()

    assert result.handled == 0
    assert reload(notified).status == Status.SUPPLEMENT_REQUESTED
