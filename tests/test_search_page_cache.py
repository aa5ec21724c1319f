"""Anonymous visitors' search result pages come from the page cache under the publications'
token (disclosure/receivers.py): stale the moment a publication is published or withdrawn,
and never more of them than SEARCH_PAGES_CACHED."""

import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from disclosure.publishing import withdraw_publication
from tests.factories import head_of
from tests.test_search import department, published  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SEARCH = reverse("disclosure:search")
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


@pytest.fixture(autouse=True)
def empty_page_cache():
    caches["pages"].clear()


def visitor() -> Client:
    return Client(headers={"accept-language": "zh-hans"})


def search_page(text: str, **extra) -> str:
    """The page as served, its CSRF tokens (masked afresh for every response) left out."""
    response = visitor().get(SEARCH, {"q": text, **extra})
    assert response.status_code == 200
    return CSRF_VALUE.sub(r"\1…\2", response.content.decode())


def fresh_search_page(text: str) -> str:
    caches["pages"].clear()
    return search_page(text)


def test_a_repeated_search_is_served_without_queries(department, django_assert_num_queries):  # noqa: F811
    published(department, "企业开办指南", "企业开办一网通办")
    first = search_page("企业开办")

    with django_assert_num_queries(0):
        again = search_page("企业开办")

    assert again == first


def test_a_new_publication_is_found_at_once(department):  # noqa: F811
    published(department, "企业开办指南", "企业开办一网通办")
    before = search_page("企业开办")

    published(department, "企业开办新规", "企业开办时限压缩")
    after = search_page("企业开办")

    # Titles come with the searched words marked: <mark>企业开办</mark>新规.
    assert after != before and "新规" in after and "新规" not in before
    assert after == fresh_search_page("企业开办")


def test_a_withdrawn_publication_leaves_the_results_at_once(department):  # noqa: F811
    gone = published(department, "收费标准公告", "收费标准调整")
    before = search_page("收费")

    withdraw_publication(gone.pk, head_of(department), "已被新文件替代")
    after = search_page("收费")

    assert "标准公告" in before and "标准公告" not in after
    assert after == fresh_search_page("收费")


def test_no_more_pages_are_kept_than_the_bound(department, settings, django_assert_num_queries):  # noqa: F811
    settings.SEARCH_PAGES_CACHED = 2
    published(department, "企业开办指南", "企业开办一网通办")
    for text in ("企业", "开办", "指南"):
        search_page(text)

    with django_assert_num_queries(0):
        search_page("企业")
        search_page("开办")
    redis = caches["pages"]._cache.get_client()
    assert len(redis.keys("*page:*")) == 2


def test_long_texts_and_far_pages_are_not_kept(department):  # noqa: F811
    published(department, "企业开办指南", "企业开办一网通办")
    search_page("企" * 60)
    search_page("企业", page="11")
    search_page("企业", unknown="1")

    redis = caches["pages"]._cache.get_client()
    assert redis.keys("*page:*") == []
