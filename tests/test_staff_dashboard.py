"""The staff dashboard, through the pages a civil servant uses: the queue and its filters, claims,
the material preview, common opinions on the decision form, and the head's workload figures."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEntry
from approvals import clocks
from approvals.claims import claim_task
from approvals.models import ClockStop, CommonOpinion, ReviewTask
from approvals.queues import workload_for_head
from services.materials import store_attachment
from tests.factories import (
    DepartmentFactory,
    head_of,
    item_with_stages,
    png_upload,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db
State = ReviewTask.State


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def tax():
    return DepartmentFactory(code="tax", name="市税务局", name_en="Taxation")


@pytest.fixture
def item(market):
    return item_with_stages([[market]], code="food-licence")


def task_for(application, department) -> ReviewTask:
    return ReviewTask.objects.get(application=application, department=department, stage_order=1)


def queue_numbers(response) -> set[str]:
    return {task.application.tracking_number for task in response.context["page"].object_list}


# --- the queue and its filters -------------------------------------------------------------------


def test_claimed_filter_shows_mine_or_the_unclaimed(client_for, item, market):
    me, colleague = reviewer_of(market), reviewer_of(market)
    mine, theirs, nobodys = (routed_application(item) for _ in range(3))
    claim_task(task_for(mine, market).pk, me)
    claim_task(task_for(theirs, market).pk, colleague)
    client = client_for(me)

    assert queue_numbers(client.get(reverse("approvals:queue"), {"claimed": "mine"})) == {
        mine.tracking_number
    }
    assert queue_numbers(client.get(reverse("approvals:queue"), {"claimed": "unclaimed"})) == {
        nobodys.tracking_number
    }
    assert len(queue_numbers(client.get(reverse("approvals:queue")))) == 3


def test_deadline_filter_keeps_tasks_due_on_or_before_the_day_overdue_included(
    client_for, item, market
):
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        overdue, due_wednesday, due_next_week = (routed_application(item) for _ in range(3))
        ReviewTask.objects.filter(pk=task_for(overdue, market).pk).update(
            due_at=shanghai("2026-11-20 17:30")
        )
        ReviewTask.objects.filter(pk=task_for(due_wednesday, market).pk).update(
            due_at=shanghai("2026-11-25 17:30")
        )
        ReviewTask.objects.filter(pk=task_for(due_next_week, market).pk).update(
            due_at=shanghai("2026-11-30 17:30")
        )

        response = client_for(reviewer_of(market)).get(
            reverse("approvals:queue"), {"due_by": "2026-11-25"}
        )

    assert queue_numbers(response) == {overdue.tracking_number, due_wednesday.tracking_number}


def test_item_filter_keeps_one_service_and_lists_only_services_in_the_queue(
    client_for, item, market
):
    other_item = item_with_stages([[market]], code="shop-sign")
    food = routed_application(item)
    routed_application(other_item)
    item_with_stages([[DepartmentFactory()]], code="unrelated-item")

    response = client_for(reviewer_of(market)).get(
        reverse("approvals:queue"), {"item": "food-licence"}
    )

    assert queue_numbers(response) == {food.tracking_number}
    offered = [code for code, _ in response.context["filter_form"].fields["item"].choices]
    assert offered == ["", "food-licence", "shop-sign"]


def test_a_malformed_deadline_is_reported_and_the_whole_open_queue_shown(client_for, item, market):
    routed_application(item)

    response = client_for(reviewer_of(market)).get(
        reverse("approvals:queue"), {"due_by": "next tuesday"}
    )

    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert len(queue_numbers(response)) == 1


def test_decided_tasks_leave_the_open_queue_and_appear_under_their_state(client_for, item, market):
    from approvals.decisions import Outcome, decide

    reviewer = reviewer_of(market)
    decided, still_open = routed_application(item), routed_application(item)
    decide(task_for(decided, market).pk, reviewer, Outcome.APPROVE, "同意")
    client = client_for(reviewer)

    assert queue_numbers(client.get(reverse("approvals:queue"))) == {still_open.tracking_number}
    assert queue_numbers(client.get(reverse("approvals:queue"), {"state": "approved"})) == {
        decided.tracking_number
    }


def test_deadlines_are_green_amber_or_red_and_say_so_in_words(client_for, item, market):
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        green, amber, red = (routed_application(item) for _ in range(3))
        for application, due in (
            (green, "2026-12-04 17:30"),
            (amber, "2026-11-24 17:30"),
            (red, "2026-11-20 17:30"),
        ):
            due_at = shanghai(due)
            ReviewTask.objects.filter(pk=task_for(application, market).pk).update(
                due_at=due_at, remind_at=due_at - timedelta(days=2)
            )

        html = client_for(reviewer_of(market)).get(reverse("approvals:queue")).content.decode()

    def row_of(application) -> str:
        start = html.index(application.tracking_number)
        return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]

    assert 'class="deadline-green"' in row_of(green) and "working days left" in row_of(green)
    assert 'class="deadline-amber"' in row_of(amber) and "Due in 1 working day" in row_of(amber)
    assert 'class="deadline-red"' in row_of(red) and "Overdue" in row_of(red)


def test_a_long_queue_is_counted_only_up_to_a_bound_and_pages_on_with_next(
    client_for, item, market, monkeypatch
):
    """Counting 150,000 open tasks on every view cost more than the page: past the bound the
    queue says "more than" and its pages go on for as long as tasks remain."""
    monkeypatch.setattr("approvals.views.QUEUE_PAGE_SIZE", 2)
    monkeypatch.setattr("common.pagination.COUNTED_UP_TO", 3)
    numbers = {routed_application(item).tracking_number for _ in range(5)}
    client = client_for(reviewer_of(market))

    pages = [client.get(reverse("approvals:queue"), {"page": n}) for n in (1, 2, 3)]
    first, second, last = (page.content.decode() for page in pages)

    assert "More than 3 tasks" in first and "Page 1<" in first and 'rel="next"' in first
    assert "More than 4 tasks" in second and 'rel="prev"' in second and 'rel="next"' in second
    assert "5 tasks" in last and "Page 3 of 3" in last and 'rel="next"' not in last
    assert set().union(*(queue_numbers(page) for page in pages)) == numbers


def test_a_queue_within_the_bound_is_counted_exactly(client_for, item, market, monkeypatch):
    monkeypatch.setattr("common.pagination.COUNTED_UP_TO", 3)
    for _ in range(3):
        routed_application(item)

    html = client_for(reviewer_of(market)).get(reverse("approvals:queue")).content.decode()

    assert "3 tasks" in html and "More than" not in html


# --- claim and release ---------------------------------------------------------------------------


def test_a_reviewer_claims_from_the_queue_with_a_post_and_everyone_sees_who(
    client_for, item, market
):
    application = routed_application(item)
    task = task_for(application, market)
    me = reviewer_of(market, real_name="王芳")
    queue_url = reverse("approvals:queue")

    assert client_for(me).get(reverse("approvals:claim", args=[task.pk])).status_code == 405
    response = client_for(me).post(reverse("approvals:claim", args=[task.pk]), {"next": queue_url})

    assert response.status_code == 302 and response["Location"] == queue_url
    assert ReviewTask.objects.get(pk=task.pk).claimed_by == me
    colleague_view = client_for(reviewer_of(market)).get(queue_url).content.decode()
    assert "王芳" in colleague_view
    assert reverse("approvals:release", args=[task.pk]) not in colleague_view


def test_a_colleague_cannot_release_anothers_claim_but_the_head_can(client_for, item, market):
    task = task_for(routed_application(item), market)
    claim_task(task.pk, reviewer_of(market, real_name="王芳"))
    release_url = reverse("approvals:release", args=[task.pk])

    refused = client_for(reviewer_of(market)).post(release_url, follow=True)

    assert "Only 王芳 or the department head can release this task." in refused.content.decode()
    assert ReviewTask.objects.get(pk=task.pk).claimed_by is not None

    head = head_of(market)
    head_page = client_for(head).get(reverse("approvals:task", args=[task.pk])).content.decode()
    assert release_url in head_page
    client_for(head).post(release_url)

    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


def test_claim_goes_back_only_to_a_page_of_this_site(client_for, item, market):
    task = task_for(routed_application(item), market)

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:claim", args=[task.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("approvals:task", args=[task.pk])


def test_a_reviewer_of_another_department_cannot_claim(client_for, item, market, tax):
    task = task_for(routed_application(item), market)

    response = client_for(reviewer_of(tax)).post(reverse("approvals:claim", args=[task.pk]))

    assert response.status_code == 404
    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


# --- material preview ----------------------------------------------------------------------------


@pytest.fixture
def task_with_image(item, market):
    task = task_for(routed_application(item), market)
    store_attachment(
        task.application,
        "site_photo",
        png_upload("门店照片.png"),
        "image/png",
        task.application.applicant,
    )
    return task


def test_case_page_frames_pdfs_and_shows_images_inline(client_for, task_with_image, market):
    task = task_with_image
    pdf = task.application.attachments.get(content_type="application/pdf", is_current=True)
    image = task.application.attachments.get(content_type="image/png", is_current=True)

    html = client_for(reviewer_of(market)).get(reverse("approvals:task", args=[task.pk]))
    html = html.content.decode()

    pdf_preview = reverse("approvals:attachment_preview", args=[task.pk, pdf.pk])
    image_preview = reverse("approvals:attachment_preview", args=[task.pk, image.pk])
    assert f'<iframe class="preview-frame" src="{pdf_preview}"' in html
    assert f'<img class="preview-image" src="{image_preview}"' in html
    assert reverse("approvals:attachment", args=[task.pk, pdf.pk]) in html  # download link


def test_preview_is_inline_and_may_be_framed_by_this_site_only(client_for, task_with_image, market):
    task = task_with_image
    pdf = task.application.attachments.get(content_type="application/pdf", is_current=True)
    reviewer = reviewer_of(market)

    response = client_for(reviewer).get(
        reverse("approvals:attachment_preview", args=[task.pk, pdf.pk])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"].split("; ")
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy
    assert "default-src 'none'" in policy
    entry = AuditEntry.objects.filter(action="download.attachment").latest("pk")
    assert entry.actor_id == reviewer.pk
    assert entry.detail["inline"] is True and entry.object_id == str(pdf.pk)


def test_other_pages_still_forbid_framing(client_for, task_with_image, market):
    response = client_for(reviewer_of(market)).get(
        reverse("approvals:task", args=[task_with_image.pk])
    )

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_preview_is_refused_to_other_departments_and_to_the_applicant(
    client_for, task_with_image, tax
):
    task = task_with_image
    pdf = task.application.attachments.get(content_type="application/pdf", is_current=True)
    url = reverse("approvals:attachment_preview", args=[task.pk, pdf.pk])
    before = AuditEntry.objects.filter(action="download.attachment").count()

    assert client_for(reviewer_of(tax)).get(url).status_code == 404
    assert client_for(task.application.applicant).get(url).status_code == 403
    assert AuditEntry.objects.filter(action="download.attachment").count() == before


# --- common opinions -----------------------------------------------------------------------------


@pytest.fixture
def opinions(market, tax):
    return {
        "approve": CommonOpinion.objects.create(
            department=market,
            outcome="approve",
            title="符合条件",
            text="材料齐全，符合法定条件，同意。",
        ),
        "reject": CommonOpinion.objects.create(
            department=market, outcome="reject", title="场所不符", text="经营场所不符合卫生要求。"
        ),
        "other": CommonOpinion.objects.create(
            department=tax, outcome="approve", title="税务同意", text="税务登记信息无误。"
        ),
    }


def test_decision_form_offers_only_the_tasks_departments_opinions(
    client_for, item, market, opinions
):
    task = task_for(routed_application(item), market)

    html = client_for(reviewer_of(market)).get(reverse("approvals:task", args=[task.pk]))
    html = html.content.decode()

    assert "材料齐全，符合法定条件，同意。" in html and "经营场所不符合卫生要求。" in html
    assert "税务登记信息无误。" not in html
    assert 'src="/static/js/common-opinions.js"' in html


def test_the_picked_opinion_is_used_when_the_opinion_box_is_left_empty(
    client_for, item, market, opinions
):
    task = task_for(routed_application(item), market)

    client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]),
        {"outcome": "reject", "opinion": "", "common_opinion": opinions["reject"].pk},
    )

    task.refresh_from_db()
    assert task.state == State.REJECTED
    assert task.opinion == "经营场所不符合卫生要求。"


def test_what_the_reviewer_typed_wins_over_the_pick(client_for, item, market, opinions):
    task = task_for(routed_application(item), market)

    client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]),
        {
            "outcome": "approve",
            "opinion": "同意，已现场核查。",
            "common_opinion": opinions["approve"].pk,
        },
    )

    task.refresh_from_db()
    assert task.opinion == "同意，已现场核查。"


def test_another_departments_opinion_is_refused_and_nothing_is_decided(
    client_for, item, market, opinions
):
    task = task_for(routed_application(item), market)

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]),
        {"outcome": "approve", "opinion": "", "common_opinion": opinions["other"].pk},
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert ReviewTask.objects.get(pk=task.pk).state == State.PENDING


def test_an_opinion_for_another_outcome_is_refused(client_for, item, market, opinions):
    task = task_for(routed_application(item), market)

    response = client_for(reviewer_of(market)).post(
        reverse("approvals:task", args=[task.pk]),
        {"outcome": "reject", "opinion": "", "common_opinion": opinions["approve"].pk},
    )

    assert "This common opinion is for “Approve”" in response.content.decode()
    assert ReviewTask.objects.get(pk=task.pk).state == State.PENDING


def test_a_head_keeps_only_their_departments_opinions_in_the_admin(
    client_for, market, tax, opinions
):
    head = head_of(market, is_staff=True)
    client = client_for(head)

    listing = client.get(reverse("admin:approvals_commonopinion_changelist"))
    foreign = client.get(
        reverse("admin:approvals_commonopinion_change", args=[opinions["other"].pk])
    )
    added = client.post(
        reverse("admin:approvals_commonopinion_add"),
        {"department": tax.pk, "outcome": "approve", "title": "越权", "text": "x", "order": 0},
    )

    assert listing.status_code == 200
    assert "符合条件" in listing.content.decode() and "税务同意" not in listing.content.decode()
    assert foreign.status_code == 302  # "does not exist" for them: back to the list
    assert added.status_code == 200 and "Select a valid choice" in added.content.decode()
    assert not CommonOpinion.objects.filter(title="越权").exists()


def test_an_opinion_scoped_to_another_item_is_neither_offered_nor_accepted(
    client_for, item, market
):
    other_item = item_with_stages([[market]], code="street-stall")
    CommonOpinion.objects.create(
        department=market, outcome="approve", title="通用同意", text="材料齐全，同意。"
    )
    foreign = CommonOpinion.objects.create(
        department=market, outcome="approve", title="摊位同意", text="同意设摊经营。"
    )
    foreign.items.set([other_item])
    task = task_for(routed_application(item), market)
    client = client_for(reviewer_of(market))

    html = client.get(reverse("approvals:task", args=[task.pk])).content.decode()
    picked = client.post(
        reverse("approvals:task", args=[task.pk]),
        {"outcome": "approve", "opinion": "", "common_opinion": foreign.pk},
    )

    assert "材料齐全，同意。" in html
    assert "同意设摊经营。" not in html
    assert "Select a valid choice." in picked.content.decode()
    assert ReviewTask.objects.get(pk=task.pk).state == State.PENDING


def test_an_opinion_scoped_to_the_tasks_item_is_offered(client_for, item, market):
    scoped = CommonOpinion.objects.create(
        department=market, outcome="approve", title="食品同意", text="食品经营场所符合要求。"
    )
    scoped.items.set([item])
    task = task_for(routed_application(item), market)

    html = client_for(reviewer_of(market)).get(reverse("approvals:task", args=[task.pk]))

    assert "食品经营场所符合要求。" in html.content.decode()


def test_a_head_scopes_an_opinion_to_items_in_the_admin(client_for, item, market):
    client = client_for(head_of(market, is_staff=True))

    response = client.post(
        reverse("admin:approvals_commonopinion_add"),
        {
            "department": market.pk,
            "outcome": "approve",
            "title": "食品同意",
            "text": "食品经营场所符合要求。",
            "items": [item.pk],
            "order": 0,
        },
    )
    listing = client.get(reverse("admin:approvals_commonopinion_changelist"))

    assert response.status_code == 302
    assert list(CommonOpinion.objects.get(title="食品同意").items.all()) == [item]
    assert item.name in listing.content.decode()


def test_a_reviewer_without_staff_status_does_not_reach_the_admin(client_for, market, opinions):
    response = client_for(reviewer_of(market)).get(
        reverse("admin:approvals_commonopinion_changelist")
    )

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the head's desk -----------------------------------------------------------------------------


def test_heads_desk_lists_overdue_tasks_with_claimant_and_extension_requests_with_a_form(
    client_for, item, market
):
    with time_machine.travel(shanghai("2026-11-23 10:00"), tick=False):
        overdue, extended = routed_application(item), routed_application(item)
        claim_task(task_for(overdue, market).pk, reviewer_of(market, real_name="王芳"))
        ReviewTask.objects.filter(pk=task_for(overdue, market).pk).update(
            due_at=shanghai("2026-11-20 17:30")
        )
        clocks.request_extension(task_for(extended, market).pk, reviewer_of(market), 3, "需鉴定")

        html = client_for(head_of(market)).get(reverse("approvals:head")).content.decode()

    assert overdue.tracking_number in html and "王芳" in html
    assert reverse("approvals:release", args=[task_for(overdue, market).pk]) in html
    assert extended.tracking_number in html and "需鉴定" in html
    assert (
        reverse(
            "approvals:decide_extension",
            args=[extended.review_tasks.get(stage_order=1).extension.pk],
        )
        in html
    )


def set_task(task: ReviewTask, **fields) -> None:
    ReviewTask.objects.filter(pk=task.pk).update(**fields)


def test_workload_figures_per_reviewer_for_a_known_set_of_tasks(
    client_for, item, market, tax, django_assert_max_num_queries
):
    wang = reviewer_of(market, real_name="王芳")
    li = reviewer_of(market, real_name="李明")
    head = head_of(market)
    now = shanghai("2026-11-27 12:00")  # Friday
    with time_machine.travel(shanghai("2026-11-16 09:00"), tick=False):
        cases = [task_for(routed_application(item), market) for _ in range(6)]
        elsewhere = task_for(routed_application(item_with_stages([[tax]])), tax)
    opened = shanghai("2026-11-16 09:00")  # Monday
    # 王芳: two open claimed tasks, one of them overdue; two decisions, after 3 and 4 working
    # days, of which the second stood still for 2 (a hearing): 3 and 2, average 2.5.
    set_task(
        cases[0],
        claimed_by=wang,
        claimed_at=opened,
        claim_active_at=opened,
        due_at=shanghai("2026-11-26 17:30"),
    )
    set_task(
        cases[1],
        claimed_by=wang,
        claimed_at=opened,
        claim_active_at=opened,
        due_at=shanghai("2026-12-04 17:30"),
    )
    set_task(
        cases[2], state=State.APPROVED, decided_by=wang, decided_at=shanghai("2026-11-19 10:00")
    )
    set_task(
        cases[3], state=State.REJECTED, decided_by=wang, decided_at=shanghai("2026-11-20 10:00")
    )
    ClockStop.objects.create(
        task=cases[3],
        reason=ClockStop.Reason.HEARING,
        started_at=shanghai("2026-11-17 09:00"),
        ended_at=shanghai("2026-11-19 09:00"),
        stopped_working_days=2,
        started_by=wang,
    )
    # 李明: one decision 31 days ago (outside the period) and one open task nobody claimed,
    # overdue; the tax department's task is not the head's business.
    set_task(
        cases[4],
        state=State.APPROVED,
        decided_by=li,
        decided_at=now - timedelta(days=31),
        created_at=now - timedelta(days=40),
    )
    set_task(cases[5], due_at=shanghai("2026-11-25 17:30"))
    set_task(
        elsewhere,
        claimed_by=li,
        claimed_at=opened,
        claim_active_at=opened,
        due_at=shanghai("2026-11-20 17:30"),
    )
    for task in cases[:4]:
        set_task(task, created_at=opened)

    # Head's departments, open work, decisions, reviewers; and the calendar, cached after.
    with django_assert_max_num_queries(5):
        figures = {
            (row["reviewer"].real_name if row["reviewer"] else None): row
            for row in workload_for_head(head, now=now)
        }

    assert figures["王芳"] == {
        "reviewer": wang,
        "open_claimed": 2,
        "decided": 2,
        "average_days": 2.5,
        "overdue": 1,
    }
    assert figures["李明"]["open_claimed"] == 0 and figures["李明"]["decided"] == 0
    assert figures["李明"]["average_days"] is None and figures["李明"]["overdue"] == 0
    assert figures[None]["open_claimed"] == 1 and figures[None]["overdue"] == 1
    assert workload_for_head(wang, now=now) == []  # reviewers see no figures


def test_workload_table_is_on_the_heads_desk(client_for, item, market):
    reviewer_of(market, real_name="王芳")

    html = client_for(head_of(market)).get(reverse("approvals:head")).content.decode()

    assert "Workload" in html and "王芳" in html and "Average working days to decide" in html


def test_the_queue_page_costs_the_same_queries_for_one_task_or_many(client_for, item, market):
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reviewer = reviewer_of(market)
    client = client_for(reviewer)
    claim_task(task_for(routed_application(item), market).pk, reviewer)
    client.get(reverse("approvals:queue"))  # warm the session and the calendar
    # Every row rendered both times: a row served from the page cache reads no calendar.
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("approvals:queue"))
    for _ in range(4):
        claim_task(task_for(routed_application(item), market).pk, reviewer_of(market))

    caches["pages"].clear()
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("approvals:queue"))

    assert len(queue_numbers(response)) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
