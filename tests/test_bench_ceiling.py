"""The benchmark's bare views exist only on the benchmark's own server (BENCH_CEILING_VIEW)."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from portal.bench_views import bench_urlpatterns


def test_bare_view_is_not_routed_unless_the_benchmark_turns_it_on(client, settings):
    assert settings.BENCH_CEILING_VIEW is False
    assert bench_urlpatterns() == []
    for name in ("bench_ceiling", "bench_ceiling_logged_in"):
        try:
            reverse(name)
        except NoReverseMatch:
            pass
        else:
            raise AssertionError(f"{name} is routed without BENCH_CEILING_VIEW")
    assert client.get("/bench/ceiling/").status_code == 404
    assert client.get("/bench/ceiling/logged-in/").status_code == 404


def test_bare_view_answers_ok_to_a_get_and_nothing_else_when_turned_on(settings):
    settings.BENCH_CEILING_VIEW = True
    anonymous, _logged_in = bench_urlpatterns()
    assert anonymous.resolve("bench/ceiling/") is not None
    response = anonymous.callback(RequestFactory().get("/bench/ceiling/"))
    assert (response.status_code, response.content) == (200, b"ok")
    assert anonymous.callback(RequestFactory().post("/bench/ceiling/")).status_code == 405


def test_logged_in_bare_view_loads_the_user_and_refuses_a_visitor(settings, django_user_model):
    settings.BENCH_CEILING_VIEW = True
    _anonymous, logged_in = bench_urlpatterns()
    assert logged_in.resolve("bench/ceiling/logged-in/") is not None
    request = RequestFactory().get("/bench/ceiling/logged-in/")
    request.user = AnonymousUser()
    assert logged_in.callback(request).status_code == 403
    request.user = django_user_model(username="someone")
    response = logged_in.callback(request)
    assert (response.status_code, response.content) == (200, b"ok")


def test_the_benchmark_page_compares_with_before_and_labels_the_peer_figure_as_published():
    from bench.__main__ import before_and_after

    table = before_and_after(
        {
            "pages": {"status": {"ratio": 0.61, "p95_ms": 150, "ceiling": "ceiling"}},
            "filing": {"per_second": 40.0, "lag_p95_s": 0.5},
            "permissions_bytes_per_case": 804,
        }
    )

    assert "| 5% (of the anonymous bare view) | 61%, p95 150 ms |" in table
    assert "queue" in table and "not measured" in table  # a page missing from the run says so
    assert "804 bytes a case" in table and "40.0 filings/s" in table
    assert "Open Zaak" in table and "published, not measured here" in table
