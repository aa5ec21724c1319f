"""Downloads for the parties and the departments, and the public verification page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.audit import record
from approvals.views import staff_required
from common.ratelimits import by_ip, rate_limited

from .forms import VerifyForm
from .models import Instrument
from .selectors import instrument_for_party, instrument_for_staff
from .verification import NotAPdf, verify_pdf


def pdf_response(request, instrument: Instrument) -> HttpResponse:
    # The party's own document: its download is a line of the audit log, as a material's is.
    record(
        "download.attachment",
        obj=instrument.application,
        detail={"instrument": instrument.number, "kind": instrument.kind},
        request=request,
    )
    response = HttpResponse(bytes(instrument.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{instrument.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def download(request, pk: int, instrument_id: int):
    """An instrument of the person's own case, as issued."""
    return pdf_response(request, instrument_for_party(request.user, pk, instrument_id))


@staff_required
def staff_download(request, task_id: int, instrument_id: int):
    """An instrument of a case the reviewer's department works on."""
    return pdf_response(request, instrument_for_staff(request.user, task_id, instrument_id))


@rate_limited("verification", key=by_ip, methods=("POST",))
@require_http_methods(["GET", "POST"])
def verify(request):
    """Upload a PDF: is it an instrument the portal issued, unchanged and not revoked?"""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = verify_pdf(read_limited(upload))
        except NotAPdf as error:
            form.add_error("file", str(error))
            status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request, "instruments/verify.html", {"form": form, "result": result}, status=status
    )


def read_limited(upload) -> bytes:
    from django.conf import settings

    if upload.size > settings.INSTRUMENT_VERIFY_MAX_BYTES:
        raise NotAPdf(
            _("The file is larger than %(size)s MB: no instrument is that large.")
            % {"size": settings.INSTRUMENT_VERIFY_MAX_BYTES // (1024 * 1024)}
        )
    return upload.read()


@rate_limited("verification", key=by_ip, methods=("GET",))
def check(request, token):
    """Where an instrument's QR code leads: its number, issuer and standing, and the upload
    form that checks the file itself."""
    instrument = get_object_or_404(
        Instrument.objects.defer("pdf").select_related("department"), token=token
    )
    return render(
        request, "instruments/check.html", {"instrument": instrument, "form": VerifyForm()}
    )
