from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.elderly_mode import switch_elderly_mode
from accounts.reauth import safe_next_url
from disclosure.models import DecisionRecord
from disclosure.selectors import public_publications
from services.catalogue import published_items
from services.models import Theme
from services.regions import chosen_region


def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "themes": Theme.objects.all(),
            "popular_items": published_items(chosen_region(request))[:6],
            "latest_decisions": DecisionRecord.objects.all()[:5],
            "latest_notices": public_publications()[:5],
        },
    )


@require_POST
def elderly_mode(request):
    """The header's switch to the elderly-friendly mode and back: a plain form, no script."""
    response = redirect(safe_next_url(request, request.POST.get("next")) or "home")
    switch_elderly_mode(request, response, on=request.POST.get("elderly") == "on")
    return response
