"""The applicant's status page is served from the page cache (approvals/status_page.py) and is
never stale: every kind of change it shows, and midnight, gives a page that differs from the
one before and equals a page rendered afresh."""

import re

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.notifications import mark_read, notify
from approvals import clocks, decisions
from approvals.certificates import issue_certificate
from approvals.models import Certificate, ClockStop, ReviewTask
from services.models import Application
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db

FILED = shanghai("2026-11-23 10:00")  # a Monday
LATER = shanghai("2026-11-24 11:00")
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


@pytest.fixture(autouse=True)
def empty_page_cache():
    caches["pages"].clear()


@pytest.fixture
def market():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def health():
    return DepartmentFactory(code="health", name="市卫生健康委员会", name_en="Health Commission")


@pytest.fixture
def application(market, health):
    item = item_with_stages([[market, health]], max_extension_days=10, audience="both")
    with time_machine.travel(FILED, tick=False):
        return routed_application(item)


@pytest.fixture
def applicant_client(client_for, application):
    return client_for(application.applicant)


def task_of(application, department) -> ReviewTask:
    return application.review_tasks.get(department=department)


def page(client, application) -> str:
    """The page as served, its CSRF tokens (masked afresh on every response) left out."""
    response = client.get(application.get_absolute_url())
    assert response.status_code == 200
    return CSRF_VALUE.sub(r"\1…\2", response.content.decode())


def fresh_page(client, application) -> str:
    caches["pages"].clear()
    return page(client, application)


def served_from_cache(client, application) -> str:
    """The page a second time, which must come from the cache: no template's queries run."""
    with CaptureQueriesContext(connection) as queries:
        html = page(client, application)
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "approvals_reviewtask" not in tables, "the page was rendered, not served"
    return html


def assert_change_is_shown(
    client, application, change, *, shows: str = "", badge_unchanged: bool = True
) -> None:
    """`badge_unchanged`: the applicant has read every notification before and after, so the
    header's unread badge, which most changes also move, cannot be what made the difference."""
    with time_machine.travel(LATER, tick=False):
        if badge_unchanged:
            mark_read(application.applicant)
        page(client, application)
        before = served_from_cache(client, application)
        change()
        if badge_unchanged:
            mark_read(application.applicant)
        after = page(client, application)
        assert after == served_from_cache(client, application)
        assert after != before
        assert after == fresh_page(client, application)
    if shows:
        assert shows in after and shows not in before


def test_second_visit_is_served_from_the_cache(applicant_client, application):
    with time_machine.travel(LATER, tick=False):
        first = page(applicant_client, application)
        assert served_from_cache(applicant_client, application) == first


def test_decision_is_shown_at_once(applicant_client, application, market):
    assert_change_is_shown(
        applicant_client,
        application,
        lambda: decisions.decide(
            task_of(application, market).pk, reviewer_of(market), "approve", "同意。"
        ),
    )


def test_supplement_request_is_shown_at_once(applicant_client, application, market):
    assert_change_is_shown(
        applicant_client,
        application,
        lambda: decisions.decide(
            task_of(application, market).pk,
            reviewer_of(market),
            "request_supplement",
            "请补交经营场所证明。",
        ),
    )


def test_clock_stop_is_shown_at_once(applicant_client, application, market):
    assert_change_is_shown(
        applicant_client,
        application,
        lambda: clocks.stop_clock(
            task_of(application, market).pk,
            reviewer_of(market),
            ClockStop.Reason.INSPECTION,
            "现场核查",
        ),
    )


def test_extension_is_shown_at_once(applicant_client, application, market):
    def extend():
        extension = clocks.request_extension(
            task_of(application, market).pk, reviewer_of(market), 5, "需现场核查三处经营场所"
        )
        clocks.decide_extension(extension.pk, head_of(market), approve=True)

    assert_change_is_shown(applicant_client, application, extend)


def test_certificate_is_shown_at_once(applicant_client, application, market, health):
    with time_machine.travel(LATER, tick=False):
        decisions.decide(task_of(application, market).pk, reviewer_of(market), "approve", "同意。")
        decisions.decide(task_of(application, health).pk, reviewer_of(health), "approve", "同意。")
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    # Issued after the commit in production; here the page is cached while it is not yet.
    Certificate.objects.filter(application=application).delete()

    assert_change_is_shown(
        applicant_client,
        application,
        lambda: issue_certificate(application),
        shows="Your e-certificate",
    )


