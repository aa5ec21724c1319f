"""Extensions (延期): once per task, at most the item's longest extension, approved by the head.

Administrative License Law Art. 42. Every case here is filed and accepted on Monday
23 November 2026 at 10:00 in Shanghai; its review tasks are due on 30 November at 17:30.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from approvals.calendar import add_working_days, working_days_between
from approvals.clocks import decide_extension, request_extension
from approvals.models import Extension, ReviewTask
from services.models import ApplicationEvent
from tests.factories import (
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
Event = ApplicationEvent.Kind

FILED = shanghai("2026-11-23 10:00")
REVIEW_DEADLINE = shanghai("2026-11-30 17:30")
REASON = "需现场核查三处经营场所"


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


@pytest.fixture
def application(market, health):
    with time_machine.travel(FILED, tick=False):
        return routed_application(item_with_stages([[market, health]], max_extension_days=10))


@pytest.fixture
def task(application, market) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=market, stage_order=1)


def reload(instance):
    return type(instance).objects.get(pk=instance.pk)


def test_approved_extension_moves_the_deadline_by_exactly_its_working_days(task, market):
    extension = request_extension(task.pk, reviewer_of(market), 5, REASON)

    decide_extension(extension.pk, head_of(market), approve=True)

    extended = reload(task)
    assert extended.due_at == add_working_days(REVIEW_DEADLINE, 5) == shanghai("2026-12-07 17:30")
    assert working_days_between(REVIEW_DEADLINE, extended.due_at) == 5
    assert reload(extension).state == Extension.State.APPROVED


def test_applicant_is_told_the_reason_of_the_extension(task, market, application):
    extension = request_extension(task.pk, reviewer_of(market), 5, REASON)

    decide_extension(extension.pk, head_of(market), approve=True)

    event = application.events.get(kind=Event.EXTENDED)
    assert REASON in event.note
    assert event.department == market


def test_second_extension_request_for_a_task_is_refused(task, market):
    reviewer = reviewer_of(market)
    decide_extension(
        request_extension(task.pk, reviewer, 5, REASON).pk, head_of(market), approve=True
    )
    extended = reload(task).due_at

    with pytest.raises(ValidationError):
        request_extension(task.pk, reviewer, 3, "还需要更多时间")

    assert reload(task).due_at == extended
    assert Extension.objects.filter(task=task).count() == 1


def test_refused_extension_leaves_the_deadline_and_uses_up_the_one_request(task, market):
    reviewer = reviewer_of(market)
    extension = request_extension(task.pk, reviewer, 5, REASON)

    decide_extension(extension.pk, head_of(market), approve=False, note="理由不充分")

    assert reload(task).due_at == REVIEW_DEADLINE
    with pytest.raises(ValidationError):
        request_extension(task.pk, reviewer, 5, "补充理由")


def test_extension_longer_than_the_items_longest_is_refused(task, market):
    with pytest.raises(ValidationError) as error:
        request_extension(task.pk, reviewer_of(market), 11, REASON)

    assert "working_days" in error.value.message_dict
    assert not Extension.objects.filter(task=task).exists()


def test_item_may_allow_a_longer_extension(market):
    # Disclosure on request: 20 working days, extendable by 20.
    with time_machine.travel(FILED, tick=False):
        application = routed_application(item_with_stages([[market]], max_extension_days=20))
    task = ReviewTask.objects.get(application=application, department=market)

    extension = request_extension(task.pk, reviewer_of(market), 20, "涉及第三方，需征求意见")
    decide_extension(extension.pk, head_of(market), approve=True)

    assert reload(task).due_at == add_working_days(REVIEW_DEADLINE, 20)


def test_extension_needs_a_reason_for_the_applicant(task, market):
    with pytest.raises(ValidationError) as error:
        request_extension(task.pk, reviewer_of(market), 5, "   ")

    assert "reason" in error.value.message_dict


def test_only_the_head_of_the_department_may_approve_an_extension(task, market, health):
    extension = request_extension(task.pk, reviewer_of(market), 5, REASON)

    for not_the_head in (reviewer_of(market), head_of(health)):
        with pytest.raises(PermissionDenied):
            decide_extension(extension.pk, not_the_head, approve=True)

    assert reload(extension).state == Extension.State.REQUESTED
    assert reload(task).due_at == REVIEW_DEADLINE


def test_extension_beyond_the_overall_due_date_moves_it_too(market):
    with time_machine.travel(FILED, tick=False):
        item = item_with_stages([[market]], time_limit_days=18, max_extension_days=10)
        application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)
    assert application.due_at == add_working_days(FILED, 20)

    decide_extension(
        request_extension(task.pk, reviewer_of(market), 10, REASON).pk,
        head_of(market),
        approve=True,
    )

    assert reload(application).due_at == reload(task).due_at == add_working_days(FILED, 28)


# --- through the pages ----------------------------------------------------------------------------


def test_reviewer_requests_and_the_head_approves_an_extension_through_the_staff_pages(
    task, market, application, client_for
):
    head = client_for(head_of(market))

    requested = client_for(reviewer_of(market)).post(
        reverse("approvals:extension", args=[task.pk]), {"working_days": 5, "reason": REASON}
    )
    assert requested.status_code == 302
    extension = Extension.objects.get(task=task)

    desk = head.get(reverse("approvals:head"))
    assert desk.status_code == 200
    assert list(desk.context["extension_requests"]) == [extension]
    assert REASON in desk.content.decode()

    decided = head.post(
        reverse("approvals:decide_extension", args=[extension.pk]), {"approve": "yes", "note": ""}
    )
    assert decided.status_code == 302
    assert decided["Location"] == reverse("approvals:head")
    assert reload(task).due_at == add_working_days(REVIEW_DEADLINE, 5)
    assert list(head.get(reverse("approvals:head")).context["extension_requests"]) == []

    status_page = client_for(application.applicant).get(application.get_absolute_url())
    assert REASON in status_page.content.decode()


def test_extension_longer_than_allowed_on_the_page_is_refused_with_a_message(
    task, market, client_for
):
    response = client_for(reviewer_of(market)).post(
        reverse("approvals:extension", args=[task.pk]), {"working_days": 15, "reason": REASON}
    )

    assert response.status_code == 200
    assert "working_days" in response.context["extension_form"].errors
    assert not Extension.objects.filter(task=task).exists()


def test_reviewer_who_is_not_head_sees_no_extension_requests_and_cannot_decide_them(
    task, market, client_for
):
    reviewer = reviewer_of(market)
    extension = request_extension(task.pk, reviewer, 5, REASON)
    client = client_for(reviewer)

    desk = client.get(reverse("approvals:head"))
    decided = client.post(
        reverse("approvals:decide_extension", args=[extension.pk]), {"approve": "yes"}
    )

    assert desk.status_code == 200
    assert list(desk.context["extension_requests"]) == []
    assert REASON not in desk.content.decode()
    assert decided.status_code == 404
    assert reload(extension).state == Extension.State.REQUESTED
    assert reload(task).due_at == REVIEW_DEADLINE


def test_head_of_another_department_cannot_decide_the_extension(task, market, health, client_for):
    extension = request_extension(task.pk, reviewer_of(market), 5, REASON)

    response = client_for(head_of(health)).post(
        reverse("approvals:decide_extension", args=[extension.pk]), {"approve": "yes"}
    )

    assert response.status_code == 404
    assert reload(extension).state == Extension.State.REQUESTED


def test_applicant_does_not_see_an_extension_still_awaiting_the_head(
    task, market, application, client_for
):
    request_extension(task.pk, reviewer_of(market), 5, REASON)

    page = client_for(application.applicant).get(application.get_absolute_url())

    assert REASON not in page.content.decode()
