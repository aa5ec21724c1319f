"""The disclosure section through the API: only what is public and published, and statistics."""

import pytest

from disclosure.models import Publication
from disclosure.publishing import approve_publication, draft_publication
from services.models import Rating
from tests.factories import (
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(code="market")


def publish(department, title: str, body: str, classification=Publication.Classification.PUBLIC):
    draft = draft_publication(
        reviewer_of(department),
        department=department,
        kind=Publication.Kind.NOTICE,
        classification=classification,
        title=title,
        body=body,
    )
    return approve_publication(draft.pk, head_of(department))


def test_only_public_publications_reach_the_api(api, department):
    public = publish(department, "关于营业执照办理的通知", "正文")
    internal = publish(
        department, "内部工作安排", "正文", classification=Publication.Classification.INTERNAL
    )
    draft_publication(
        reviewer_of(department),
        department=department,
        kind=Publication.Kind.NOTICE,
        classification=Publication.Classification.PUBLIC,
        title="草稿",
        body="正文",
    )

    listed = api().get("/api/v1/publications/").json()

    assert [p["number"] for p in listed["results"]] == [public.number]
    assert api().get(f"/api/v1/publications/{internal.pk}/").status_code == 404


def test_publications_are_found_by_a_two_character_chinese_word_or_an_english_stem(api, department):
    licence = publish(department, "关于营业执照办理的通知", "Business licences are issued online.")
    publish(department, "消防检查安排", "Fire inspections next week.")

    by_chinese = api().get("/api/v1/publications/", {"text": "执照"}).json()["results"]
    by_english = api().get("/api/v1/publications/", {"text": "licence"}).json()["results"]

    assert [p["number"] for p in by_chinese] == [licence.number]
    assert [p["number"] for p in by_english] == [licence.number]


def test_statistics_give_the_pages_figures_with_ratings(api, department):
    item = item_with_stages([[department]], code="food-licence")
    application = routed_application(item)
    Rating.objects.create(application=application, score=4)

    body = api().get("/api/v1/statistics/").json()

    [row] = [row for row in body["items"] if row["code"] == "food-licence"]
    assert (row["received"], row["average_rating"], row["ratings"]) == (1, 4.0, 1)
    assert [row["code"] for row in body["departments"]] == ["market"]


def test_a_year_out_of_range_is_refused_in_the_callers_language(api):
    response = api(language="zh-hans").get("/api/v1/statistics/", {"year": "1066"})

    assert response.status_code == 400
    assert "year" in response.json()["fields"]
