"""Letters to the government in public: those published with their writers' consent, masked."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .letters import kind_label, public_letters
from .models import PublishedLetter


def letters(request):
    page = Paginator(public_letters(), 20).get_page(request.GET.get("page"))
    for published in page.object_list:
        published.kind_display = kind_label(published.kind)
    return render(request, "disclosure/letters.html", {"page": page})


def letter(request, number: str):
    published = PublishedLetter.objects.filter(tracking_number=number).first()
    if published is None:
        raise Http404(_("No such letter."))
    published.kind_display = kind_label(published.kind)
    return render(
        request,
        "disclosure/letter.html",
        {"published": published, "english": (get_language() or "").startswith("en")},
    )
