"""The public disclosure section: no login needed to read, a civil servant to publish."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import departments_of
from approvals.views import staff_required

from .forms import PublicationForm
from .models import DecisionRecord, Publication


def index(request):
    return render(
        request,
        "disclosure/index.html",
        {
            "decisions": DecisionRecord.objects.all()[:10],
            "notices": Publication.objects.filter(is_published=True).select_related("department")[
                :10
            ],
        },
    )


def decisions(request):
    query = request.GET.get("q", "").strip()[:100]
    records = DecisionRecord.objects.all()
    if query:
        records = records.filter(
            Q(tracking_number=query)
            | Q(item_name__icontains=query)
            | Q(applicant_display__icontains=query)
        )
    page = Paginator(records, 30).get_page(request.GET.get("page"))
    return render(request, "disclosure/decisions.html", {"page": page, "query": query})


def decision(request, tracking_number: str):
    record = get_object_or_404(DecisionRecord, tracking_number=tracking_number)
    return render(request, "disclosure/decision.html", {"record": record})


def publications(request):
    items = Publication.objects.filter(is_published=True).select_related("department")
    kind = request.GET.get("kind", "")
    if kind in Publication.Kind.values:
        items = items.filter(kind=kind)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/publications.html",
        {"page": page, "kind": kind, "kinds": Publication.Kind.choices},
    )


def publication(request, pk: int):
    item = get_object_or_404(
        Publication.objects.select_related("department"), pk=pk, is_published=True
    )
    return render(request, "disclosure/publication.html", {"publication": item})


@staff_required
@require_http_methods(["GET", "POST"])
def new_publication(request):
    form = PublicationForm(request.POST or None, departments=departments_of(request.user))
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        item.author = request.user
        item.save()
        messages.success(request, _("Published."))
        return redirect(item)
    return render(request, "disclosure/new_publication.html", {"form": form})
