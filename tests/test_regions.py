"""Regions (issue 16): an applicant's case follows the implementation of the region chosen, else
of the account's; the public register, statistics, feeds and API filter by region (a city with
its districts); a civil servant of one city sees none of another city's cases."""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Department, Region
from approvals.queues import items_in_queue
from approvals.routing import route_application
from disclosure.models import DecisionRecord, Publication
from disclosure.publishing import approve_publication, draft_publication
from services import filing
from services.counter import file_at_counter
from services.models import Application, ItemImplementation
from tests.factories import (
    DEFAULT_ANSWERS,
    CitizenFactory,
    DepartmentFactory,
    ItemImplementationFactory,
    ReviewStageFactory,
    StageDepartmentFactory,
    accept,
    head_of,
    item_with_stages,
    pdf_upload,
    region,
    reviewer_of,
    second_city,
    sniffed,
    valid_resident_id,
)
from tests.factories import (
    first_city as hefei_city,
)

pytestmark = pytest.mark.django_db


@dataclass
class TwoCities:
    hefei: Region
    wuhu: Region
    shushan: Region
    hefei_market: Department
    wuhu_market: Department
    wuhu_centre: Department
    item: object  # implemented in 合肥 (reviewed by hefei-market) and in 芜湖 (wuhu-market)
    hefei_only: object


def implement_in(item, where: Region, department: Department, **terms) -> ItemImplementation:
    """`item` implemented in `where`, reviewed by `department` in one stage."""
    implementation = ItemImplementationFactory(item=item, region=where, **terms)
    stage = ReviewStageFactory(implementation=implementation, order=1, name="审查")
    StageDepartmentFactory(stage=stage, department=department)
    return implementation


@pytest.fixture
def cities():
    hefei, wuhu = hefei_city(), second_city()
    shushan = region("340104", "蜀山区", "Shushan District", level="district", parent=hefei)
    hefei_market = DepartmentFactory(code="hefei-market", name="合肥市市场监督管理局")
    wuhu_market = DepartmentFactory(code="wuhu-market", name="芜湖市市场监督管理局", region=wuhu)
    wuhu_centre = DepartmentFactory(
        code="wuhu-centre", name="芜湖市政务服务中心", region=wuhu, is_service_centre=True
    )
    reviewer_of(wuhu_centre, role="clerk", real_name="钱受理")
    item = item_with_stages([[hefei_market]], code="food-licence")
    implement_in(item, wuhu, wuhu_market)
    hefei_only = item_with_stages([[hefei_market]], code="hefei-only")
    return TwoCities(hefei, wuhu, shushan, hefei_market, wuhu_market, wuhu_centre, item, hefei_only)


def in_review(item, applicant, *, where: Region | None = None) -> Application:
    """Filed (in `where`, else the account's region), submitted, routed and accepted."""
    application = filing.start_draft(item, applicant, region=where)
    uploads = {
        material.code: sniffed(pdf_upload(f"{material.code}.pdf"))
        for material in application.definition.materials
    }
    filing.save_draft(application, dict(DEFAULT_ANSWERS), uploads, applicant)
    filing.submit(application, applicant)
    route_application(application.pk)
    return accept(application)


def decided(item, applicant, *, where: Region | None = None) -> Application:
    from approvals.decisions import Outcome, decide

    application = in_review(item, applicant, where=where)
    for task in application.review_tasks.filter(state="pending"):
        decide(task.pk, reviewer_of(task.department), Outcome.APPROVE, "符合条件")
    application.refresh_from_db()
    return application


def departments_of_tasks(application: Application) -> set[str]:
    return set(application.review_tasks.values_list("department__code", flat=True))


# --- routing ---------------------------------------------------------------------------------


def test_an_applicant_choosing_wuhu_is_routed_to_wuhus_departments(cities, client_for):
    citizen = CitizenFactory()
    started = client_for(citizen).post(
        reverse("services:start", args=[cities.item.code]), {"region": "340200"}
    )
    assert started.status_code == 302
    draft = Application.objects.get(applicant=citizen)
    assert draft.implementation.region == cities.wuhu
    application = in_review(cities.item, citizen, where=cities.wuhu)
    assert departments_of_tasks(application) == {"wuhu-centre", "wuhu-market"}


