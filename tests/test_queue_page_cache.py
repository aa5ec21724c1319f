"""The reviewer's queue: rows from the page cache under the task's version, the first page whole
under what it shows read in one statement (approvals/queue_page.py); never stale, 20 rows a
page, one claim form a page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.notifications import notify
from approvals import clocks, decisions
from approvals.claims import claim_task
from approvals.models import ClockStop, ReviewTask
from approvals.queue_page import queue_front
from approvals.queues import queue_for
from tests.factories import (
    DepartmentFactory,
    ItemImplementationFactory,
    MembershipFactory,
    ServiceItemFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    service_centre,
    shanghai,
)

pytestmark = pytest.mark.django_db

FILED = shanghai("2026-11-23 10:00")  # a Monday
LATER = shanghai("2026-11-24 11:00")
QUEUE = reverse("approvals:queue")
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')


@pytest.fixture(autouse=True)
def empty_page_cache():
    caches["pages"].clear()


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def item(market):
    return item_with_stages([[market]], code="food-licence")


@pytest.fixture
def task(item, market) -> ReviewTask:
    with time_machine.travel(FILED, tick=False):
        application = routed_application(item)
    return ReviewTask.objects.get(application=application, department=market, stage_order=1)


@pytest.fixture
def reviewer(market):
    return reviewer_of(market, real_name="王芳")


def row_of(html: str, task: ReviewTask) -> str:
    start = html.index(task.application.tracking_number)
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start) + 5]


def queue_row(client, task, queue: str = QUEUE) -> str:
    response = client.get(queue)
    assert response.status_code == 200
    return row_of(response.content.decode(), task)


def fragments_kept() -> int:
    redis = caches["pages"]._cache.get_client()
    return len(redis.keys("*fragment:*:queue-row:*"))


def assert_row_changes(client, task, change, *, queue: str = QUEUE) -> None:
    with time_machine.travel(LATER, tick=False):
        queue_row(client, task, queue)
        before = queue_row(client, task, queue)  # served from the cache
        change()
        after = queue_row(client, task, queue)
        assert after != before
        assert after == queue_row(client, task, queue)
        caches["pages"].clear()
        assert after == queue_row(client, task, queue)  # as rendered afresh


def test_rows_are_kept_and_served_again(client_for, task, reviewer):
    client = client_for(reviewer)
    with time_machine.travel(LATER, tick=False):
        first = queue_row(client, task)
        assert fragments_kept() == 1
        assert queue_row(client, task) == first


def test_a_claim_is_shown_at_once(client_for, task, reviewer, market):
    client = client_for(reviewer)
    assert_row_changes(client, task, lambda: claim_task(task.pk, reviewer_of(market)))


def test_a_decision_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)
    # Asking for supplements keeps the task open, so its row stays on the open queue.
    assert_row_changes(
        client,
        task,
        lambda: decisions.decide(task.pk, reviewer, "request_supplement", "请补交场所证明。"),
    )


def test_a_clock_stop_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)
    assert_row_changes(
        client,
        task,
        lambda: clocks.stop_clock(task.pk, reviewer, ClockStop.Reason.INSPECTION, "现场核查"),
    )


def test_the_reminder_passing_turns_the_row_amber_without_any_write(client_for, task, reviewer):
    client = client_for(reviewer)
    task.refresh_from_db()
    with time_machine.travel(task.remind_at - timedelta(minutes=1), tick=False):
        before = queue_row(client, task)
        assert "deadline-green" in before
    with time_machine.travel(task.remind_at + timedelta(minutes=1), tick=False):
        after = queue_row(client, task)
        assert "deadline-amber" in after


def test_each_viewer_gets_their_own_row(client_for, task, reviewer, market):
    claim_task(task.pk, reviewer)
    with time_machine.travel(LATER, tick=False):
        mine = queue_row(client_for(reviewer), task)
        colleagues = queue_row(client_for(reviewer_of(market)), task)
    assert "<strong>You</strong>" in mine and "Release" in mine
    assert "王芳" in colleagues and "Release" not in colleagues


def test_one_claim_form_for_the_page_and_no_csrf_token_in_a_row(client_for, item, reviewer):
    with time_machine.travel(FILED, tick=False):
        for _ in range(3):
            routed_application(item)
    html = client_for(reviewer).get(QUEUE).content.decode()
    table = html[html.index("<tbody>") : html.index("</tbody>")]

    assert CSRF_INPUT.search(table) is None
    assert table.count('form="queue-claims"') == 3
    assert html.count('id="queue-claims"') == 1
    assert "<form" not in table


def test_the_claim_button_posts_the_pages_form_to_its_task(client_for, task, reviewer):
    client = client_for(reviewer)
    html = client.get(QUEUE).content.decode()
    row = row_of(html, task)
    action = re.search(r'formaction="([^"]+)"', row).group(1)
    assert action == reverse("approvals:claim", args=[task.pk])

    response = client.post(action, {"next": QUEUE})

    assert response.status_code == 302 and response["Location"] == QUEUE
    assert ReviewTask.objects.get(pk=task.pk).claimed_by == reviewer


def test_the_first_page_shows_twenty_rows(client_for, item, reviewer):
    with time_machine.travel(FILED, tick=False):
        for _ in range(21):
            routed_application(item)
    response = client_for(reviewer).get(QUEUE)
    assert len(response.context["page"].object_list) == 20
    assert response.content.decode().count('form="queue-claims"') == 20


# --- the first page, kept whole (approvals/queue_page.queue_front) --------------------------------


def pages_kept() -> int:
    redis = caches["pages"]._cache.get_client()
    return len(redis.keys("*person:*:queue:*"))


def open_queue(client, queue: str = QUEUE) -> str:
    """The page as shown, without its CSRF token (each response masks its own)."""
    response = client.get(queue)
    assert response.status_code == 200
    return CSRF_INPUT.sub("", response.content.decode())


def assert_page_changes(client, change, *, now_shows: str) -> None:
    with time_machine.travel(LATER, tick=False):
        open_queue(client)
        before = open_queue(client)  # served from the cache
        assert pages_kept() == 1 and now_shows not in before
        change()
        after = open_queue(client)
        assert now_shows in after
        caches["pages"].clear()
        assert after == open_queue(client)  # as rendered afresh


def test_the_first_page_is_kept_whole_and_served_again_with_fewer_queries(
    client_for, task, reviewer
):
    client = client_for(reviewer)
    with time_machine.travel(LATER, tick=False):
        with CaptureQueriesContext(connection) as rendered:
            first = open_queue(client)
        with CaptureQueriesContext(connection) as served:
            again = open_queue(client)
    assert pages_kept() == 1
    assert again == first
    assert len(served) < len(rendered)
    # The kept page's one read of the queue: no item of the catalogue, no task fetched.
    assert not [q for q in served if "services_serviceitem" in q["sql"]]


def test_a_filtered_page_and_a_later_page_are_not_kept_whole(client_for, task, reviewer):
    client = client_for(reviewer)
    open_queue(client, f"{QUEUE}?claimed=unclaimed")
    open_queue(client, f"{QUEUE}?page=2")
    assert pages_kept() == 0


def test_a_new_case_in_the_queue_is_shown_at_once(client_for, task, reviewer, item):
    client = client_for(reviewer)
    assert_page_changes(client, lambda: routed_application(item), now_shows="2 tasks")


def test_a_case_leaving_as_another_arrives_is_shown_at_once(client_for, task, reviewer, item):
    """The same count and the same number of rows, but not the same row."""
    client = client_for(reviewer)
    arrived = []

    def one_leaves_one_arrives():
        decisions.decide(task.pk, reviewer, "approve", "同意。")
        arrived.append(routed_application(item))

    with time_machine.travel(LATER, tick=False):
        assert "1 task" in open_queue(client)
        open_queue(client)
        one_leaves_one_arrives()
        after = open_queue(client)
    assert "1 task" in after
    assert arrived[0].tracking_number in after
    assert task.application.tracking_number not in after


def test_a_substitution_is_shown_at_once(client_for, task, reviewer, market):
    from approvals.substitutes import name_substitute

    absent = reviewer_of(market, real_name="陈休假")
    head = reviewer_of(market, role="head")
    client = client_for(reviewer)

    def name_one():
        today = LATER.date()
        name_substitute(
            head=head, department=market, reviewer=absent, substitute=reviewer,
            starts_on=today, ends_on=today + timedelta(days=3),
        )  # fmt: skip

    assert_page_changes(client, name_one, now_shows="陈休假")


def test_a_new_department_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)
    tax = DepartmentFactory(code="tax", name="市税务局", name_en="Taxation")
    assert_page_changes(
        client, lambda: MembershipFactory(user=reviewer, department=tax), now_shows="Taxation"
    )


def test_becoming_the_head_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)
    assert_page_changes(
        client,
        lambda: Membership.objects.filter(user=reviewer).update(role=Membership.Role.HEAD),
        now_shows=reverse("approvals:head"),
    )


def test_an_unread_notification_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)
    assert_page_changes(
        client,
        lambda: notify([reviewer], "application_received", "receipt:q", {"tracking_number": "1"}),
        now_shows='<span class="badge">',
    )


def test_a_renamed_department_is_shown_at_once(client_for, task, reviewer, market):
    client = client_for(reviewer)

    def rename():
        market.name_en = "Market Supervision"
        market.save()

    assert_page_changes(client, rename, now_shows="Market Supervision")


def test_the_reviewers_new_name_is_shown_at_once(client_for, task, reviewer):
    client = client_for(reviewer)

    def rename():
        reviewer.real_name = "王小芳"
        reviewer.save()

    assert_page_changes(client, rename, now_shows="王小芳")


def test_an_item_implemented_in_the_centres_region_is_offered_at_once(client_for):
    centre = service_centre()
    clerk = reviewer_of(centre, real_name="周受理")
    item = ServiceItemFactory(code="pet-licence", implemented=False)
    client = client_for(clerk)
    assert_page_changes(
        client,
        lambda: ItemImplementationFactory(item=item, region=centre.region),
        now_shows='value="pet-licence"',
    )


def test_the_first_page_of_two_departments_is_read_in_the_queues_order(market, reviewer):
    tax = DepartmentFactory(code="tax", name="市税务局")
    MembershipFactory(user=reviewer, department=tax)
    items = [item_with_stages([[market]], code="a-item"), item_with_stages([[tax]], code="b-item")]
    with time_machine.travel(FILED, tick=False):
        for n in range(13):
            routed_application(items[n % 2])
    ReviewTask.objects.filter(pk__in=ReviewTask.objects.order_by("pk").values("pk")[:4]).update(
        due_at=LATER  # not in the order they were filed
    )

    front = queue_front(reviewer, rows=5)

    in_order = list(queue_for(reviewer)[:5].values_list("pk", flat=True))
    assert [row[0] for row in front.first_page] == in_order
    assert front.counted == queue_for(reviewer).count() == 13
    assert front.reviewing_department_ids == {market.pk, tax.pk}
