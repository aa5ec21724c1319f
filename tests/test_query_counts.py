"""Each page `make bench` measures runs as many queries for 100 rows as for 10 (issue 9).

A page whose query count grows with its rows (an N+1) is fast in a demo and falls over at a
province's scale; the selectors fetch related rows in one place so that it cannot. Each test
opens the page once to warm per-process caches (content types, sessions), then counts.
The catalogue and the guides are counted for a logged-in citizen: anonymous visitors get them
from the page cache (tests/test_page_cache.py), which would count nothing.
"""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from bench.filing_profile import STARTUP_ANSWERS  # the bench counts the same filing
from disclosure.models import Publication
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    MaterialFactory,
    ReviewStageFactory,
    ServiceItemFactory,
    StaffFactory,
    StageDepartmentFactory,
    acceptance_task,
    application_at_acceptance,
    clerk_of,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

FEW, MANY = 10, 100


def queries_to_open(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_catalogue_runs_as_many_queries_for_100_items_as_for_10(client_for):
    client = client_for(CitizenFactory())
    ServiceItemFactory.create_batch(FEW)
    few = queries_to_open(client, reverse("services:catalogue"))
    ServiceItemFactory.create_batch(MANY - FEW)
    assert queries_to_open(client, reverse("services:catalogue")) == few


def _guide_with(rows: int):
    item = ServiceItemFactory()
    MaterialFactory.create_batch(rows, item=item)
    stage = ReviewStageFactory(item=item, order=1)
    for _ in range(rows):
        StageDepartmentFactory(stage=stage, department=DepartmentFactory())
    return reverse("services:guide", args=[item.code])


def test_service_guide_runs_as_many_queries_for_100_materials_and_departments_as_for_10(
    client_for,
):
    client = client_for(CitizenFactory())
    few = queries_to_open(client, _guide_with(FEW))
    assert queries_to_open(client, _guide_with(MANY)) == few


def _case_reviewed_by(departments: int, applicant):
    """A case in review at `departments` departments in parallel: as many rows on its page."""
    item = item_with_stages([DepartmentFactory.create_batch(departments)], materials=())
    return routed_application(item, applicant)


def test_status_page_runs_as_many_queries_for_100_departments_as_for_10(client_for):
    applicant = CitizenFactory()
    client = client_for(applicant)
    few = queries_to_open(client, _case_reviewed_by(FEW, applicant).get_absolute_url())
    many = queries_to_open(client, _case_reviewed_by(MANY, applicant).get_absolute_url())
    assert many == few


def queries_to_accept_into_a_stage_of(departments: int) -> int:
    """Accepting a case opens its first stage at `departments` departments, each with two
    reviewers to tell: the queries of the acceptance decision."""
    from approvals.decisions import Outcome, decide

    stage = DepartmentFactory.create_batch(departments)
    for department in stage:
        reviewer_of(department)
        reviewer_of(department)
    application = application_at_acceptance(item_with_stages([stage], materials=()))
    task = acceptance_task(application)
    clerk = clerk_of(task.department)
    with CaptureQueriesContext(connection) as queries:
        decide(task.pk, clerk, Outcome.APPROVE, "材料齐全，予以受理")
    assert (
        Notification.objects.filter(
            kind="task_assigned", recipient__memberships__department__in=stage
        ).count()
        == 2 * departments
    )
    return len(queries)


def test_opening_a_stage_at_100_departments_runs_as_many_queries_as_at_10():
    """The new tasks' grants and their departments' notifications go in one INSERT each."""
    queries_to_accept_into_a_stage_of(FEW)
    assert queries_to_accept_into_a_stage_of(MANY) == queries_to_accept_into_a_stage_of(FEW)


def test_reviewer_queue_runs_as_many_queries_for_100_tasks_as_for_10(client_for):
    department = DepartmentFactory()
    reviewer = reviewer_of(department)
    item = item_with_stages([[department]], materials=())
    client = client_for(reviewer)
    for _ in range(FEW):
        routed_application(item)
    few = queries_to_open(client, reverse("approvals:queue"))
    for _ in range(MANY - FEW):
        routed_application(item)
    assert queries_to_open(client, reverse("approvals:queue")) == few


def _publish(count: int) -> None:
    department, author = DepartmentFactory(), StaffFactory()
    Publication.objects.bulk_create(
        Publication(title=f"通告{n}", body="正文", department=department, author=author)
        for n in range(count)
    )


def test_publications_page_runs_as_many_queries_for_100_publications_as_for_10(client):
    _publish(FEW)
    few = queries_to_open(client, reverse("disclosure:publications"))
    _publish(MANY - FEW)
    assert queries_to_open(client, reverse("disclosure:publications")) == few


def test_disclosure_search_runs_as_many_queries_for_100_hits_as_for_10(client):
    url = reverse("disclosure:search") + "?q=通告"
    _publish(FEW)
    few = queries_to_open(client, url)
    _publish(MANY - FEW)
    assert queries_to_open(client, url) == few


def _task_of_case_reviewed_by(departments: int):
    """A task of a case in review at `departments` departments in parallel, its clock stopped
    for a hearing: every part of the case file has rows."""
    from approvals.clocks import stop_clock
    from approvals.models import ClockStop

    application = _case_reviewed_by(departments, CitizenFactory())
    task = application.review_tasks.filter(stage_order=1).select_related("department").first()
    stop_clock(task.pk, reviewer_of(task.department), ClockStop.Reason.HEARING, "听证")
    return task


def test_staff_task_page_runs_as_many_queries_for_100_departments_as_for_10(client_for):
    few_task = _task_of_case_reviewed_by(FEW)
    many_task = _task_of_case_reviewed_by(MANY)
    few = queries_to_open(
        client_for(reviewer_of(few_task.department)), reverse("approvals:task", args=[few_task.pk])
    )
    many = queries_to_open(
        client_for(reviewer_of(many_task.department)),
        reverse("approvals:task", args=[many_task.pk]),
    )
    assert many == few


def test_api_task_detail_runs_as_many_queries_for_100_departments_as_for_10(client_for):
    few_task = _task_of_case_reviewed_by(FEW)
    many_task = _task_of_case_reviewed_by(MANY)
    few = queries_to_open(
        client_for(reviewer_of(few_task.department)), reverse("api:task-detail", args=[few_task.pk])
    )
    many = queries_to_open(
        client_for(reviewer_of(many_task.department)),
        reverse("api:task-detail", args=[many_task.pk]),
    )
    assert many == few


def test_the_api_task_detail_serialises_the_case_file_without_a_query_of_its_own():
    """The case file is the one read (approvals/queues.case_file); the serializer only shapes it."""
    from approvals.queues import case_file, task_for_reviewer
    from approvals.serializers import TaskDetailSerializer

    task = _task_of_case_reviewed_by(FEW)
    case = case_file(task_for_reviewer(reviewer_of(task.department), task.pk))

    with CaptureQueriesContext(connection) as queries:
        data = TaskDetailSerializer(case.task, context={"case_file": case}).data

    assert len(queries) == 0
    assert len(data["stages"][-1]["departments"]) == FEW
    assert [stop["reason"] for stop in data["clock_stops"]] == ["hearing"]


# --- filing (issue 20 item 4) --------------------------------------------------------------------
# Budgets per request, counted on the demo's business start-up (four departments in parallel,
# three materials, six fields) as production runs it: each request its own transaction
# (transactional tests, so the test's own transaction adds no savepoints). Each budget test
# files once first, so caches and the item's frozen version are as on a busy day.

SAVE_BUDGET, SUBMIT_BUDGET, ROUTE_BUDGET = 12, 20, 25
transactional = pytest.mark.django_db(transaction=True)


def tables_read_twice(queries) -> list[str]:
    """Tables that more than one SELECT of the request reads from (joins in one query count once)."""
    import re
    from collections import Counter

    tables = Counter(
        re.search(r'\bFROM\s+"?(\w+)"?', query["sql"]).group(1)
        for query in queries
        if query["sql"].lstrip().upper().startswith("SELECT")
    )
    return sorted(table for table, count in tables.items() if count > 1)


@dataclass
class Filing:
    save: list
    submit: list
    route: list
    application: object


def file_business_startup(client, filer, on_behalf_of=None) -> Filing:
    """Start a draft, save it with its three files, submit it, route it: the queries of each."""
    from approvals.routing import route_application
    from services.models import Application

    start = client.post(
        reverse("services:start", args=["business-startup"]),
        {"new": "1", "on_behalf_of": str(on_behalf_of.pk) if on_behalf_of else ""},
    )
    edit = start["Location"]
    assert client.get(edit).status_code == 200
    files = {
        f"material__{code}": pdf_upload(f"{code}.pdf")
        for code in ("articles", "premises", "legal-rep-id")
    }
    with CaptureQueriesContext(connection) as save:
        saved = client.post(edit, {**STARTUP_ANSWERS, **files, "save": ""})
    assert saved.status_code == 302 and saved["Location"] == edit, saved
    with CaptureQueriesContext(connection) as submit:
        submitted = client.post(edit, {**STARTUP_ANSWERS, "submit": ""})
    assert submitted.status_code == 302 and "/edit/" not in submitted["Location"], submitted
    application = Application.objects.get(pk=int(edit.rstrip("/").split("/")[-2]))
    assert application.status == Application.Status.SUBMITTED
    with CaptureQueriesContext(connection) as route:
        assert len(route_application(application.pk)) == 1
    return Filing(list(save), list(submit), list(route), application)


@pytest.fixture
def demo(broker_outage):
    """The demo's catalogue and people; nothing published (routing is called by the test)."""
    from portal.demo import load_demo

    with broker_outage():
        load_demo()
        yield


@pytest.fixture
def filed_by(client_for, demo):
    """Who files (their user name) and for whom: files once to warm up, then once counted."""
    from accounts.models import User

    def filed(username: str, principal: str | None = None) -> Filing:
        filer = User.objects.get(username=username)
        principal = User.objects.get(username=principal) if principal else None
        client = client_for(filer)
        file_business_startup(client, filer, principal)
        return file_business_startup(client, filer, principal)

    return filed


FILERS = {
    "in person": ("zhangsan", None),
    "enterprise clerk": ("wangwu", "hefei-demo-tech"),
    "agent": ("zhaoliu", "zhangsan"),
}


@transactional
@pytest.mark.parametrize("filer", FILERS)
def test_saving_the_form_with_its_files_stays_within_its_query_budget(filed_by, filer):
    filing = filed_by(*FILERS[filer])
    # Filing for another is asked again at every step (services/parties.py): one query more.
    budget = SAVE_BUDGET if filer == "in person" else SAVE_BUDGET + 1
    assert len(filing.save) <= budget, [query["sql"][:120] for query in filing.save]
    assert tables_read_twice(filing.save) == []


@transactional
@pytest.mark.parametrize("filer", FILERS)
def test_submitting_stays_within_its_query_budget(filed_by, filer):
    filing = filed_by(*FILERS[filer])
    assert len(filing.submit) <= SUBMIT_BUDGET, [query["sql"][:120] for query in filing.submit]
    assert tables_read_twice(filing.submit) == []


@transactional
@pytest.mark.parametrize("filer", FILERS)
def test_routing_stays_within_its_query_budget(filed_by, filer):
    filing = filed_by(*FILERS[filer])
    assert len(filing.route) <= ROUTE_BUDGET, [query["sql"][:120] for query in filing.route]
    assert tables_read_twice(filing.route) == []


# --- the catalogue's admin (issue 16) ------------------------------------------------------------
# A province keeps some 10,000 implementations; the list of them shows 50 a page, each row with
# its item, region and published version. 60 rows fill a page and leave one over.

IMPLEMENTATION_LIST = "admin:services_itemimplementation_changelist"


def _implementations(count: int, *, publisher) -> None:
    """`count` implementations in two cities, the first published through the workflow (so
    that it has a published version to show), the others drafts or published before it."""
    from services import catalogue_publishing
    from tests.factories import second_city

    item = item_with_stages(
        [[DepartmentFactory()]],
        materials=[{"code": "id_card", "name": "身份证明", "description": "正反面。"}],
        is_published=False,
    )
    first = item.implementations.get()
    catalogue_publishing.mark_edited(first.pk, StaffFactory(is_staff=True))
    catalogue_publishing.submit_for_review(first.pk, StaffFactory(is_staff=True))
    catalogue_publishing.approve(first.pk, publisher)
    catalogue_publishing.publish(first.pk, publisher)
    for number in range(count - 1):
        ServiceItemFactory(
            name_en=f"Street stall {number}",
            region=second_city() if number % 2 else None,
            is_published=number % 3 == 0,
        )


@pytest.mark.parametrize(
    "query", ["", "?q=Street", "?region__id__exact={city}&review_state__exact=draft", "?o=-3.1"]
)
def test_implementation_list_runs_as_many_queries_for_60_implementations_as_for_10(
    client_for, query
):
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    client = client_for(administrator)
    from tests.factories import first_city

    url = reverse(IMPLEMENTATION_LIST) + query.format(city=first_city().pk)
    _implementations(FEW, publisher=administrator)
    few = queries_to_open(client, url)
    _implementations(60 - FEW, publisher=administrator)
    assert queries_to_open(client, url) == few


def _edited(implementation, times: int) -> None:
    """`times` saves that each change the implementation and one of its local materials."""
    from services.models import Material

    material = Material.objects.create(
        implementation=implementation, code="local_proof", name="本地证明", order=9
    )
    for number in range(times):
        implementation.fee_basis = f"收费依据第{number}版"
        implementation.save()
        material.description = f"第{number}版说明"
        material.save()


def test_implementation_page_runs_as_many_queries_for_60_changes_as_for_10(client_for):
    client = client_for(StaffFactory(is_staff=True, is_superuser=True))
    few_changes, many_changes = (
        item_with_stages([[DepartmentFactory()]]).implementations.get() for _ in range(2)
    )
    _edited(few_changes, FEW)
    _edited(many_changes, 60)
    page = "admin:services_itemimplementation_change"

    few = queries_to_open(client, reverse(page, args=[few_changes.pk]))
    many = queries_to_open(client, reverse(page, args=[many_changes.pk]))

    assert many == few
