"""Leave cover (代理审批), reassignment by the head, and claims that lapse when nobody works on them.

Issue 17 item 4 and its bad input (item 7): a substitute outside the range or of another
department, a reassignment to another department's reviewer — each refused in the user's
language, with nothing changed and an entry in the audit log.
"""

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEntry
from approvals.calendar import working_time_before
from approvals.claims import claim_task, lapse_idle_claims, reassign_task
from approvals.clocks import request_extension
from approvals.decisions import AlreadyDecided, Outcome, decide
from approvals.models import ReviewTask, Substitution
from approvals.queues import queue_for
from approvals.substitutes import end_substitution, name_substitute
from disclosure.models import DecisionRecord
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

MONDAY = shanghai("2026-11-23 10:00")
FRIDAY_AFTERNOON = shanghai("2026-11-27 15:00")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局")


@pytest.fixture
def people(market):
    return {
        "head": head_of(market),
        "absent": reviewer_of(market, real_name="李休假", username="li"),
        "substitute": reviewer_of(market, real_name="王代理", username="wang"),
    }


@pytest.fixture
def task(market):
    application = routed_application(item_with_stages([[market]]))
    return application.review_tasks.get(department=market)


def cover(people, market, starts_on: date, ends_on: date) -> Substitution:
    return name_substitute(
        head=people["head"],
        department=market,
        reviewer=people["absent"],
        substitute=people["substitute"],
        starts_on=starts_on,
        ends_on=ends_on,
    )


def refusals(reason: str):
    return AuditEntry.objects.filter(action="staff.refused", detail__reason=reason)


# --- substitutes ---------------------------------------------------------------------------------


def test_a_substitute_decides_the_absent_reviewers_claimed_task_and_the_record_says_for_whom(
    task, market, people
):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 27))

        decide(task.pk, people["substitute"], Outcome.APPROVE, "同意")

    task.refresh_from_db()
    assert (task.state, task.decided_by, task.decided_for) == (
        ReviewTask.State.APPROVED,
        people["substitute"],
        people["absent"],
    )
    event = task.application.events.get(kind=ApplicationEvent.Kind.APPROVED_BY_DEPARTMENT)
    assert (event.actor, event.acting_for) == (people["substitute"], people["absent"])
    decision = AuditEntry.objects.get(action="task.decision", object_id=str(task.pk))
    assert (decision.actor_id, decision.detail["acting_for"]) == (people["substitute"].pk, "li")


def test_the_published_decision_names_the_substitute_and_the_absent_reviewer(task, market, people):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 23))
        decide(task.pk, people["substitute"], Outcome.APPROVE, "同意")

    record = DecisionRecord.objects.get(application=task.application)
    assert record.departments == "市市场监督管理局（王代理代李休假审批）"


def test_the_timeline_shows_the_substitute_for_the_absent_reviewer(
    task, market, people, client_for
):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 23))
        decide(task.pk, people["substitute"], Outcome.APPROVE, "同意")

    page = client_for(people["head"]).get(reverse("approvals:task", args=[task.pk]))

    assert "王代理 for 李休假 (substitute)" in page.content.decode()


def test_outside_its_range_a_substitution_decides_nothing_and_the_refusal_is_logged(
    task, market, people
):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 30), date(2026, 12, 4))

        with pytest.raises(ValidationError, match="only from") as refused:
            decide(task.pk, people["substitute"], Outcome.APPROVE, "同意")

    assert refused.value.code == "substitute_out_of_range"
    assert ReviewTask.objects.get(pk=task.pk).state == ReviewTask.State.PENDING
    assert refusals("substitute_out_of_range").filter(actor_id=people["substitute"].pk).exists()


def test_a_substitution_ended_early_decides_nothing(task, market, people):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        substitution = cover(people, market, date(2026, 11, 23), date(2026, 11, 27))
        end_substitution(substitution.pk, people["head"])

        with pytest.raises(ValidationError):
            decide(task.pk, people["substitute"], Outcome.APPROVE, "同意")

    assert ReviewTask.objects.get(pk=task.pk).state == ReviewTask.State.PENDING


def test_a_substitute_of_another_department_cannot_be_named_and_the_refusal_is_logged(
    market, people
):
    outsider = reviewer_of(DepartmentFactory(code="tax"), real_name="赵税务")

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        name_substitute(
            head=people["head"],
            department=market,
            reviewer=people["absent"],
            substitute=outsider,
            starts_on=date(2026, 11, 23),
            ends_on=date(2026, 11, 27),
        )

    assert (
        "赵税务不在市市场监督管理局审批：代理人须为同一部门的审批人员。" in refused.value.messages
    )
    assert not Substitution.objects.exists()
    assert refusals("substitute_other_department").filter(actor_id=people["head"].pk).exists()


def test_only_a_head_of_the_department_names_a_substitute(market, people):
    with pytest.raises(PermissionDenied):
        name_substitute(
            head=people["substitute"],
            department=market,
            reviewer=people["absent"],
            substitute=people["substitute"],
            starts_on=date(2026, 11, 23),
            ends_on=date(2026, 11, 27),
        )
    assert not Substitution.objects.exists()


