"""The reviewer's queue: rows from the page cache under the task's version (approvals/queue_page.py),
never stale, 20 rows a page, one claim form a page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse

from approvals import clocks, decisions
from approvals.claims import claim_task
from approvals.models import ClockStop, ReviewTask
from tests.factories import (
    DepartmentFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
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
