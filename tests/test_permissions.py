"""Who may see what: applicants their own cases, staff their departments' tasks, nobody else."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Membership
from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from services.models import Application
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    draft_application,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def transport():
    return DepartmentFactory(name="市交通运输局")


@pytest.fixture
def item(market):
    return item_with_stages([[market]])


@pytest.fixture
def citizen_a():
    return CitizenFactory(real_name="张三")


@pytest.fixture
def application_of_a(item, citizen_a):
    return routed_application(item, citizen_a)


@pytest.fixture
def task_of_market(application_of_a, market):
    return ReviewTask.objects.get(application=application_of_a, department=market)


# --- applicants ----------------------------------------------------------------------------------


def test_citizen_cannot_see_another_citizens_application_status(client_for, application_of_a):
    response = client_for(CitizenFactory()).get(
        reverse("application_status", args=[application_of_a.pk])
    )

    assert response.status_code == 404


def test_citizen_cannot_open_another_citizens_draft(client_for, item, citizen_a):
    draft = draft_application(item, citizen_a)

    response = client_for(CitizenFactory()).get(reverse("services:edit", args=[draft.pk]))

    assert response.status_code == 404


def test_citizen_cannot_change_another_citizens_draft(client_for, item, citizen_a):
    draft = draft_application(item, citizen_a)

    response = client_for(CitizenFactory()).post(
        reverse("services:edit", args=[draft.pk]), {"business_name": "冒名顶替", "save": ""}
    )

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.answers == {}


def test_citizen_cannot_download_another_citizens_attachment(client_for, application_of_a):
    attachment = application_of_a.attachments.first()

    response = client_for(CitizenFactory()).get(
        reverse("services:attachment", args=[application_of_a.pk, attachment.pk])
    )

    assert response.status_code == 404


def test_citizen_cannot_reach_an_attachment_through_their_own_application(
    client_for, item, application_of_a
):
    citizen_b = CitizenFactory()
    own = routed_application(item, citizen_b)
    foreign_attachment = application_of_a.attachments.first()

    response = client_for(citizen_b).get(
        reverse("services:attachment", args=[own.pk, foreign_attachment.pk])
    )

    assert response.status_code == 404


def test_citizen_cannot_withdraw_another_citizens_application(client_for, application_of_a):
    response = client_for(CitizenFactory()).post(
        reverse("services:withdraw", args=[application_of_a.pk])
    )

    assert response.status_code == 404
    application_of_a.refresh_from_db()
    assert application_of_a.status == Application.Status.IN_REVIEW


def test_my_applications_lists_only_the_applicants_own(client_for, item, application_of_a):
    citizen_b = CitizenFactory()
    own = routed_application(item, citizen_b)

    response = client_for(citizen_b).get(reverse("services:mine"))

    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert listed == [own]
    assert application_of_a.tracking_number not in response.content.decode()


def test_reviewer_cannot_see_an_applicants_case_through_the_applicant_pages(
    client_for, application_of_a, market
):
    response = client_for(reviewer_of(market)).get(
        reverse("application_status", args=[application_of_a.pk])
    )

    assert response.status_code == 404


# --- staff ---------------------------------------------------------------------------------------


def test_reviewer_sees_the_task_of_their_own_department(client_for, task_of_market, market):
    response = client_for(reviewer_of(market)).get(
        reverse("approvals:task", args=[task_of_market.pk])
    )

    assert response.status_code == 200
    assert task_of_market.application.tracking_number in response.content.decode()


def test_reviewer_of_another_department_gets_404_for_the_task(
    client_for, task_of_market, transport
):
    response = client_for(reviewer_of(transport)).get(
        reverse("approvals:task", args=[task_of_market.pk])
    )

    assert response.status_code == 404


def test_reviewer_of_another_department_cannot_decide_the_task(
    client_for, task_of_market, transport
):
    response = client_for(reviewer_of(transport)).post(
        reverse("approvals:task", args=[task_of_market.pk]),
        {"outcome": Outcome.APPROVE, "opinion": ""},
    )

    assert response.status_code == 404
    task_of_market.refresh_from_db()
    assert task_of_market.state == ReviewTask.State.PENDING
    assert task_of_market.application.status == Application.Status.IN_REVIEW


def test_reviewer_of_another_department_cannot_download_the_cases_materials(
    client_for, task_of_market, transport
):
    attachment = task_of_market.application.attachments.first()

    response = client_for(reviewer_of(transport)).get(
        reverse("approvals:attachment", args=[task_of_market.pk, attachment.pk])
    )

    assert response.status_code == 404


def test_reviewer_downloads_the_materials_of_their_departments_task(
    client_for, task_of_market, market
):
    attachment = task_of_market.application.attachments.first()

    response = client_for(reviewer_of(market)).get(
        reverse("approvals:attachment", args=[task_of_market.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_domain_decision_by_another_departments_reviewer_is_denied(task_of_market, transport):
    with pytest.raises(PermissionDenied):
        decide(task_of_market.pk, reviewer_of(transport), Outcome.APPROVE)

    task_of_market.refresh_from_db()
    assert task_of_market.state == ReviewTask.State.PENDING


def test_acceptance_clerk_may_not_decide_a_review_task(task_of_market, market):
    clerk = reviewer_of(market, role=Membership.Role.CLERK)

    with pytest.raises(PermissionDenied):
        decide(task_of_market.pk, clerk, Outcome.APPROVE)


def test_deactivated_reviewer_may_not_decide(task_of_market, market):
    reviewer = reviewer_of(market, is_active=False)

    with pytest.raises(PermissionDenied):
        decide(task_of_market.pk, reviewer, Outcome.APPROVE)


def test_applicant_may_not_decide_their_own_task(task_of_market, citizen_a):
    with pytest.raises(PermissionDenied):
        decide(task_of_market.pk, citizen_a, Outcome.APPROVE)


def test_staff_queue_shows_only_the_reviewers_departments_tasks(
    client_for, task_of_market, item, transport
):
    other_item = item_with_stages([[transport]])
    other = routed_application(other_item)

    response = client_for(reviewer_of(transport)).get(reverse("approvals:queue"))

    assert response.status_code == 200
    content = response.content.decode()
    assert other.tracking_number in content
    assert task_of_market.application.tracking_number not in content


# --- anonymous visitors and applicants on staff pages --------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["services:mine", "approvals:queue", "disclosure:new_publication"],
)
def test_anonymous_visitor_is_sent_to_log_in(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert f"next={url}" in response["Location"]


def test_anonymous_visitor_is_sent_to_log_in_for_an_application(client, application_of_a):
    for url in (
        reverse("application_status", args=[application_of_a.pk]),
        reverse("services:edit", args=[application_of_a.pk]),
        reverse(
            "services:attachment",
            args=[application_of_a.pk, application_of_a.attachments.first().pk],
        ),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_anonymous_visitor_is_sent_to_log_in_for_a_task(client, task_of_market):
    response = client.get(reverse("approvals:task", args=[task_of_market.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_visitor_cannot_start_an_application(client, item):
    response = client.post(reverse("services:start", args=[item.code]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Application.objects.exists()


@pytest.mark.parametrize("applicant_factory", [CitizenFactory, EnterpriseFactory])
def test_applicant_gets_403_on_the_staff_dashboard(client_for, applicant_factory):
    response = client_for(applicant_factory()).get(reverse("approvals:queue"))

    assert response.status_code == 403


def test_citizen_gets_403_on_a_task(client_for, task_of_market, citizen_a):
    response = client_for(citizen_a).get(reverse("approvals:task", args=[task_of_market.pk]))

    assert response.status_code == 403


def test_citizen_cannot_publish_a_notice(client_for, citizen_a):
    response = client_for(citizen_a).get(reverse("disclosure:new_publication"))

    assert response.status_code == 403