def test_the_substitutes_queue_lists_the_absent_reviewers_claimed_tasks(market, people):
    item = item_with_stages([[market]])
    theirs, other = routed_application(item), routed_application(item)
    with time_machine.travel(MONDAY, tick=False):
        claim_task(theirs.review_tasks.get(department=market).pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 27))

        covering = [t.application for t in queue_for(people["substitute"], claimed="covering")]

    assert covering == [theirs] and other not in covering


# --- reassignment --------------------------------------------------------------------------------


def test_the_head_reassigns_a_task_to_another_reviewer_of_the_department(task, market, people):
    claim_task(task.pk, people["absent"])

    reassign_task(task.pk, people["head"], people["substitute"])

    task.refresh_from_db()
    assert task.claimed_by == people["substitute"]
    assert task.application.events.filter(kind=ApplicationEvent.Kind.REASSIGNED).count() == 1
    entry = AuditEntry.objects.get(action="task.reassign", object_id=str(task.pk))
    assert (entry.detail["from"], entry.detail["to"]) == ("li", "wang")


def test_a_reassignment_to_another_departments_reviewer_is_refused_in_the_users_language(
    task, market, people
):
    claim_task(task.pk, people["absent"])
    outsider = reviewer_of(DepartmentFactory(code="tax"), real_name="赵税务")

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        reassign_task(task.pk, people["head"], outsider)

    assert "只能改派给本部门的审批人员" in refused.value.messages[0]
    task.refresh_from_db()
    assert task.claimed_by == people["absent"]
    assert not task.application.events.filter(kind=ApplicationEvent.Kind.REASSIGNED).exists()
    assert refusals("other_department").filter(detail__task_id=task.pk).exists()


def test_a_reviewer_cannot_reassign(task, people):
    with pytest.raises(PermissionDenied):
        reassign_task(task.pk, people["absent"], people["substitute"])
    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


# --- lapsing claims ------------------------------------------------------------------------------


def test_working_hours_skip_nights_and_the_weekend():
    # Friday 15:00 → 17:30 is 2.5 hours; Monday from 09:00 gives the other 5.5.
    assert working_time_before(shanghai("2026-11-30 14:30"), timedelta(hours=8)) == (
        FRIDAY_AFTERNOON
    )
    assert working_time_before(shanghai("2026-11-30 08:00"), timedelta(hours=1)) == shanghai(
        "2026-11-27 16:30"
    )


def test_an_idle_claim_lapses_after_eight_working_hours_back_to_the_queue(task, people):
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False) as clock:
        claim_task(task.pk, people["absent"])
        clock.move_to(shanghai("2026-11-30 14:29"))  # Monday: 7 h 59 min of office hours
        assert lapse_idle_claims() == []

        clock.move_to(shanghai("2026-11-30 14:31"))
        assert lapse_idle_claims() == [task.pk]

    task.refresh_from_db()
    assert (task.claimed_by, task.claimed_at, task.claim_active_at) == (None, None, None)
    lapsed = task.application.events.get(kind=ApplicationEvent.Kind.CLAIM_LAPSED)
    assert lapsed.department == task.department
    assert AuditEntry.objects.filter(action="task.claim_lapsed", object_id=str(task.pk)).exists()


def test_working_on_the_task_keeps_the_claim(task, people):
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False) as clock:
        claim_task(task.pk, people["absent"])
        clock.move_to(shanghai("2026-11-30 14:00"))
        request_extension(task.pk, people["absent"], 2, "需要现场核查")

        clock.move_to(shanghai("2026-11-30 16:00"))
        assert lapse_idle_claims() == []

    assert ReviewTask.objects.get(pk=task.pk).claimed_by == people["absent"]


def test_the_lapse_follows_the_setting(task, people, settings):
    settings.CLAIM_LAPSE_WORKING_HOURS = 2
    with time_machine.travel(MONDAY, tick=False) as clock:
        claim_task(task.pk, people["absent"])
        clock.move_to(shanghai("2026-11-23 12:01"))

        assert lapse_idle_claims() == [task.pk]


def test_the_sweeper_task_lapses_idle_claims(task, people):
    from approvals.tasks import sweep_deadlines

    with time_machine.travel(MONDAY, tick=False) as clock:
        claim_task(task.pk, people["absent"])
        clock.move_to(shanghai("2026-11-24 10:01"))

        assert sweep_deadlines()["claims_lapsed"] == 1


# --- races ---------------------------------------------------------------------------------------


