"""The public disclosure section: no login needed to read, a civil servant to publish."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import departments_of
from approvals import certificates
from approvals.models import Certificate
from approvals.views import staff_required
from portal.ratelimits import by_ip, rate_limited

from .forms import CertificateLookupForm, PublicationForm
from .masking import public_holder_name
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


# --- e-certificate verification ------------------------------------------------------------------
# Certificate numbers are sequential: `verify_certificate` and `certificate`, the two views a
# number-guessing script would call, share one rate limit per address (RATE_LIMITS).


@rate_limited("verification", key=by_ip, methods=("GET", "HEAD", "POST"))
def verify_certificate(request):
    """The form behind "verify a certificate": a number in, its public page out."""
    form = CertificateLookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("disclosure:certificate", form.cleaned_data["number"])
    return render(request, "disclosure/certificate_verify.html", {"form": form})


@rate_limited("verification", key=by_ip, methods=("GET", "HEAD", "POST"))
def certificate(request, number: str):
    """What anyone holding the paper or the QR code may check: is it genuine, and still valid?"""
    found = Certificate.objects.filter(number=number).first()
    if found is None:
        form = CertificateLookupForm(initial={"number": number[:40]})
        context = {"number": number, "form": form}
        return render(request, "disclosure/certificate_not_found.html", context, status=404)
    status = certificates.verify_certificate(found)
    return render(
        request,
        "disclosure/certificate.html",
        {
            "certificate": found,
            "status": status,
            "holder_name": public_holder_name(found),
        },
    )


def certificate_keys(request):
    """The public halves of the signing keys, for verifiers that check signatures themselves."""
    keys = certificates.certificate_keys()
    return JsonResponse(
        {
            "algorithm": "Ed25519",
            "signing_key_id": keys[0].key_id,
            "keys": [{"key_id": k.key_id, "public_key": k.public_key_base64} for k in keys],
        }
    )
