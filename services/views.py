"""Pages of the catalogue and of filing. Each view: parse, check who asks, call filing, render."""

from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.page_cache import cached_for_anonymous_visitors, keep_out_of_cache
from common.ratelimits import by_user_or_ip, rate_limited

from . import filing, once_only, parties, ratings
from .catalogue import (
    implementation_with_guide,
    item_definition,
    published_items,
    regions_publishing,
    serving_definition,
)
from .definitions import ItemDefinition
from .forms import MATERIAL_PREFIX, ApplicationForm
from .lifecycle import TransitionNotAllowed
from .materials import attachment_response
from .models import (
    Application,
    Audience,
    ItemImplementation,
    Material,
    ServiceItem,
    SubjectRule,
    Theme,
)
from .permissions import CHANGE_APPLICATION, VIEW_APPLICATION, applications_of, filed_by
from .receivers import CATALOGUE_PAGES
from .regions import chosen_region, region_by_code

CATALOGUE_FILTERS = {"region", "theme", "audience", "page", "q"}


@cached_for_anonymous_visitors(CATALOGUE_PAGES)
def catalogue(request):
    region = chosen_region(request)
    theme = request.GET.get("theme", "")
    audience = request.GET.get("audience", "")
    query = request.GET.get("q", "").strip()[:100]
    items = published_items(region, theme=theme, audience=audience, query=query)
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    themes = list(Theme.objects.all())
    regions = list(regions_publishing())
    if not is_a_listed_page(request, themes, regions, page):
        keep_out_of_cache(request)
    return render(
        request,
        "services/catalogue.html",
        {
            "page": page,
            "region": region,
            "regions": regions,
            # Links carry the region only when the visitor chose one: without it, a guide shows
            # the same region the catalogue did (the account's, else the portal's).
            "region_query": f"?region={region.code}" if region and "region" in request.GET else "",
            "themes": themes,
            "audiences": [
                (Audience.CITIZEN, _("Citizens")),
                (Audience.ENTERPRISE, _("Enterprises")),
            ],
            "selected_theme": theme,
            "selected_audience": audience,
            "query": query,
        },
    )


def is_a_listed_page(request, themes: list[Theme], regions: list, page) -> bool:
    """A page a link of the catalogue leads to: an existing region, theme, audience and page
    number, no free-text search. Only those are cached, so nobody fills Redis with made-up
    filters."""
    parameters = request.GET
    return (
        set(parameters) <= CATALOGUE_FILTERS
        and parameters.get("region", "") in {"", *(region.code for region in regions)}
        and all(len(parameters.getlist(name)) == 1 for name in parameters)
        and parameters.get("q", "") == ""
        and parameters.get("theme", "") in {"", *(theme.slug for theme in themes)}
        and parameters.get("audience", "") in {"", Audience.CITIZEN, Audience.ENTERPRISE}
        and parameters.get("page", str(page.number)) == str(page.number)
    )


@cached_for_anonymous_visitors(CATALOGUE_PAGES)
def guide(request, code: str):
    region = chosen_region(request)
    implementation = implementation_with_guide(code, region)
    if implementation is None:
        raise Http404(_("No such service."))
    if set(request.GET) - {"region"} or request.GET.get("region", region.code) != region.code:
        keep_out_of_cache(request)
    item = implementation.item
    return render(
        request,
        "services/guide.html",
        {
            **guide_context(implementation, serving_definition(implementation)),
            "other_regions": implementation.item.implementations.exclude(pk=implementation.pk)
            .filter(is_published=True)
            .exists(),
            "drafts": drafts_of(request.user, item),
            "apply_as": apply_as(request, item),
        },
    )


def guide_context(implementation: ItemImplementation, definition: ItemDefinition) -> dict:
    """What the service guide shows, read from `definition`: the published version's for
    applicants, the draft's in the administrators' preview (services/admin.py). Only the
    item's code, theme and region come from the rows, as they never change under a version."""
    guide = definition.guide or item_definition(implementation).guide
    samples = dict(
        Material.objects.filter(
            Q(implementation=implementation)
            | Q(item_id=implementation.item_id, implementation=None)
        )
        .exclude(sample="")
        .values_list("code", "pk")
    )
    return {
        "item": implementation.item,
        "implementation": implementation,
        "definition": definition,
        "terms": definition.item,
        "guide": guide,
        "audience_label": Audience(guide.audience).label,
        "materials": [(material, samples.get(material.code)) for material in definition.materials],
    }