def at_once(*calls):
    """Run the calls in two threads released together; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_lapse_a_claim_once(task, people):
    with time_machine.travel(MONDAY, tick=False) as clock:
        claim_task(task.pk, people["absent"])
        clock.move_to(shanghai("2026-11-24 12:00"))

        results = at_once(lapse_idle_claims, lapse_idle_claims)

    assert sorted(len(r) for r in results) == [0, 1]
    assert task.application.events.filter(kind=ApplicationEvent.Kind.CLAIM_LAPSED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_reviewer_and_their_substitute_deciding_at_once_make_one_decision(task, market, people):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 27))

        results = at_once(
            lambda: decide(task.pk, people["absent"], Outcome.APPROVE, "同意"),
            lambda: decide(task.pk, people["substitute"], Outcome.REJECT, "不符合条件"),
        )

    assert sum(isinstance(r, AlreadyDecided) for r in results) == 1
    decided = ReviewTask.objects.get(pk=task.pk)
    assert decided.state in (ReviewTask.State.APPROVED, ReviewTask.State.REJECTED)
    assert AuditEntry.objects.filter(action="task.decision", object_id=str(task.pk)).count() == 1


# --- pages and API -------------------------------------------------------------------------------


def test_the_head_names_a_substitute_on_the_page(market, people, client_for):
    client = client_for(people["head"])
    with time_machine.travel(MONDAY, tick=True):
        response = client.post(
            reverse("approvals:substitutions"),
            {
                "department": market.pk,
                "reviewer": people["absent"].pk,
                "substitute": people["substitute"].pk,
                "starts_on": "2026-11-23",
                "ends_on": "2026-11-27",
            },
            follow=True,
        )

    assert "王代理 substitutes for 李休假" in response.content.decode()
    assert Substitution.objects.get().substitute == people["substitute"]


def test_the_page_refuses_a_range_in_the_past_in_chinese(market, people, client_for):
    client = client_for(people["head"])
    with time_machine.travel(MONDAY, tick=True):
        response = client.post(
            reverse("approvals:substitutions"),
            {
                "department": market.pk,
                "reviewer": people["absent"].pk,
                "substitute": people["substitute"].pk,
                "starts_on": "2026-11-02",
                "ends_on": "2026-11-06",
            },
            headers={"accept-language": "zh-hans"},
        )

    assert response.status_code == 200
    assert "代理期限的结束日期不得早于开始日期，也不得已经过去。" in response.content.decode()
    assert not Substitution.objects.exists()
    assert refusals("past_range").exists()


def test_the_substitute_sees_on_the_task_page_that_they_decide_for_the_absent_reviewer(
    task, market, people, client_for
):
    with time_machine.travel(MONDAY, tick=True):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 27))

        page = client_for(people["substitute"]).get(reverse("approvals:task", args=[task.pk]))

    assert "You substitute for 李休假 today" in page.content.decode()


def test_the_head_reassigns_from_the_task_page(task, people, client_for):
    claim_task(task.pk, people["absent"])

    client_for(people["head"]).post(
        reverse("approvals:reassign", args=[task.pk]), {"reviewer": people["substitute"].pk}
    )

    assert ReviewTask.objects.get(pk=task.pk).claimed_by == people["substitute"]


def test_the_api_refuses_a_reassignment_to_another_department_with_the_reason(
    task, people, client_for
):
    reviewer_of(DepartmentFactory(code="tax"), username="zhao")

    response = client_for(people["head"]).post(
        reverse("api:task-reassign", args=[task.pk]),
        {"reviewer": "zhao"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "a reviewer of its own department" in str(response.json())
    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


def test_the_head_names_and_ends_a_substitute_through_the_api(market, people, client_for):
    client = client_for(people["head"])
    with time_machine.travel(MONDAY, tick=True):
        named = client.post(
            reverse("api:substitution-list"),
            {
                "department": "market",
                "reviewer": "li",
                "substitute": "wang",
                "starts_on": "2026-11-23",
                "ends_on": "2026-11-27",
            },
            content_type="application/json",
        )
        ended = client.post(reverse("api:substitution-end", args=[named.json()["id"]]))

    assert named.status_code == 201 and named.json()["substitute"] == "wang"
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None


def test_the_api_refuses_a_substitute_of_another_department_in_chinese(market, people, client_for):
    reviewer_of(DepartmentFactory(code="tax"), real_name="赵税务", username="zhao")

    response = client_for(people["head"]).post(
        reverse("api:substitution-list"),
        {
            "department": "market",
            "reviewer": "li",
            "substitute": "zhao",
            "starts_on": "2026-11-23",
            "ends_on": "2099-11-27",
        },
        content_type="application/json",
        headers={"accept-language": "zh-hans"},
    )

    assert response.status_code == 400
    assert "代理人须为同一部门的审批人员" in str(response.json())
    assert not Substitution.objects.exists()


def test_a_substitutes_supplement_request_says_for_whom_on_the_timeline(task, market, people):
    with time_machine.travel(MONDAY, tick=False):
        claim_task(task.pk, people["absent"])
        cover(people, market, date(2026, 11, 23), date(2026, 11, 23))

        decide(task.pk, people["substitute"], Outcome.REQUEST_SUPPLEMENT, "请补充营业场所照片。")

    event = task.application.events.get(kind=ApplicationEvent.Kind.SUPPLEMENT_REQUESTED)
    assert (event.actor, event.acting_for) == (people["substitute"], people["absent"])