def test_a_district_applicant_is_served_by_the_citys_implementation(cities):
    application = in_review(cities.item, CitizenFactory(region=cities.shushan))
    assert application.implementation.region == cities.hefei
    assert departments_of_tasks(application) == {"service-centre", "hefei-market"}


def test_the_accounts_region_is_used_when_none_is_chosen(cities, client_for):
    citizen = CitizenFactory(region=cities.wuhu)
    client_for(citizen).post(reverse("services:start", args=[cities.item.code]))
    assert Application.objects.get(applicant=citizen).implementation.region == cities.wuhu


@pytest.mark.parametrize(
    "language, message",
    [("en", "This service is not offered in Wuhu"), ("zh-hans", "芜湖市不提供此事项")],
)
def test_an_item_not_offered_in_the_region_is_refused_and_nothing_is_made(
    cities, client_for, language, message
):
    cities.wuhu.name_en = "Wuhu"
    cities.wuhu.save()
    citizen = CitizenFactory()
    client = client_for(citizen)
    client.cookies["django_language"] = language
    response = client.post(
        reverse("services:start", args=[cities.hefei_only.code]),
        {"region": "340200"},
        headers={"accept-language": language},
        follow=True,
    )
    assert message in response.content.decode()
    assert not Application.objects.filter(applicant=citizen).exists()


# --- the register, its feed, the statistics and the API --------------------------------------


@pytest.fixture
def decisions(cities):
    """One decision in 合肥, one in 蜀山区 (its own implementation), one in 芜湖."""
    district_item = item_with_stages(
        [[cities.hefei_market]], code="district-item", region=cities.shushan
    )
    district_item.implementations.update(
        accepting_department=Department.objects.get(code="service-centre")
    )
    return {
        "340100": decided(cities.item, CitizenFactory(), where=cities.hefei),
        "340104": decided(district_item, CitizenFactory(), where=cities.shushan),
        "340200": decided(cities.item, CitizenFactory(), where=cities.wuhu),
    }


def numbers(*applications) -> set[str]:
    return {application.tracking_number for application in applications}


def test_a_published_decision_records_its_region(decisions):
    for code, application in decisions.items():
        assert DecisionRecord.objects.get(application=application).region_code == code


def test_the_register_shows_a_city_with_its_districts(decisions, client):
    hefei = client.get(reverse("disclosure:decisions"), {"region": "340100"})
    shown = {record.tracking_number for record in hefei.context["page"].object_list}
    assert shown == numbers(decisions["340100"], decisions["340104"])
    wuhu = client.get(reverse("disclosure:decisions"), {"region": "340200"})
    assert {r.tracking_number for r in wuhu.context["page"].object_list} == numbers(
        decisions["340200"]
    )
    everything = client.get(reverse("disclosure:decisions"))
    assert everything.context["page"].paginator.count == 3


