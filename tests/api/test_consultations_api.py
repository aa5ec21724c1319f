"""Consultations through the API: reading, commenting within the period, flood limits and
moderation, with the same rules and words as the pages (disclosure/consultations.py)."""

from datetime import date

import pytest
import time_machine

from disclosure.consultations import Moderation
from disclosure.models import ConsultationComment
from tests.consultation_factories import comment_on, consultation_of
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    head_of,
    reviewer_of,
    shanghai,
)

pytestmark = pytest.mark.django_db

DRAFTED = shanghai("2026-11-23 10:00")
DURING = shanghai("2026-12-01 10:00")
AFTER_CLOSING = shanghai("2026-12-24 00:00:01")


@pytest.fixture
def department():
    return DepartmentFactory(code="general-office", name="市人民政府办公室")


@pytest.fixture
def clock():
    with time_machine.travel(DRAFTED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def consultation(department, clock):
    return consultation_of(department, opens_on=date(2026, 11, 24), closes_on=date(2026, 12, 23))


def comments_url(consultation) -> str:
    return f"/api/v1/consultations/{consultation.pk}/comments/"


def test_anyone_reads_a_consultation_its_period_and_questions(api, consultation, clock):
    clock.move_to(DURING)

    listed = api().get("/api/v1/consultations/", {"phase": "open"}).json()["results"]
    detail = api().get(f"/api/v1/consultations/{consultation.pk}/").json()

    assert [c["number"] for c in listed] == [consultation.publication.number]
    assert detail["phase"] == "open"
    assert detail["period_days"] == 30
    assert detail["questions"][0]["text"] == "您认为3个工作日的时限是否合适？"
    assert detail["report_due_at"] == "2027-01-14T17:30:00+08:00"
    assert detail["report"] is None


def test_a_draft_not_yet_approved_is_not_in_the_api(api, department, clock):
    draft = consultation_of(
        department, opens_on=date(2026, 11, 24), closes_on=date(2026, 12, 23), published=False
    )

    assert api().get(f"/api/v1/consultations/{draft.pk}/").status_code == 404
    assert api().get("/api/v1/consultations/").json()["results"] == []


def test_a_citizen_comments_and_answers_a_question(api, consultation, clock):
    clock.move_to(DURING)
    question = consultation.questions.get()

    response = api(CitizenFactory(real_name="张三")).post(
        comments_url(consultation),
        {"body": "建议明确起算时间。", "answers": {str(question.pk): "合适。"}},
    )

    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert response.json()["author_display"] == "张*"
    assert response.json()["answers"] == [{"question": question.pk, "text": "合适。"}]
    assert api().get(comments_url(consultation)).json()["results"] == []  # not moderated yet


def test_published_comments_are_listed_masked(api, consultation, clock):
    clock.move_to(DURING)
    comment_on(
        consultation,
        CitizenFactory(real_name="李四"),
        body="李四的手机13812345678，建议延长时间。",
        moderated=Moderation.PUBLISH,
    )

    (listed,) = api().get(comments_url(consultation)).json()["results"]

    assert listed["author"] == "李*"
    assert listed["text"] == "李*的手机138****5678，建议延长时间。"


def test_a_comment_after_closing_is_refused_with_the_closing_time(api, consultation, clock):
    clock.move_to(AFTER_CLOSING)

    response = api(CitizenFactory()).post(comments_url(consultation), {"body": "迟到的意见"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "This consultation closed on 23 Dec 2026, 23:59; comments are no longer accepted."
    ]


def test_empty_oversized_and_misaddressed_comments_are_refused(api, consultation, clock, settings):
    settings.CONSULTATION_COMMENT_MAX_CHARS = 20
    clock.move_to(DURING)
    citizen = api(CitizenFactory())

    empty = citizen.post(comments_url(consultation), {"body": "  "})
    too_long = citizen.post(comments_url(consultation), {"body": "长" * 21})
    unknown_question = citizen.post(
        comments_url(consultation), {"body": "意见", "answers": {"999999": "答"}}
    )
    not_an_id = citizen.post(comments_url(consultation), {"body": "意见", "answers": {"q": "答"}})

    assert empty.json()["fields"] == {"body": ["Write your comment."]}
    assert too_long.json()["fields"] == {
        "body": ["A comment may be at most 20 characters long (it has 21)."]
    }
    assert unknown_question.json()["fields"] == {
        "answers": ["There is no question 999999 in this consultation."]
    }
    assert not_an_id.status_code == 400
    assert not ConsultationComment.objects.exists()


def test_the_api_answers_in_the_callers_language(api, consultation, clock):
    clock.move_to(AFTER_CLOSING)

    response = api(CitizenFactory(), language="zh-hans").post(
        comments_url(consultation), {"body": "迟到的意见"}
    )

    assert "2026年12月23日" in response.json()["errors"][0]


def test_who_may_comment(api, consultation, clock, department):
    clock.move_to(DURING)

    assert api().post(comments_url(consultation), {"body": "匿名"}).status_code == 401
    assert (
        api(reviewer_of(department)).post(comments_url(consultation), {"body": "内部"}).status_code
        == 403
    )
    assert (
        api(EnterpriseFactory()).post(comments_url(consultation), {"body": "企业意见"}).status_code
        == 201
    )


def test_a_flood_from_one_account_gets_429_with_retry_after(api, consultation, clock, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": "2/10m"}
    clock.move_to(DURING)
    citizen = api(CitizenFactory())

    statuses = [
        citizen.post(comments_url(consultation), {"body": f"意见{n}"}).status_code for n in range(3)
    ]
    refused = citizen.post(comments_url(consultation), {"body": "再来一条"})

    assert statuses == [201, 201, 429]
    assert int(refused["Retry-After"]) > 0
    assert (
        api(CitizenFactory()).post(comments_url(consultation), {"body": "别人"}).status_code == 201
    )


def test_the_department_moderates_through_the_api(api, consultation, clock, department):
    clock.move_to(DURING)
    comment = comment_on(consultation, body="请增加听证程序。")
    reviewer = api(reviewer_of(department))

    queue = reviewer.get("/api/v1/consultation-comments/", {"state": "pending"}).json()
    published = reviewer.post(
        f"/api/v1/consultation-comments/{comment.pk}/moderation/", {"decision": "publish"}
    )
    again = api(head_of(department)).post(
        f"/api/v1/consultation-comments/{comment.pk}/moderation/",
        {"decision": "reject", "reason": "重复"},
    )

    assert [c["text"] for c in queue["results"]] == ["请增加听证程序。"]
    assert published.json()["state"] == "published"
    assert again.status_code == 400
    assert [c["text"] for c in api().get(comments_url(consultation)).json()["results"]] == [
        "请增加听证程序。"
    ]


def test_comments_of_another_department_are_not_found(api, consultation, clock):
    clock.move_to(DURING)
    comment = comment_on(consultation)
    outsider = api(reviewer_of(DepartmentFactory()))

    assert outsider.get(f"/api/v1/consultation-comments/{comment.pk}/").status_code == 404
    assert (
        api(CitizenFactory()).get("/api/v1/consultation-comments/").status_code == 403
    )  # applicants
