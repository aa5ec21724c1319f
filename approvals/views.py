"""The applicant's status page and the staff dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import record
from accounts.permissions import is_civil_servant
from accounts.reauth import require_recent_authentication, safe_next_url
from common.page_cache import cached_for_one_person
from common.pagination import bounded_page, page_already_read
from services.materials import INLINE_PREVIEW_POLICY, attachment_response
from services.receivers import CATALOGUE_PAGES

from . import claims, clocks, decisions, substitutes
from .certificates import machine_readable, verification_qr_svg, verify_certificate
from .forms import (
    ClockStopForm,
    DecisionForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    QueueFilterForm,
    ReassignForm,
    SubstitutionForm,
    add_validation_error,
)
from .models import ReviewTask
from .queue_page import (
    CLAIMS_FORM,
    page_valid_until,
    queue_filters,
    queue_front,
    queue_page_key,
    queue_rows,
)
from .queues import (
    PREVIEWABLE_TYPES,
    case_file,
    certificate_for_applicant,
    claim_rights,
    common_opinions_for,
    extension_requests_for_head,
    headed_departments,
    items_in_queue,
    overdue_tasks_for_head,
    queue_for,
    task_for_reviewer,
    workload_for_head,
)
from .status_page import render_status_page, status_page_key


@login_required
def application_status(request, pk: int):
    """The applicant's status page, from the page cache while nothing it shows has changed
    (approvals/status_page.py)."""
    key = status_page_key(request, pk)
    if key is None:  # not theirs: the render answers 404, as for a case that does not exist
        return render_status_page(request, pk)[0]
    return cached_for_one_person(
        request,
        key=key,
        render=lambda: render_status_page(request, pk),
        version=CATALOGUE_PAGES,
    )


@login_required
def application_certificate(request, pk: int):
    """The holder's printable e-certificate, with a QR code to its public verification page."""
    certificate = certificate_for_applicant(request.user, pk)
    verification_url = request.build_absolute_uri(certificate.get_absolute_url())
    qr_label = _("QR code: verify e-certificate %(number)s at %(url)s") % {
        "number": certificate.number,
        "url": verification_url,
    }
    return render(
        request,
        "approvals/certificate.html",
        {
            "certificate": certificate,
            "application": certificate.application,
            "status": verify_certificate(certificate),
            "verification_url": verification_url,
            # ElementTree escapes every attribute and text it writes, the URL included.
            "qr_svg": mark_safe(verification_qr_svg(verification_url, label=qr_label)),
        },
    )


