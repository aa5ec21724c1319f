"""The public disclosure section: no login needed to read, a civil servant to publish."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Department
from approvals import certificates
from approvals.models import Certificate
from approvals.views import staff_required
from common.page_cache import cached_for_anonymous_visitors, keep_out_of_cache
from common.ratelimits import by_ip, rate_limited
from instruments.selectors import appeal_period_of_refusal
from services.materials import download_name
from services.regions import code_prefix, regions_to_choose

from . import statistics
from .forms import (
    CertificateLookupForm,
    PublicationForm,
    RegionForm,
    SearchForm,
    StatisticsForm,
    WithdrawalForm,
    YearForm,
)
from .masking import public_holder_name
from .models import DecisionRecord, Publication
from .permissions import (
    can_approve,
    can_withdraw,
    drafting_departments,
    statistics_departments,
    visible_publications,
)
from .publishing import approve_publication, draft_publication, withdraw_publication
from .receivers import SEARCH_PAGES
from .requests import answered_requests, draft_answer_publication
from .search import search as search_publications_and_guides
from .selectors import (
    public_decisions,
    public_publication,
    public_publications,
    public_publications_of,
    search_decisions,
    withdrawn_publication,
)


def index(request):
    return render(
        request,
        "disclosure/index.html",
        {
            "decisions": public_decisions()[:10],
            "notices": public_publications()[:10],
            "kinds": Publication.Kind.choices,
        },
    )


def chosen_region_filter(request) -> RegionForm:
    """The page's `?region=` filter, validated: its `region` is None for every region, and for
    a code that names none (the form then carries the error the page shows)."""
    form = RegionForm(request.GET)
    form.region = form.cleaned_data["region"] if form.is_valid() else None
    return form


def decisions(request):
    query = request.GET.get("q", "").strip()[:100]
    region_filter = chosen_region_filter(request)
    records = search_decisions(public_decisions(region_filter.region), query)
    page = Paginator(records, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/decisions.html",
        {
            "page": page,
            "query": query,
            "region_filter": region_filter,
            "region": region_filter.region,
            "regions": regions_to_choose(),
        },
    )


def decision(request, tracking_number: str):
    decision = get_object_or_404(public_decisions(), tracking_number=tracking_number)
    appeal = None
    if decision.outcome == DecisionRecord.Outcome.REJECTED:
        appeal = appeal_period_of_refusal(decision.application_id, decision.decided_at)
    return render(request, "disclosure/decision.html", {"record": decision, "appeal": appeal})


def publications(request):
    region_filter = chosen_region_filter(request)
    items = public_publications_of(region_filter.region)
    kind = request.GET.get("kind", "")
    if kind in Publication.Kind.values:
        items = items.filter(kind=kind)
    else:
        kind = ""
    department = Department.objects.filter(code=request.GET.get("department", "")).first()
    if department:
        items = items.filter(department=department)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/publications.html",
        {
            "page": page,
            "kind": kind,
            "kinds": Publication.Kind.choices,
            "department": department,
            "region_filter": region_filter,
            "region": region_filter.region,
            "regions": regions_to_choose(),
        },
    )


def publication(request, number: str):
    item = public_publication(number)
    if item is None:
        withdrawn = withdrawn_publication(number)
        if withdrawn is None:
            raise Http404(_("No such publication."))
        # 410 Gone: search engines drop the page, readers learn when and why.
        return render(
            request, "disclosure/publication_withdrawn.html", {"publication": withdrawn}, status=410
        )
    if item.kind == Publication.Kind.CONSULTATION:
        return redirect(item.get_absolute_url(), permanent=True)  # its page takes comments
    return render(request, "disclosure/publication.html", {"publication": item})


def publication_attachment(request, number: str, attachment_id: int):
    item = public_publication(number)
    if item is None:
        raise Http404(_("No such publication."))
    attachment = get_object_or_404(item.attachments, pk=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=download_name(attachment.original_name, attachment.content_type),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


SEARCH_FILTERS = {"q", "department", "kind", "date_from", "date_to", "page"}
# Result pages past these are rendered each time: nobody reads them twice.
SEARCH_QUERY_CACHED_UP_TO = 50  # characters
SEARCH_PAGE_CACHED_UP_TO = 10


@cached_for_anonymous_visitors(SEARCH_PAGES, most=lambda: settings.SEARCH_PAGES_CACHED)
def search(request):
    """Search of the publications and guides; anonymous visitors' result pages are kept under
    the publications' token (disclosure/receivers.py), at most SEARCH_PAGES_CACHED of them."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        results = search_publications_and_guides(
            data["q"],
            department_id=data["department"].pk if data["department"] else None,
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            page_number=request.GET.get("page"),
        )
    if not is_a_keepable_search(request, form):
        keep_out_of_cache(request)
    return render(request, "disclosure/search.html", {"form": form, "results": results})