@pytest.mark.parametrize(
    "language, message",
    [("en", "There is no region with this code"), ("zh-hans", "没有这个行政区划代码")],
)
def test_an_unknown_region_is_a_clear_error_on_the_register(decisions, language, message):
    response = Client(headers={"accept-language": language}).get(
        reverse("disclosure:decisions"), {"region": "999999"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["page"].paginator.count == 3


def test_the_register_offers_cities_with_their_province(cities, client):
    page = client.get(reverse("disclosure:decisions")).content.decode()
    assert 'name="region"' in page
    for code in ("340000", "340100", "340200"):
        assert f'value="{code}"' in page
    assert '<label for="filter-region">' in page


def test_the_api_register_filters_by_region(decisions, client):
    listed = client.get(reverse("api:decision-list"), {"region": "340200"}).json()
    assert {row["tracking_number"] for row in listed["results"]} == numbers(decisions["340200"])
    assert listed["results"][0]["region_code"] == "340200"
    refused = client.get(reverse("api:decision-list"), {"region": "999999"})
    assert refused.status_code == 400
    assert "region" in str(refused.json())


def test_the_decisions_feed_filters_by_region(decisions, client):
    feed = client.get(reverse("disclosure:decisions_feed"), {"region": "340200"}).content.decode()
    assert decisions["340200"].tracking_number in feed
    assert decisions["340100"].tracking_number not in feed
    assert client.get(reverse("disclosure:decisions_feed"), {"region": "12"}).status_code == 404


def test_the_publications_feed_and_api_filter_by_the_departments_region(cities, client):
    published = {}
    for department in (cities.hefei_market, cities.wuhu_market):
        author, approver = reviewer_of(department), head_of(department)
        drafted = draft_publication(
            author,
            department=department,
            kind=Publication.Kind.NOTICE,
            classification=Publication.Classification.PUBLIC,
            title=f"{department.name}通知",
            body="正文",
        )
        published[department.code] = approve_publication(drafted.pk, approver)
    feed = client.get(reverse("disclosure:feed"), {"region": "340200"}).content.decode()
    assert published["wuhu-market"].number in feed
    assert published["hefei-market"].number not in feed
    listed = client.get(reverse("api:publication-list"), {"region": "340100"}).json()
    assert [row["number"] for row in listed["results"]] == [published["hefei-market"].number]


def test_statistics_count_the_chosen_regions_departments_and_cases(decisions, client):
    page = client.get(reverse("disclosure:statistics"), {"region": "340200"})
    shown = {line["row"]["code"] for line in page.context["departments"]}
    assert shown == {"wuhu-market"}  # review departments: acceptance is not a decision
    (item_line,) = page.context["items"]
    assert (item_line["row"]["code"], item_line["row"]["received"]) == ("food-licence", 1)
    api = client.get(reverse("api:statistics"), {"region": "340100"}).json()
    assert api["region"] == "340100"
    assert {row["code"] for row in api["departments"]} == {"hefei-market"}
    received = {row["code"]: row["received"] for row in api["items"]}
    assert received == {"food-licence": 1, "district-item": 1}
    assert client.get(reverse("api:statistics"), {"region": "x"}).status_code == 400


def test_the_catalogue_shows_only_what_the_region_implements(cities, client):
    wuhu = client.get(reverse("services:catalogue"), {"region": "340200"})
    assert [item.code for item in wuhu.context["page"].object_list] == ["food-licence"]
    api = client.get(reverse("api:service-list"), {"region": "340200"}).json()
    assert [row["code"] for row in api["results"]] == ["food-licence"]


# --- staff see their own region's work only --------------------------------------------------


@pytest.fixture
def cases_in_both(cities):
    return {
        "hefei": in_review(cities.item, CitizenFactory(), where=cities.hefei),
        "wuhu": in_review(cities.item, CitizenFactory(), where=cities.wuhu),
    }


def task_in(application: Application, department: Department):
    return application.review_tasks.get(department=department)


@pytest.mark.parametrize("city, other", [("hefei", "wuhu"), ("wuhu", "hefei")])
def test_a_reviewer_sees_none_of_another_citys_cases(
    cities, cases_in_both, client_for, city, other
):
    own_department = {"hefei": cities.hefei_market, "wuhu": cities.wuhu_market}[city]
    other_department = {"hefei": cities.hefei_market, "wuhu": cities.wuhu_market}[other]
    reviewer = reviewer_of(own_department)
    client = client_for(reviewer)
    own_task = task_in(cases_in_both[city], own_department)
    other_task = task_in(cases_in_both[other], other_department)

    queue = client.get(reverse("approvals:queue"), {"item": cities.item.code})
    assert [task.pk for task in queue.context["page"].object_list] == [own_task.pk]
    api = client.get(reverse("api:task-list"), {"item": cities.item.code}).json()
    assert [row["id"] for row in api["results"]] == [own_task.pk]
    assert client.get(reverse("approvals:task", args=[other_task.pk])).status_code == 404
    assert client.get(reverse("api:task-detail", args=[other_task.pk])).status_code == 404


def test_a_service_centre_lists_only_its_own_citys_items(cities):
    wuhu_clerk = cities.wuhu_centre.memberships.get().user
    assert [code for code, _ in items_in_queue(wuhu_clerk)] == ["food-licence"]


def test_a_clerk_cannot_open_another_citys_counter_case(cities, client_for):
    hefei_clerk = Department.objects.get(code="service-centre").memberships.get().user
    application, _citizen, _code = file_at_counter(
        hefei_clerk,
        resident_id=valid_resident_id(),
        real_name="张三",
        item=cities.item,
    )
    assert application.implementation.region == cities.hefei
    wuhu_clerk = cities.wuhu_centre.memberships.get().user
    url = reverse("counter:application", args=[application.pk])
    assert client_for(wuhu_clerk).get(url).status_code == 404
    assert client_for(hefei_clerk).get(url).status_code == 200