@login_required
def application_certificate_json(request, pk: int):
    """The signed payload and its signature, for software that verifies the certificate itself."""
    certificate = certificate_for_applicant(request.user, pk)
    document = {
        **machine_readable(certificate),
        "verification_url": request.build_absolute_uri(certificate.get_absolute_url()),
        "public_keys_url": request.build_absolute_uri(reverse("disclosure:certificate_keys")),
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.json"'
    return response


def staff_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_civil_servant(request.user):
            raise PermissionDenied(_("This page is for civil servants."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# Issue 20 §2: the first page a reviewer sees is 20 rows; the filters narrow it further.
QUEUE_PAGE_SIZE = 20


@staff_required
def queue(request):
    """The department queue, filtered by state, service, deadline and claimant. The first page
    as opened (no query string) comes from the page cache while nothing it shows has changed
    (approvals/queue_page.py)."""
    front = queue_front(request.user, rows=QUEUE_PAGE_SIZE)
    if request.GET:
        return render_queue(request, front)[0]
    return cached_for_one_person(
        request,
        key=queue_page_key(request.user, front),
        render=lambda: render_queue(request, front),
        version=CATALOGUE_PAGES,
    )


def render_queue(request, front) -> tuple[HttpResponse, float]:
    """The queue page, and until when its words hold without any write (a POSIX timestamp).
    The first page is drawn from `front` as read; a filtered one or a later one from its own
    read of the queue."""
    desk = front.desk()
    offered = items_in_queue(request.user, department_ids=desk["reviewing_department_ids"])
    filter_form = QueueFilterForm(request.GET or None, items=offered)
    filters = filter_form.filters()
    if request.GET:
        tasks = queue_for(request.user, **filters, department_ids=desk["reviewing_department_ids"])
        page = bounded_page(tasks, request.GET.get("page"), per_page=QUEUE_PAGE_SIZE)
    else:
        page = page_already_read(front.first_page_tasks(), front.counted, QUEUE_PAGE_SIZE)
    shown = list(page.object_list)
    filtered = any(filters.get(key) for key in ("item_code", "due_by", "claimed"))
    response = render(
        request,
        "approvals/queue.html",
        {
            "page": page,
            "rows": queue_rows(request.user, shown, desk),
            "filters_html": queue_filters(
                request, filter_form, state=filters["state"], filtered=filtered
            ),
            "claims_form": CLAIMS_FORM,
            "state": filters["state"],
            "filter_form": filter_form,
            "filtered": filtered,
            "states": QueueFilterForm.STATE_CHOICES,
            **desk,
            "is_head": bool(desk["headed_department_ids"]),
            "covering": front.covering,
            # The header's, as read in the front (accounts/context_processors.py).
            "unread_notifications": front.unread,
            "is_counter_staff": front.is_counter_staff,
        },
    )
    # From the moment of the read the page is drawn from: its date, its rows' deadlines.
    return response, page_valid_until(shown, front.read_at).timestamp()


@staff_required
@require_http_methods(["GET", "POST"])
def task_detail(request, task_id: int):
    task = task_for_reviewer(request.user, task_id)
    if task.application.definition.item.is_letter:
        from .letter_views import letter_task

        return letter_task(request, task)  # triage or answer, on the same task page
    form = DecisionForm(request.POST or None, common_opinions=common_opinions_for(task))
    if request.method == "POST" and form.is_valid():
        try:
            decisions.decide(
                task.pk, request.user, form.cleaned_data["outcome"], form.cleaned_data["opinion"]
            )
        except decisions.AlreadyDecided as error:
            messages.error(request, " ".join(error.messages))
            return redirect("approvals:task", task.pk)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Your decision on %(number)s is recorded.")
                % {"number": task.application.tracking_number},
            )
            return redirect("approvals:queue")
    return render_task(request, task, decision_form=form)


def back_to(request, task: ReviewTask) -> str:
    """Where a claim button returns to: the page it was pressed on (queue or case), if ours."""
    return safe_next_url(request, request.POST.get("next")) or reverse(
        "approvals:task", args=[task.pk]
    )


@staff_required
@require_POST
def claim(request, task_id: int):
    """ "I am working on this one": colleagues see the claim and pick another task."""
    task = task_for_reviewer(request.user, task_id)
    try:
        claims.claim_task(task.pk, request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _("You have claimed %(number)s.") % {"number": task.application.tracking_number},
        )
    return redirect(back_to(request, task))


@staff_required
@require_POST
def release(request, task_id: int):
    """Give the task back to the department's queue (the claimant, or the head)."""
    task = task_for_reviewer(request.user, task_id)
    try:
        claims.release_task(task.pk, request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _("%(number)s is back in the queue.") % {"number": task.application.tracking_number},
        )
    return redirect(back_to(request, task))


@staff_required
@require_POST
def reassign(request, task_id: int):
    """The head moves the task to another reviewer of its department (with the claim)."""
    task = task_for_reviewer(request.user, task_id)
    if task.department_id not in claim_rights(request.user)["headed_department_ids"]:
        raise PermissionDenied(_("Only the department head can reassign a task."))
    form = ReassignForm(request.POST, people=_reassignable(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a reviewer of the department."))
        return redirect(back_to(request, task))
    try:
        claims.reassign_task(task.pk, request.user, form.cleaned_data["reviewer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(number)s is now %(name)s's.")
            % {"number": task.application.tracking_number, "name": form.cleaned_data["reviewer"]},
        )
    return redirect(back_to(request, task))


def _reassignable(user):
    """Everyone a head may pick: the reviewers of the departments they head (the domain then
    refuses one of another department than the task's)."""
    return substitutes.reviewers_of(headed_departments(user))


@staff_required
@require_http_methods(["GET", "POST"])
def substitutions(request):
    """The head names substitutes for absent reviewers (代理审批) and sees them, current first."""
    departments = headed_departments(request.user)
    if not departments.exists():
        raise PermissionDenied(_("Only a department head names substitutes."))
    form = SubstitutionForm(
        request.POST or None, departments=departments, people=substitutes.reviewers_of(departments)
    )
    if request.method == "POST" and form.is_valid():
        try:
            substitution = substitutes.name_substitute(head=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(substitute)s substitutes for %(reviewer)s from %(from)s to %(until)s.")
                % {
                    "substitute": substitution.substitute,
                    "reviewer": substitution.reviewer,
                    "from": date_format(substitution.starts_on, "DATE_FORMAT"),
                    "until": date_format(substitution.ends_on, "DATE_FORMAT"),
                },
            )
            return redirect("approvals:substitutions")
    return render(
        request,
        "approvals/substitutions.html",
        {
            "form": form,
            "substitutions": substitutes.substitutions_for_head(request.user),
            "today": substitutes.today(),
        },
    )


@staff_required
@require_POST
def end_substitution(request, substitution_id: int):
    substitution = get_object_or_404(
        substitutes.substitutions_for_head(request.user), pk=substitution_id
    )
    substitutes.end_substitution(substitution.pk, request.user)
    messages.success(request, _("The substitution has ended."))
    return redirect("approvals:substitutions")


def render_task(request, task, **forms):
    case = case_file(task)
    rights = claim_rights(request.user)
    return render(
        request,
        "approvals/task_detail.html",
        {
            "task": task,
            "application": case.application,
            "form": forms.get("decision_form")
            or DecisionForm(common_opinions=common_opinions_for(task)),
            **rights,
            "clock_form": forms.get("clock_form") or ClockStopForm(),
            "extension_form": forms.get("extension_form") or ExtensionRequestForm(),
            "clock_stops": case.clock_stops,
            "extension": case.extension,
            "certificate": case.certificate,
            "acceptance_notice_sent": case.acceptance_notice_sent,
            "answers": case.answers,
            "attachments": case.attachments,
            "stages": case.stages,
            "events": case.events,
            "reassign_form": ReassignForm(people=_reassignable(request.user))
            if task.is_open and task.department_id in rights["headed_department_ids"]
            else None,
            "covering_for": substitutes.covering_for_quietly(request.user, task),
        },
    )


@staff_required
@require_POST
def task_clock(request, task_id: int):
    """Stop the clock for a hearing, an inspection or an expert review, or resume it."""
    task = task_for_reviewer(request.user, task_id)
    form = ClockStopForm(request.POST)
    try:
        if request.POST.get("action") == "resume":
            clocks.resume_clock(task.pk, request.user)
            messages.success(request, _("The clock runs again; the deadline has moved."))
        elif form.is_valid():
            clocks.stop_clock(task.pk, request.user, **form.cleaned_data)
            messages.success(request, _("The clock is stopped; the applicant sees why."))
        else:
            return render_task(request, task, clock_form=form)
    except ValidationError as error:
        add_validation_error(form, error)
        return render_task(request, task, clock_form=form)
    return redirect("approvals:task", task.pk)


@staff_required
@require_POST
def task_extension(request, task_id: int):
    task = task_for_reviewer(request.user, task_id)
    form = ExtensionRequestForm(request.POST)
    if form.is_valid():
        try:
            clocks.request_extension(task.pk, request.user, **form.cleaned_data)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("The extension request has gone to the department head."))
            return redirect("approvals:task", task.pk)
    return render_task(request, task, extension_form=form)


@staff_required
def head_overview(request):
    """The head's desk: overdue tasks of the department and extension requests to decide."""
    return render(
        request,
        "approvals/head.html",
        {
            "overdue": overdue_tasks_for_head(request.user),
            "extension_requests": extension_requests_for_head(request.user),
            "workload": workload_for_head(request.user),
            **claim_rights(request.user),
            "decision_form": ExtensionDecisionForm(),
        },
    )


@staff_required
@require_POST
@require_recent_authentication(return_to="approvals:head")
def decide_extension(request, extension_id: int):
    extension = get_object_or_404(extension_requests_for_head(request.user), pk=extension_id)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
        return redirect("approvals:head")
    try:
        clocks.decide_extension(extension.pk, request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("approvals:head")


@staff_required
def task_attachment(request, task_id: int, attachment_id: int):
    task = task_for_reviewer(request.user, task_id)
    attachment = get_object_or_404(task.application.attachments, pk=attachment_id)
    return attachment_response(attachment, inline=request.GET.get("inline") == "1")


@staff_required
def task_power_of_attorney(request, task_id: int):
    """The power of attorney an agent filed the case under, for the task's department."""
    task = task_for_reviewer(request.user, task_id)
    authorisation = task.application.authorisation
    if authorisation is None:
        raise Http404(_("This case was not filed by an agent."))
    record("download.power_of_attorney", obj=authorisation)
    return FileResponse(
        authorisation.power_of_attorney.open("rb"),
        as_attachment=True,
        filename=authorisation.original_name,
        content_type=authorisation.content_type,
    )


# The preview is framed by the case page of this same site, and by nothing else: the one
# response of the portal that may be framed, and only by its own origin. It stays sandboxed
# (no script, no same-origin rights) like the new-tab preview of services.materials.
FRAMED_PREVIEW_POLICY = f"{INLINE_PREVIEW_POLICY}; frame-ancestors 'self'"


@staff_required
def task_attachment_preview(request, task_id: int, attachment_id: int):
    """A PDF or image material shown inside the case page, to the task's department only."""
    task = task_for_reviewer(request.user, task_id)
    attachment = get_object_or_404(
        task.application.attachments, pk=attachment_id, content_type__in=PREVIEWABLE_TYPES
    )
    response = attachment_response(attachment, inline=True)
    response["Content-Security-Policy"] = FRAMED_PREVIEW_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