def is_a_keepable_search(request, form: SearchForm) -> bool:
    """A well-formed search of a short text, on one of its first pages."""
    parameters = request.GET
    page = parameters.get("page", "1")
    return (
        form.is_bound
        and form.is_valid()
        and set(parameters) <= SEARCH_FILTERS
        and all(len(parameters.getlist(name)) == 1 for name in parameters)
        and len(form.cleaned_data["q"]) <= SEARCH_QUERY_CACHED_UP_TO
        # Compared as text first: int() refuses a number of more than 4,300 digits.
        and page.isdigit()
        and len(page) <= len(str(SEARCH_PAGE_CACHED_UP_TO))
        and 1 <= int(page) <= SEARCH_PAGE_CACHED_UP_TO
    )


# --- staff: drafting, approval, withdrawal -------------------------------------------------------


@staff_required
def staff_publications(request):
    items = visible_publications(request.user).select_related("department", "author")
    return render(
        request,
        "disclosure/staff_publications.html",
        {
            "drafts": [p for p in items if p.state == Publication.State.DRAFT],
            "others": [p for p in items if p.state != Publication.State.DRAFT][:100],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def new_publication(request):
    form = PublicationForm(
        request.POST or None, request.FILES or None, departments=drafting_departments(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = draft_publication(
            request.user,
            department=data["department"],
            kind=data["kind"],
            classification=data["classification"],
            title=data["title"],
            body=data["body"],
            attachments=[data["attachment"]] if data.get("attachment") else [],
        )
        messages.success(request, _("Draft saved. A second person must approve it."))
        return redirect("disclosure:draft", item.pk)
    return render(request, "disclosure/new_publication.html", {"form": form})


def _visible_or_404(user, pk: int) -> Publication:
    return get_object_or_404(
        visible_publications(user).select_related("department", "author"), pk=pk
    )


@staff_required
def draft(request, pk: int):
    item = _visible_or_404(request.user, pk)
    return render(
        request,
        "disclosure/draft.html",
        {
            "publication": item,
            "can_approve": item.state == Publication.State.DRAFT
            and can_approve(request.user, item),
            "can_withdraw": item.state == Publication.State.PUBLISHED
            and can_withdraw(request.user, item),
            "withdrawal_form": WithdrawalForm(),
        },
    )


@staff_required
@require_POST
def approve(request, pk: int):
    item = _visible_or_404(request.user, pk)
    try:
        item = approve_publication(item.pk, request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("disclosure:draft", item.pk)
    messages.success(request, _("Published as %(number)s.") % {"number": item.number})
    return redirect(item)


@staff_required
@require_POST
def withdraw(request, pk: int):
    item = _visible_or_404(request.user, pk)
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the publication is withdrawn."))
        return redirect("disclosure:draft", item.pk)
    try:
        withdraw_publication(item.pk, request.user, form.cleaned_data["reason"])
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("disclosure:draft", item.pk)
    messages.success(request, _("Withdrawn. The permalink now shows the reason."))
    return redirect("disclosure:draft", item.pk)


@staff_required
def disclosure_requests(request):
    answered = answered_requests(request.user)[:100]
    return render(request, "disclosure/requests.html", {"requests": answered})


@staff_required
@require_POST
def publish_answer(request, pk: int):
    if not answered_requests(request.user).filter(pk=pk).exists():
        raise Http404(_("No such answered request."))
    item = draft_answer_publication(pk, request.user)
    messages.success(request, _("The answer is a draft now; a second person must approve it."))
    return redirect("disclosure:draft", item.pk)


# --- statistics ----------------------------------------------------------------------------------


def _period(request) -> statistics.Period:
    form = YearForm(request.GET or None)
    year = form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None
    return statistics.Period(year)


def _period_of_region(request) -> tuple[statistics.Period, StatisticsForm]:
    """The year and the region the public statistics count; a bad value of either is left out
    (everything counted) and the form says why."""
    form = StatisticsForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    region = data.get("region")
    return statistics.Period(
        data.get("year"), region_prefix=code_prefix(region) if region else ""
    ), form


def statistics_page(request):
    period, form = _period_of_region(request)
    departments = statistics.statistics_by_department(period)
    items = statistics.statistics_by_item(period)
    charts = [
        statistics.bar_chart(
            departments,
            "average_days",
            "days",
            _("Average working days to decision, by department"),
            _("One bar per department; the number beside each bar is the average."),
        ),
        statistics.bar_chart(
            departments,
            "on_time_rate",
            "rate",
            _("Share decided on time, by department"),
            _("One bar per department; the percentage beside each bar is its on-time rate."),
        ),
    ]
    return render(
        request,
        "disclosure/statistics.html",
        {
            "period": period,
            "region_filter": form,
            "region": form.cleaned_data.get("region"),
            "regions": regions_to_choose(),
            "years": statistics.years_with_data(),
            "columns": statistics.COLUMNS,
            "departments": statistics.table(departments),
            "items": statistics.table(items),
            "charts": charts,
            "consultation_columns": statistics.CONSULTATION_COLUMNS,
            "consultations": statistics.table(
                statistics.consultations_by_department(period), statistics.CONSULTATION_COLUMNS
            ),
            "letter_columns": statistics.LETTER_COLUMNS,
            "letters": statistics.table(
                statistics.letters_by_department(period), statistics.LETTER_COLUMNS
            ),
        },
    )


def _csv_response(text: str, filename: str) -> HttpResponse:
    # A byte-order mark, so that spreadsheet programs read the Chinese names as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def statistics_csv(request, table: str):
    period, _form = _period_of_region(request)
    if table == "departments":
        rows, header = statistics.statistics_by_department(period), _("Department")
    elif table == "items":
        rows, header = statistics.statistics_by_item(period), _("Service item")
    elif table == "consultations":
        rows = statistics.consultations_by_department(period)
        text = statistics.as_csv(rows, _("Department"), statistics.CONSULTATION_COLUMNS)
        return _csv_response(text, f"statistics-consultations-{period.year or 'all'}.csv")
    elif table == "letters":
        rows = statistics.letters_by_department(period)
        text = statistics.as_csv(rows, _("Department"), statistics.LETTER_COLUMNS)
        return _csv_response(text, f"statistics-letters-{period.year or 'all'}.csv")
    else:
        raise Http404(_("No such table."))
    suffix = period.year or "all"
    return _csv_response(statistics.as_csv(rows, header), f"statistics-{table}-{suffix}.csv")


@staff_required
def department_statistics(request, code: str):
    department = get_object_or_404(statistics_departments(request.user), code=code)
    period = _period(request)
    rows = statistics.statistics_by_department(period, department_ids=[department.pk])
    return render(
        request,
        "disclosure/department_statistics.html",
        {
            "department": department,
            "period": period,
            "columns": statistics.COLUMNS,
            "rows": statistics.table(rows),
            "open_work": statistics.open_work_of(department.pk),
        },
    )


def annual_report(request, year: int):
    if not 2000 <= year <= statistics.today().year:
        raise Http404(_("No report for this year."))
    return render(
        request,
        "disclosure/annual_report.html",
        {"year": year, "sections": statistics.annual_report(year)},
    )


def annual_report_csv(request, year: int):
    if not 2000 <= year <= statistics.today().year:
        raise Http404(_("No report for this year."))
    return _csv_response(statistics.annual_report_csv(year), f"annual-report-{year}.csv")


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
    signing_key = certificates.current_signing_key()
    return JsonResponse(
        {
            "algorithm": signing_key.algorithm,
            "signing_key_id": signing_key.key_id,
            "keys": [
                {"key_id": k.key_id, "algorithm": k.algorithm, "public_key": k.public_key_base64}
                for k in keys
            ],
        }
    )