def drafts_of(user, item: ServiceItem) -> list[Application]:
    """The person's drafts of this item, the last saved first: "Apply online" offers them."""
    if not user.is_authenticated:
        return []
    return list(
        filed_by(user).filter(item=item, status=Application.Status.DRAFT).order_by("-updated_at")
    )


def apply_as(request, item: ServiceItem) -> list[tuple[str, str]]:
    """Whom the person may file this item for: themselves (if the item is for their kind), the
    enterprises they act for and the principals who authorised them (services/parties.py)."""
    user = request.user
    if not user.is_authenticated or user.kind == user.Kind.STAFF:
        return []
    choices = []
    if item.accepts(user) and not (
        item.subject_rule == SubjectRule.ENTERPRISE and user.is_natural_person
    ):
        choices.append(("", _("Myself")))
    choices += [(str(pk), name) for pk, name in parties.principals_of(user, item)]
    return choices


def material_sample(request, code: str, material_id: int):
    material = get_object_or_404(
        Material, pk=material_id, item__code=code, item__implementations__is_published=True
    )
    if not material.sample:
        raise Http404(_("This material has no sample."))
    return FileResponse(
        material.sample.open("rb"),
        as_attachment=True,
        filename=material.sample.name.rsplit("/", 1)[-1],
    )


