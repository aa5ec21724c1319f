"""The framework's ceiling for `make bench`: a view that does nothing, behind every middleware.

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


def bench_urlpatterns() -> list[URLPattern]:
    """The bare view's URL when the benchmark's server asked for it, otherwise nothing."""
    if not settings.BENCH_CEILING_VIEW:
        return []
    return [path("bench/ceiling/", bench_ceiling, name="bench_ceiling")]
