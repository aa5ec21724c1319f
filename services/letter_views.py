"""The page where a citizen or an enterprise writes to the government (政民互动)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.ratelimits import by_user_or_ip, rate_limited

from .letter_forms import LetterForm
from .letters import (
    body_max_chars,
    letter_item,
    max_attachments,
    may_write,
    topic_max_chars,
    write_letter,
)


def add_domain_errors(form, error: ValidationError) -> None:
    for field, errors in error.update_error_dict({}).items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("letter", key=by_user_or_ip)
def write(request):
    """Write a letter: the form, and sending it (which files it as an application at once)."""
    if not may_write(request.user):
        raise PermissionDenied(_("Citizens and enterprises write letters, with their own account."))
    form = LetterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = write_letter(
                request.user,
                kind=data["kind"],
                topic=data["topic"],
                body=data["body"],
                department_code=data["department"],
                consent_to_publish=data["consent_to_publish"],
                attachments=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your letter is received under number %(number)s. The service centre sends "
                    "it to the departments concerned within %(days)s working day(s)."
                )
                % {
                    "number": letter.application.tracking_number,
                    "days": letter.application.definition.item.acceptance_limit_days,
                },
            )
            return redirect(reverse("letter", args=[letter.pk]))
    item = letter_item()
    return render(
        request,
        "services/write_letter.html",
        {
            "form": form,
            "item": item,
            "topic_limit": topic_max_chars(),
            "body_limit": body_max_chars(),
            "attachment_limit": max_attachments(),
        },
    )
