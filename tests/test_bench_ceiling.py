"""The benchmark's bare view exists only on the benchmark's own server (BENCH_CEILING_VIEW)."""

import importlib

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import portal.urls


def _reload_urls() -> None:
    clear_url_caches()
    importlib.reload(portal.urls)


@pytest.fixture
def ceiling_turned_on(settings):
    settings.BENCH_CEILING_VIEW = True
    _reload_urls()
    yield
    # Before the settings fixture restores the setting: the URLs must be rebuilt without it.
    settings.BENCH_CEILING_VIEW = False
    _reload_urls()


def test_bare_view_is_not_routed_unless_the_benchmark_turns_it_on(client):
    with pytest.raises(NoReverseMatch):
        reverse("bench_ceiling")
    assert client.get("/bench/ceiling/").status_code == 404


@pytest.mark.usefixtures("ceiling_turned_on")
def test_bare_view_answers_with_nothing_but_ok_when_turned_on(client):
    response = client.get("/bench/ceiling/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert client.post("/bench/ceiling/").status_code in {403, 405}  # CSRF or method: no write
