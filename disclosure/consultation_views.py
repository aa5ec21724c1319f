"""Consultation pages: the public list and page with its comment form, and the department's
drafting, moderation and feedback report. Each view parses, checks, calls one function of
disclosure.consultations, and renders."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals.views import staff_required
from common.page_cache import cached_for_anonymous_visitors, keep_out_of_cache
from common.ratelimits import by_user_or_ip, rate_limited

from .consultations import (
    Moderation,
    accepts_comments_from,
    comment_counts,
    consultation_page_version,
    draft_consultation,
    draft_feedback_report,
    moderate_comment,
    submit_comment,
)
from .forms import CommentForm, ConsultationForm, FeedbackReportForm, ModerationForm
from .models import (
    Consultation,
    ConsultationAnswer,
    ConsultationComment,
    Publication,
    phase_between,
)
from .permissions import (
    can_approve,
    can_moderate,
    drafting_departments,
    visible_consultations,
)
from .selectors import (
    consultations_in_phase,
    public_consultation,
    public_consultation_period,
    public_consultations,
    published_comments,
    withdrawn_publication,
)

COMMENTS_PER_PAGE = 20
PENDING_PER_PAGE = 50


def consultations(request):
    phase = request.GET.get("phase", "")
    if phase not in Consultation.Phase.values:
        phase = ""
    items = consultations_in_phase(public_consultations(), phase)
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/consultations.html",
        {"page": page, "phase": phase, "phases": Consultation.Phase.choices},
    )


def consultation(request, number: str):
    """The draft, its questions, the comment form while it is open, and the public comments.

    Anonymous visitors are served from the page cache under a version that names the phase
    and the report (consultations.consultation_page_version): the page changes when comments
    open or close without anyone invalidating it, and moderation invalidates it.
    """
    period = public_consultation_period(number)
    if period is None:
        withdrawn = withdrawn_publication(number)
        if withdrawn is None or withdrawn.kind != Publication.Kind.CONSULTATION:
            raise Http404(_("No such consultation."))
        return render(
            request, "disclosure/publication_withdrawn.html", {"publication": withdrawn}, status=410
        )
    version = consultation_page_version(
        period.id,
        phase_between(period.opens_at, period.closes_at),
        period.report_published_at is not None,
    )
    return cached_for_anonymous_visitors(version)(_render_consultation)(request, number)


def _render_consultation(request, number: str):
    found = public_consultation(number)
    if found is None:  # withdrawn a moment ago
        raise Http404(_("No such consultation."))
    return _consultation_page(request, found)


def _consultation_page(request, consultation: Consultation, *, form=None, status: int = 200):
    questions = list(consultation.questions.all())
    comments = Paginator(published_comments(consultation), COMMENTS_PER_PAGE)
    page = comments.get_page(request.GET.get("page"))
    asked = request.GET.get("page")
    if set(request.GET) - {"page"} or (asked is not None and asked != str(page.number)):
        keep_out_of_cache(request)  # only the real pages are cached, not every query string
    may_comment = accepts_comments_from(request.user)
    if form is None and may_comment and consultation.phase() == Consultation.Phase.OPEN:
        form = CommentForm(questions=questions)
    own = []
    if request.user.is_authenticated:
        own = list(
            consultation.comments.filter(author=request.user)
            .prefetch_related(
                Prefetch("answers", queryset=ConsultationAnswer.objects.select_related("question"))
            )
            .order_by("-created_at")[:20]
        )
    return render(
        request,
        "disclosure/consultation.html",
        {
            "consultation": consultation,
            "publication": consultation.publication,
            "questions": questions,
            "page": page,
            "form": form,
            "may_comment": may_comment,
            "own_comments": own,
        },
        status=status,
    )


@require_POST
@rate_limited("comment", key=by_user_or_ip)
def comment(request, number: str):
    found = public_consultation(number)
    if found is None:
        raise Http404(_("No such consultation."))
    if not request.user.is_authenticated:
        return redirect_to_login(found.get_absolute_url())
    if not accepts_comments_from(request.user):
        raise PermissionDenied(_("Citizens and enterprises comment, with their own account."))
    form = CommentForm(request.POST, questions=found.questions.all())
    if form.is_valid():
        try:
            submit_comment(
                found, request.user, body=form.cleaned_data["body"], answers=form.answers()
            )
        except ValidationError as error:
            for field, errors in error.update_error_dict({}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Thank you. Your comment is published once a civil servant has read it."),
            )
            return redirect(found.get_absolute_url() + "#your-comments")
    return _consultation_page(request, found, form=form)


# --- the department's side -----------------------------------------------------------------------


@staff_required
def staff_consultations(request):
    items = (
        visible_consultations(request.user)
        .select_related("publication__department", "report")
        .annotate(
            pending=Count("comments", filter=Q(comments__state=ConsultationComment.State.PENDING))
        )
        .order_by("-publication__created_at")[:100]
    )
    return render(request, "disclosure/staff_consultations.html", {"consultations": items})


@staff_required
@require_http_methods(["GET", "POST"])
def new_consultation(request):
    form = ConsultationForm(
        request.POST or None, request.FILES or None, departments=drafting_departments(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consultation = draft_consultation(
                request.user,
                department=data["department"],
                title=data["title"],
                body=data["body"],
                scope=data["scope"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                questions=data["questions"],
                shortened_reason=data["shortened_reason"],
                report_limit_days=data["report_limit_days"],
                attachments=[data["attachment"]] if data.get("attachment") else [],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft saved. A second person must approve it."))
            return redirect("disclosure:staff_consultation", consultation.pk)
    return render(request, "disclosure/new_consultation.html", {"form": form})


def _visible_or_404(user, pk: int) -> Consultation:
    return get_object_or_404(
        visible_consultations(user).select_related("publication__department", "report"), pk=pk
    )


@staff_required
def staff_consultation(request, pk: int):
    consultation = _visible_or_404(request.user, pk)
    moderator = can_moderate(request.user, consultation)
    pending = (
        consultation.comments.filter(state=ConsultationComment.State.PENDING)
        .select_related("author")
        .prefetch_related("answers__question")
        .order_by("created_at", "id")[:PENDING_PER_PAGE]
    )
    moderated = (
        consultation.comments.exclude(state=ConsultationComment.State.PENDING)
        .select_related("moderated_by")
        .order_by("-moderated_at", "-id")[:20]
    )
    report = consultation.report
    may_report = (
        consultation.publication.state == Publication.State.PUBLISHED
        and consultation.phase() == Consultation.Phase.CLOSED
        and (report is None or report.state == Publication.State.WITHDRAWN)
        and drafting_departments(request.user)
        .filter(pk=consultation.publication.department_id)
        .exists()
    )
    return render(
        request,
        "disclosure/staff_consultation.html",
        {
            "consultation": consultation,
            "publication": consultation.publication,
            "counts": comment_counts(consultation),
            "pending": [(c, ModerationForm(prefix=f"c{c.pk}")) for c in pending],
            "moderated": moderated,
            "can_moderate": moderator,
            "can_approve": consultation.publication.state == Publication.State.DRAFT
            and can_approve(request.user, consultation.publication),
            "report_form": FeedbackReportForm() if may_report else None,
        },
    )


@staff_required
@require_POST
def moderate(request, pk: int):
    comment = get_object_or_404(
        ConsultationComment.objects.filter(consultation__in=visible_consultations(request.user)),
        pk=pk,
    )
    form = ModerationForm(request.POST, prefix=f"c{comment.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose to publish the comment or not."))
    else:
        try:
            moderate_comment(
                comment.pk,
                request.user,
                form.cleaned_data["decision"],
                form.cleaned_data["reason"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            published = form.cleaned_data["decision"] == Moderation.PUBLISH
            messages.success(
                request,
                _("The comment is published.")
                if published
                else _("The comment is not published; its author is told why."),
            )
    return redirect(
        reverse("disclosure:staff_consultation", args=[comment.consultation_id])
        + "#pending-comments"
    )


@staff_required
@require_POST
def feedback_report(request, pk: int):
    consultation = _visible_or_404(request.user, pk)
    form = FeedbackReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Fill in every part of the feedback report."))
        return redirect("disclosure:staff_consultation", consultation.pk)
    try:
        report = draft_feedback_report(consultation.pk, request.user, **form.cleaned_data)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("disclosure:staff_consultation", consultation.pk)
    messages.success(request, _("The feedback report is a draft now; a second person approves it."))
    return redirect("disclosure:draft", report.pk)
