"""Each page `make bench` measures runs as many queries for 100 rows as for 10 (issue 9).

A page whose query count grows with its rows (an N+1) is fast in a demo and falls over at a
province's scale; the selectors fetch related rows in one place so that it cannot. Each test
opens the page once to warm per-process caches (content types, sessions), then counts.
The catalogue and the guides are counted for a logged-in citizen: anonymous visitors get them
from the page cache (tests/test_page_cache.py), which would count nothing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disclosure.models import Publication
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    MaterialFactory,
    ReviewStageFactory,
    ServiceItemFactory,
    StaffFactory,
    StageDepartmentFactory,
    item_with_stages,
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
