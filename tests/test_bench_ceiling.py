"""The benchmark's bare view exists only on the benchmark's own server (BENCH_CEILING_VIEW)."""

import importlib

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import portal.urls


@pytest.fixture
def reload_urls():
    yield
    clear_url_caches()
    importlib.reload(portal.urls)


def test_bare_view_is_not_routed_unless_the_benchmark_turns_it_on(client):
    with pytest.raises(NoReverseMatch):
        reverse("bench_ceiling")
    assert client.get("/bench/ceiling/").status_code == 404


def test_bare_view_answers_with_nothing_but_ok_when_turned_on(settings, client, reload_urls):
    settings.BENCH_CEILING_VIEW = True
    clear_url_caches()
    importlib.reload(portal.urls)
    response = client.get("/bench/ceiling/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert client.post("/bench/ceiling/").status_code in {403, 405}  # CSRF or method: no write
