from django.shortcuts import render

from disclosure.models import DecisionRecord, Publication
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
            "latest_notices": Publication.objects.filter(is_published=True)[:5],
        },
    )