@login_required
@require_POST
@rate_limited("filing", key=by_user_or_ip)
def start_application(request, code: str):
    item = get_object_or_404(ServiceItem.objects.published(), code=code)
    drafts = drafts_of(request.user, item)
    if drafts and "new" not in request.POST and not request.POST.get("on_behalf_of"):
        # A second click on "Apply online" continues the work already begun; starting another
        # draft is a choice the guide offers separately.
        messages.info(request, _("You already have a draft of this service: continue it here."))
        return redirect("services:edit", drafts[0].pk)
    try:
        application = filing.start_draft_for(
            request.user,
            item,
            request.POST.get("on_behalf_of", ""),
            region=region_by_code(request.POST.get("region", "")),
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(item)
    return redirect("services:edit", application.pk)


def draft_saved_except(form: ApplicationForm) -> str:
    """Say what was left out of the saved draft: the answers, the files, or both."""
    wrong_files = any(name.startswith(MATERIAL_PREFIX) for name in form.errors)
    wrong_answers = any(
        name != NON_FIELD_ERRORS and not name.startswith(MATERIAL_PREFIX) for name in form.errors
    )
    if wrong_files and not wrong_answers:
        return _("Draft saved, except the files marked below: please choose them again.")
    if wrong_files:
        return _("Draft saved, except the answers and files marked below: please correct them.")
    return _("Draft saved, except the answers marked below: please correct them.")


def own_application(
    request, pk: int, permission: str = VIEW_APPLICATION, *, for_update: bool = False
) -> Application:
    """The applicant's own application, or 404: nobody learns whether another one exists.

    `for_update`: with the case's row lock (only its own row), inside the caller's transaction.
    """
    queryset = Application.objects.select_related("item", "implementation", "item_version")
    if for_update:
        # Filing for someone else checks, and the receipt names, the applicant: read with the case.
        queryset = queryset.select_related("applicant").select_for_update(of=("self",))
    application = get_object_or_404(applications_of(request.user, permission, queryset), pk=pk)
    # The person asking is often the applicant or the filer: not read again when the page or
    # the filing names them.
    if application.applicant_id == request.user.pk:
        application.applicant = request.user
    if application.filed_by_id == request.user.pk:
        application.filed_by = request.user
    return application


@login_required
def my_applications(request):
    # One query for the page, whatever its rows: the item and the rating come with each case.
    applications = filed_by(request.user).select_related("item", "rating", "applicant", "filed_by")
    page = Paginator(applications, 20).get_page(request.GET.get("page"))
    return render(request, "services/my_applications.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("filing", key=by_user_or_ip)
def edit_application(request, pk: int):
    if request.method == "POST":
        # One transaction from the first read: the case is read once, with its lock, and its
        # files under it, so filing reads neither again (services/filing.file_form).
        with transaction.atomic():
            application = own_application(request, pk, CHANGE_APPLICATION, for_update=True)
            if not application.is_editable_by_applicant:
                return redirect(application)
            try:
                parties.check_still_entitled(application, request.user)
            except PermissionDenied as error:
                # Caught inside the transaction, which commits: the refusal's audit entry is kept.
                messages.error(request, str(error))
                return redirect("services:mine")
            return application_form_page(
                request,
                application,
                edit_url=reverse("services:edit", args=[application.pk]),
                submitted_url=application.get_absolute_url(),
                locked_and_checked=True,
            )
    application = own_application(request, pk, CHANGE_APPLICATION)
    if not application.is_editable_by_applicant:
        return redirect(application)
    return application_form_page(
        request,
        application,
        edit_url=reverse("services:edit", args=[application.pk]),
        submitted_url=application.get_absolute_url(),
    )


def application_form_page(
    request,
    application: Application,
    *,
    edit_url: str,
    submitted_url: str,
    at_counter=False,
    locked_and_checked=False,
):
    """The application form, for the applicant online or a clerk at the counter.

    `locked_and_checked`: the caller holds the case's lock in its transaction and has checked
    the filer (edit_application's POST); the files read here are then filing's too.
    """
    definition = application.definition
    # Earlier files and e-certificates are offered on the page, and taken when a box is ticked:
    # a form sent without a box ticked, and not shown again, never reads them.
    offers = Offers(application)
    if request.method == "POST":
        if any(name.startswith("reuse__") for name in request.POST):
            reuse_chosen_materials(request, application, offers.materials)
        if any(name.startswith("certificate__") for name in request.POST):
            use_chosen_certificates(request, application, offers.certificates)
    submitting = request.method == "POST" and "submit" in request.POST
    # A draft saved and not shown again never needs its files: read when the form is sent or
    # shown. Under edit_application's lock, filing checks the submission against these.
    current = None
    if request.method != "POST" or submitting:
        current = current_attachments(application)
    form = ApplicationForm(
        definition,
        request.POST or None,
        request.FILES or None,
        answers=application.answers,
        require_complete=submitting,
        present_materials=set(current or ()),
    )
    if request.method == "POST" and not submitting and not form.is_valid():
        # Saving a draft never loses work: what passed its checks is kept, the rest is shown
        # with its error for the applicant to correct.
        filing.file_form(
            application,
            answers=form.valid_answers(),
            uploads=form.valid_uploads(),
            actor=request.user,
            send=False,
            definition=definition,
            locked_and_checked=locked_and_checked,
        )
        messages.warning(request, draft_saved_except(form))
        current = current_attachments(application)
    elif request.method == "POST" and form.is_valid():
        try:
            filed, outcome = filing.file_form(
                application,
                answers=form.answers(),
                uploads=form.uploads(),
                actor=request.user,
                send=submitting,
                definition=definition,
                locked_and_checked=locked_and_checked,
                present_materials=set(current) if locked_and_checked and submitting else None,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, filed_message(filed, outcome))
            return redirect(submitted_url if submitting else edit_url)
    if current is None:
        current = current_attachments(application)
    return render(
        request,
        "services/edit_application.html",
        {
            "application": application,
            "form": form,
            "at_counter": at_counter,
            "current_attachments": current,
            "materials": [
                (
                    field,
                    current.get(code),
                    None
                    if code not in offers.materials
                    or (
                        current.get(code)
                        and current[code].reused_from_id == offers.materials[code].pk
                    )
                    else offers.materials[code],
                    []
                    if current.get(code) and current[code].certificate_number
                    else offers.certificates.get(code, []),
                )
                for field in form.material_fields
                for code in [field.name.removeprefix(MATERIAL_PREFIX)]
            ],
            "supplement_requests": application.events.filter(
                kind="supplement_requested"
            ).select_related("department")
            if application.status == Application.Status.SUPPLEMENT_REQUESTED
            else [],
        },
    )


def current_attachments(application: Application) -> dict:
    return {a.material_code: a for a in application.attachments.filter(is_current=True)}


class Offers:
    """What the form offers in place of an upload, read when first asked for."""

    def __init__(self, application: Application):
        self.application = application

    @cached_property
    def materials(self) -> dict:
        return once_only.reusable_materials(self.application)

    @cached_property
    def certificates(self) -> dict:
        return once_only.certificate_offers(self.application)


def filed_message(application: Application, outcome: filing.Filed) -> str:
    if outcome == filing.Filed.SUBMITTED:
        return _("Submitted. Your tracking number is %(number)s.") % {
            "number": application.tracking_number
        }
    if outcome == filing.Filed.SUPPLEMENT_PROVIDED:
        return _("Your supplement has been sent; the review continues.")
    return _("Draft saved. You can come back to it at any time.")


def reuse_chosen_materials(request, application: Application, offers: dict) -> None:
    """The form's "use the file you gave before" boxes; a new file chosen for the same
    material wins over the box."""
    for code in offers:
        chosen = request.POST.get(f"reuse__{code}", "")
        if chosen.isdigit() and not request.FILES.get(MATERIAL_PREFIX + code):
            once_only.reuse_material(application, code, int(chosen), request.user)


def use_chosen_certificates(request, application: Application, offers: dict) -> None:
    """The form's "use your e-certificate instead of a copy" choices; a new file chosen for the
    same material wins over the choice."""
    for code in offers:
        chosen = request.POST.get(f"certificate__{code}", "")
        if chosen.isdigit() and not request.FILES.get(MATERIAL_PREFIX + code):
            once_only.use_certificate(application, code, int(chosen), request.user)


@login_required
def download_own_attachment(request, pk: int, attachment_id: int):
    application = own_application(request, pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return attachment_response(attachment)


@login_required
@require_POST
def withdraw_application(request, pk: int):
    application = own_application(request, pk, CHANGE_APPLICATION)
    if not parties.may_withdraw(request.user, application):
        messages.error(request, _("Only the applicant may withdraw this application."))
        return redirect(application)
    try:
        filing.withdraw(application, request.user, reason=request.POST.get("reason", "")[:500])
        messages.success(request, _("The application has been withdrawn."))
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    return redirect(application)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("filing", key=by_user_or_ip)
def discard_application(request, pk: int):
    """Ask, then delete a draft: a button press alone never throws away someone's work."""
    application = own_application(request, pk, CHANGE_APPLICATION)
    if application.status != Application.Status.DRAFT:
        return redirect(application)
    if request.method == "POST":
        filing.discard_draft(application, request.user, request=request)
        messages.success(request, _("The draft has been discarded."))
        return redirect("services:mine")
    attachments = application.attachments.filter(is_current=True).count()
    return render(
        request,
        "services/discard_draft.html",
        {"application": application, "attachment_count": attachments},
    )


@login_required
@require_POST
def rate_application(request, pk: int):
    application = own_application(request, pk)
    try:
        ratings.rate(
            application, request.user, request.POST.get("score"), request.POST.get("comment", "")
        )
        messages.success(request, _("Thank you for your rating."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    return redirect(reverse("application_status", args=[application.pk]) + "#rating-heading")


@login_required
@require_POST
@rate_limited("autosave", key=by_user_or_ip)
def autosave_application(request, pk: int):
    """The form's background save (static/js/autosave.js): answers only, the valid ones kept.

    Files are sent with "Save draft" or "Submit"; the page works without this script.
    """
    application = own_application(request, pk, CHANGE_APPLICATION)
    if not application.is_editable_by_applicant:
        return JsonResponse(
            {"saved": False, "message": _("This application can no longer be changed.")},
            status=409,
        )
    form = ApplicationForm(application.definition, request.POST, answers=application.answers)
    form.is_valid()
    filing.save_draft(application, form.valid_answers(), {}, request.user)
    errors = {
        name: [str(message) for message in messages_]
        for name, messages_ in form.errors.items()
        if not name.startswith(MATERIAL_PREFIX)
    }
    return JsonResponse(
        {
            "saved": True,
            "saved_at": timezone.localtime().strftime("%H:%M:%S"),
            "errors": errors,
        }
    )