def test_new_notification_is_shown_at_once(applicant_client, application):
    assert_change_is_shown(
        applicant_client,
        application,
        lambda: notify(
            [application.applicant], "test", f"test-{application.pk}", {"text": "新消息"}
        ),
        badge_unchanged=False,
    )


def test_midnight_passing_is_shown_without_any_write(applicant_client, application):
    with time_machine.travel(shanghai("2026-11-24 23:59"), tick=False):
        page(applicant_client, application)
        before = served_from_cache(applicant_client, application)
    with time_machine.travel(shanghai("2026-11-25 00:01"), tick=False):
        after = page(applicant_client, application)
        assert after != before
        assert after == fresh_page(applicant_client, application)


def test_deadline_passing_in_the_day_is_shown_without_any_write(
    applicant_client, application, market
):
    due = task_of(application, market).due_at
    with time_machine.travel(due.replace(hour=9, minute=0), tick=False):
        page(applicant_client, application)
        before = served_from_cache(applicant_client, application)
        assert "last day" in before
    with time_machine.travel(due.replace(minute=due.minute + 1), tick=False):
        after = page(applicant_client, application)
        assert after != before and "overdue" in after
        assert after == fresh_page(applicant_client, application)


def test_version_is_raised_by_the_database_even_for_a_bulk_update(application, market):
    before = Application.objects.get(pk=application.pk).page_version

    ReviewTask.objects.filter(application=application).update(opinion="批量")

    assert Application.objects.get(pk=application.pk).page_version > before


def test_stale_copy_saved_again_cannot_lower_the_version(application):
    stale = Application.objects.get(pk=application.pk)
    Application.objects.filter(pk=application.pk).update(decision_reason="x")
    raised = Application.objects.get(pk=application.pk).page_version

    stale.save()

    assert Application.objects.get(pk=application.pk).page_version == raised + 1


def test_another_person_never_gets_the_cached_page(client_for, applicant_client, application):
    with time_machine.travel(LATER, tick=False):
        page(applicant_client, application)
        stranger = client_for(CitizenFactory())
        assert stranger.get(application.get_absolute_url()).status_code == 404


def test_each_response_carries_the_viewers_own_csrf_token(applicant_client, application):
    with time_machine.travel(LATER, tick=False):
        first = applicant_client.get(application.get_absolute_url()).content.decode()
        second = applicant_client.get(application.get_absolute_url()).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert "__page_cache_csrf_token__" not in second
    # Masked afresh for every response, as Django does, from the viewer's own secret.
    assert token.findall(first) and token.findall(second)
    assert set(token.findall(first)).isdisjoint(token.findall(second))


def test_renaming_the_applicant_changes_the_page(applicant_client, application):
    def rename():
        person = application.applicant
        person.real_name = "王五"
        person.save()

    assert_change_is_shown(applicant_client, application, rename)


def test_the_keys_permission_test_answers_as_the_permission_helper(application):
    """status_page_key asks the view grant in SQL of its own; it must agree with
    services.permissions.applications_of for a grant in person, through a group, none,
    a revoked one, and an inactive account."""
    from django.contrib.auth.models import Group

    from accounts.permissions import grant_object_permissions
    from approvals.status_page import status_page_key
    from services.models import ApplicationUserObjectPermission
    from services.permissions import VIEW_APPLICATION, applications_of

    in_group, in_person, stranger, inactive = (CitizenFactory() for _ in range(4))
    overseers = Group.objects.create(name="overseers of the case")
    overseers.user_set.add(in_group)
    grant_object_permissions(overseers, [VIEW_APPLICATION], application)
    grant_object_permissions(in_person, [VIEW_APPLICATION], application)
    inactive.is_active = False
    inactive.save()

    def agree(person) -> bool:
        keyed = status_page_key(_request_of(person, application), application.pk) is not None
        permitted = applications_of(person).filter(pk=application.pk).exists()
        return keyed == permitted

    people = [application.applicant, in_group, in_person, stranger, inactive]
    assert all(agree(person) for person in people)
    assert status_page_key(_request_of(in_group, application), application.pk) is not None
    ApplicationUserObjectPermission.objects.filter(user=in_person).delete()
    assert agree(in_person)
    assert status_page_key(_request_of(in_person, application), application.pk) is None


def _request_of(person, application):
    from django.test import RequestFactory

    request = RequestFactory().get(application.get_absolute_url())
    request.user = person
    return request
