from django.shortcuts import render

from disclosure.models import DecisionRecord
from disclosure.selectors import public_publications
from services.catalogue import published_items
from services.models import Theme


def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "themes": Theme.objects.all(),
            "popular_items": published_items()[:6],
            "latest_decisions": DecisionRecord.objects.all()[:5],
            "latest_notices": public_publications()[:5],
        },
    )
