"""The framework's ceilings for `make bench`: a view that does nothing, behind every middleware,
for a visitor and for a logged-in person (whose pages all read the session and the user).

Its URL exists only when the BENCH_CEILING_VIEW setting is on (the benchmark's own server
sets it); in any other deployment the path is not routed at all. It reads nothing, writes
nothing and says nothing about the portal, so even a server started with the setting by
mistake discloses no more than /health/ does.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET


@require_GET
def bench_ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain")


@require_GET
def bench_ceiling_logged_in(request):
    """The bare view as a live page pays for it: the session read, the user loaded."""
    if not request.user.is_authenticated:
        return HttpResponse(b"not logged in", content_type="text/plain", status=403)
    return HttpResponse(b"ok", content_type="text/plain")


def bench_urlpatterns() -> list[URLPattern]:
    """The bare views' URLs when the benchmark's server asked for them, otherwise nothing."""
    if not settings.BENCH_CEILING_VIEW:
        return []
    return [
        path("bench/ceiling/", bench_ceiling, name="bench_ceiling"),
        path("bench/ceiling/logged-in/", bench_ceiling_logged_in, name="bench_ceiling_logged_in"),
    ]
