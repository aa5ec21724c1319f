"""Full-text search in Chinese (character bigrams) and English (stemming), public content only."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disclosure.models import Publication
from disclosure.publishing import approve_publication, draft_publication, withdraw_publication
from disclosure.search import RECENT_WINDOWS_DAYS, parse_query, search
from tests.factories import DepartmentFactory, head_of, item_with_stages, reviewer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(name="市市场监督管理局", name_en="Market Regulation")


def published(department, title, body, *, kind="notice", classification="public"):
    author = reviewer_of(department)
    draft = draft_publication(
        author,
        department=department,
        kind=kind,
        classification=classification,
        title=title,
        body=body,
    )
    return approve_publication(draft.pk, head_of(department))


def titles(results):
    return [hit.url for hit in results.hits]


def test_chinese_query_finds_a_document_by_any_two_character_word(department):
    wanted = published(department, "关于小餐饮经营许可的通告", "自即日起，小餐饮实行告知承诺制。")
    published(department, "关于道路维修的通知", "长江西路夜间施工。")

    for word in ["餐饮", "许可", "告知", "承诺"]:
        assert titles(search(word)) == [wanted.get_absolute_url()], word


def test_chinese_phrase_must_occur_together(department):
    together = published(department, "食品经营许可", "办理食品经营许可。")
    published(department, "食品安全抽检", "餐饮经营户名单。")

    assert titles(search("食品经营")) == [together.get_absolute_url()]


def test_english_query_is_stemmed(department):
    wanted = published(department, "Licensing notice", "Food business licences are issued online.")

    assert titles(search("licence issue")) == [wanted.get_absolute_url()]


def test_title_match_ranks_above_text_match(department):
    in_text = published(department, "通知", "关于营业执照的说明。")
    in_title = published(department, "营业执照办理指南", "说明。")

    assert titles(search("营业执照")) == [in_title.get_absolute_url(), in_text.get_absolute_url()]


@pytest.mark.parametrize("classification", ["on_request", "internal", "confidential"])
def test_only_public_publications_are_found(department, classification):
    published(department, "内部资料：执法计划", "执法检查安排", classification=classification)

    assert search("执法").total == 0


def test_drafts_and_withdrawn_publications_are_not_found(department):
    draft_publication(
        reviewer_of(department),
        department=department,
        kind="notice",
        classification="public",
        title="草稿：收费标准",
        body="收费标准调整",
    )
    gone = published(department, "收费标准公告", "收费标准调整")
    withdraw_publication(gone.pk, head_of(department), "已被新文件替代")

    assert search("收费").total == 0


def test_filters_by_department_kind_and_date(department):
    other = DepartmentFactory()
    mine = published(department, "营商环境评估通知", "营商环境", kind="notice")
    published(other, "营商环境评估办法", "营商环境", kind="document")

    assert titles(search("营商", department_id=department.pk)) == [mine.get_absolute_url()]
    assert titles(search("营商", kind="notice")) == [mine.get_absolute_url()]
    assert search("营商", date_to=mine.published_at.date().replace(year=2000)).total == 0


def test_catalogue_guides_are_found_in_both_languages(department):
    item = item_with_stages([[department]], name="食品经营许可", name_en="Food business licence")

    assert [hit.url for hit in search("经营许可").guides] == [item.get_absolute_url()]
    assert [hit.url for hit in search("licences").guides] == [item.get_absolute_url()]


def test_unpublished_item_leaves_the_index(department):
    item = item_with_stages([[department]], name="临时占道许可")
    item.implementations.update(is_published=False)
    item.implementations.get().save()

    assert search("占道").guides == []


def test_snippet_highlights_and_escapes_html(department):
    published(department, "通知", "<script>alert(1)</script> 关于营业执照的说明")

    hit = search("营业执照").hits[0]

    assert "<mark>营业执照</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet


def test_query_operators_are_plain_text(department):
    published(department, "通知", "正文")
    for text in ["&|!(", "'; DROP TABLE x; --", ":*", "<->"]:
        assert search(text).total == 0
    assert parse_query("").is_empty


def test_search_page_paginates_and_shows_highlighted_results(client, department):
    for n in range(25):
        published(department, f"第{n}号公告：小餐饮许可", "小餐饮许可")

    first = client.get(reverse("disclosure:search"), {"q": "小餐饮"})
    second = client.get(reverse("disclosure:search"), {"q": "小餐饮", "page": 2})

    assert first.status_code == 200
    assert first.context["results"].total == 25
    assert len(first.context["results"].hits) == 20
    assert len(second.context["results"].hits) == 5
    assert "<mark>小餐饮</mark>" in first.content.decode()


def test_search_page_rejects_a_reversed_date_range(client):
    response = client.get(
        reverse("disclosure:search"),
        {"q": "许可", "date_from": "2026-05-01", "date_to": "2026-01-01"},
    )
    assert response.status_code == 200
    assert response.context["results"] is None
    assert "The start date is after the end date." in response.content.decode()


def test_saving_a_publication_updates_its_index(department):
    publication = published(department, "旧标题", "正文")
    publication.title = "新的营业执照标题"
    publication.save()

    assert titles(search("执照")) == [publication.get_absolute_url()]


def test_a_common_term_is_ranked_among_the_most_recent_matches(monkeypatch, department):
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "MAX_RANKED", 3)
    older = published(department, "营业执照办理指南", "营业执照")  # best rank, but oldest
    newer = [published(department, f"第{n}号通知", "关于营业执照的说明") for n in range(3)]

    results = search("营业执照")

    assert results.total == 3
    assert results.total_is_capped
    assert older.get_absolute_url() not in titles(results)
    assert set(titles(results)) == {p.get_absolute_url() for p in newer}
    assert search("营业执照 指南").total == 1  # narrowing the search reaches older ones


def published_days_ago(department, days, title, body="", **kwargs):
    publication = published(department, title, body or title, **kwargs)
    publication.published_at = timezone.now() - timedelta(days=days)
    Publication.objects.filter(pk=publication.pk).update(published_at=publication.published_at)
    return publication


# Ages in days spread over disclosure.search.RECENT_WINDOWS_DAYS, the oldest beyond the last.
AGES = [0, 3, 30, 300, 2000]


def test_a_rare_term_is_found_however_old(department):
    matches = [published_days_ago(department, days, f"{days}天前的户籍通知") for days in AGES]
    published_days_ago(department, 10, "居住证办理")

    results = search("户籍")

    assert results.total == len(AGES)
    assert not results.total_is_capped
    assert set(titles(results)) == {p.get_absolute_url() for p in matches}


def test_the_most_recent_matches_are_ranked_however_old(monkeypatch, department):
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "MAX_RANKED", 3)
    oldest_first = [
        published_days_ago(department, days, f"{days}天前的户籍通知") for days in reversed(AGES)
    ]

    results = search("户籍")

    assert results.total == 3
    assert results.total_is_capped
    assert set(titles(results)) == {p.get_absolute_url() for p in oldest_first[-3:]}


def test_non_public_matches_do_not_take_the_places_of_older_public_ones(monkeypatch, department):
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "MAX_RANKED", 2)
    for classification in ["on_request", "internal", "confidential"]:
        published_days_ago(department, 0, "内部户籍数据", classification=classification)
    public = [published_days_ago(department, days, "户籍通知") for days in [30, 2000]]

    results = search("户籍")

    assert set(titles(results)) == {p.get_absolute_url() for p in public}


def test_filters_apply_to_old_publications_too(monkeypatch, department):
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "MAX_RANKED", 2)
    other = DepartmentFactory()
    for days in AGES:
        published_days_ago(other, days, "户籍通知", kind="notice")
    mine = [
        published_days_ago(department, days, "户籍办法", kind="document") for days in [300, 2000]
    ]
    wanted = {p.get_absolute_url() for p in mine}

    assert set(titles(search("户籍", department_id=department.pk))) == wanted
    assert set(titles(search("户籍", kind="document"))) == wanted
    old_dates = {"date_to": (timezone.now() - timedelta(days=100)).date()}
    assert set(titles(search("户籍", department_id=department.pk, **old_dates))) == wanted


def newest_queries_run(captured):
    return [q["sql"] for q in captured if "AS matches" in q["sql"] and "EXPLAIN" not in q["sql"]]


@pytest.fixture
def every_term_is_middling(monkeypatch):
    """Every term is read through a recent window: the smallest, since each expects ≥ 1 row."""
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "FEW_MATCHES", 0)
    monkeypatch.setattr(search_module, "COMMON_SHARE", 2)
    monkeypatch.setattr(search_module, "WINDOW_MATCHES", 1)
    monkeypatch.setattr(search_module, "MAX_RANKED", 3)


def test_a_middling_term_is_read_within_the_recent_window_that_holds_enough(
    every_term_is_middling, department
):
    newest = [published_days_ago(department, 0, f"第{n}号户籍通知") for n in range(3)]
    for days in AGES[1:]:
        published_days_ago(department, days, "户籍通知")

    with CaptureQueriesContext(connection) as captured:
        results = search("户籍")

    assert set(titles(results)) == {p.get_absolute_url() for p in newest}
    assert results.total_is_capped
    [windowed] = newest_queries_run(captured)
    assert "AS matches WHERE published_at" in windowed


def test_a_window_that_holds_too_few_falls_back_to_the_whole_archive(
    every_term_is_middling, department
):
    oldest_first = [published_days_ago(department, days, "户籍通知") for days in reversed(AGES)]

    with CaptureQueriesContext(connection) as captured:
        results = search("户籍")

    assert set(titles(results)) == {p.get_absolute_url() for p in oldest_first[-3:]}
    assert len(newest_queries_run(captured)) == 2


def test_a_publication_at_the_start_of_the_window_is_in_it(
    every_term_is_middling, monkeypatch, department
):
    from disclosure import search as search_module

    monkeypatch.setattr(search_module, "MAX_RANKED", 1)
    with time_machine.travel(timezone.now(), tick=False):
        at_start = published_days_ago(department, RECENT_WINDOWS_DAYS[0], "户籍通知")

        with CaptureQueriesContext(connection) as captured:
            results = search("户籍")

    assert titles(results) == [at_start.get_absolute_url()]
    assert len(newest_queries_run(captured)) == 1
