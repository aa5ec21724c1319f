"""The benchmark's bare view exists only on the benchmark's own server (BENCH_CEILING_VIEW)."""

from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from portal.bench_views import bench_urlpatterns


def test_bare_view_is_not_routed_unless_the_benchmark_turns_it_on(client, settings):
    assert settings.BENCH_CEILING_VIEW is False
    assert bench_urlpatterns() == []
    try:
        reverse("bench_ceiling")
    except NoReverseMatch:
        pass
    else:
        raise AssertionError("the bare view is routed without BENCH_CEILING_VIEW")
    assert client.get("/bench/ceiling/").status_code == 404


def test_bare_view_answers_ok_to_a_get_and_nothing_else_when_turned_on(settings):
    settings.BENCH_CEILING_VIEW = True
    [pattern] = bench_urlpatterns()
    assert pattern.resolve("bench/ceiling/") is not None
    response = pattern.callback(RequestFactory().get("/bench/ceiling/"))
    assert (response.status_code, response.content) == (200, b"ok")
    assert pattern.callback(RequestFactory().post("/bench/ceiling/")).status_code == 405
