"""Letters' pages on the engine's side: the writer's page (answers, rating, second answer)
and the staff's triage and answer forms on the task page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Department
from services.letter_forms import LetterRatingForm, SecondAnswerForm
from services.letter_views import add_domain_errors
from services.letters import may_ask_second_answer, rate_letter
from services.models import Letter

from . import letters
from .forms import ClockStopForm, ExtensionRequestForm
from .models import Extension, ReviewTask
from .queues import application_for_status_page, application_progress, claim_rights


def own_letter(request, pk: int) -> Letter:
    """The writer's own letter; 404 for anyone else (as their applications)."""
    application = application_for_status_page(request.user, pk)
    letter = Letter.objects.filter(application=application).select_related("addressed_to").first()
    if letter is None:
        raise Http404(_("No such letter."))
    letter.application = application
    return letter


def answers_of(letter: Letter) -> list[ReviewTask]:
    return list(
        ReviewTask.objects.filter(application_id=letter.pk, stage_order__gt=0)
        .select_related("department")
        .order_by("stage_order", "department__code")
    )


def _letter_page(request, letter: Letter, *, rating_form=None, second_form=None):
    answered = letter.application.status == letter.application.Status.APPROVED
    rated = bool(
        letter.second_satisfaction if letter.second_answer_requested_at else letter.satisfaction
    )
    return render(
        request,
        "approvals/letter.html",
        {
            "letter": letter,
            "application": letter.application,
            "answers": answers_of(letter),
            "answered": answered,
            "rating_form": rating_form or (LetterRatingForm() if answered and not rated else None),
            "second_form": second_form
            or (SecondAnswerForm() if may_ask_second_answer(letter) else None),
            "attachments": letter.application.attachments.filter(is_current=True),
        },
    )


@login_required
def letter_page(request, pk: int):
    return _letter_page(request, own_letter(request, pk))


@login_required
@require_POST
def letter_rating(request, pk: int):
    letter = own_letter(request, pk)
    form = LetterRatingForm(request.POST)
    if form.is_valid():
        try:
            rate_letter(
                letter.pk,
                request.user,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, _("Thank you for rating the answer."))
            return redirect(reverse("letter", args=[letter.pk]))
    return _letter_page(request, letter, rating_form=form)


@login_required
@require_POST
def letter_second_answer(request, pk: int):
    letter = own_letter(request, pk)
    form = SecondAnswerForm(request.POST)
    if form.is_valid():
        try:
            letters.request_second_answer(
                letter.pk, request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, _("The departments will answer your letter again within their limit.")
            )
            return redirect(reverse("letter", args=[letter.pk]))
    return _letter_page(request, own_letter(request, pk), second_form=form)


# --- the staff's side: the task page of a letter -------------------------------------------------


class TriageForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Departments that answer"),
        queryset=Department.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": gettext_lazy("One of the departments chosen does not exist."),
            "invalid_pk_value": gettext_lazy("One of the departments chosen does not exist."),
            "required": gettext_lazy("Assign the letter to at least one department."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Your department's answer"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Write the answer the writer will read.")},
    )


def letter_task(request, task: ReviewTask):
    """The task page of a letter: triage at the service centre, the answer at a department.

    Claims, clock stops and extensions are the task page's own forms (the same URLs)."""
    letter = Letter.objects.select_related("addressed_to").get(pk=task.application_id)
    triage = task.is_acceptance
    form_class = TriageForm if triage else AnswerForm
    # An empty POST is still a POST: the form is bound, so "choose a department" is said.
    data = request.POST if request.method == "POST" else None
    form = form_class(data, initial=_initial(letter, triage))
    if request.method == "POST" and task.is_open and form.is_valid():
        try:
            if triage:
                letters.triage_letter(
                    task.pk,
                    request.user,
                    department_ids=[d.pk for d in form.cleaned_data["departments"]],
                    note=form.cleaned_data["note"],
                )
            else:
                letters.answer_letter(task.pk, request.user, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request,
                (
                    _("Letter %(number)s is sent to the departments.")
                    if triage
                    else _("Your answer to letter %(number)s is sent.")
                )
                % {"number": task.application.tracking_number},
            )
            return redirect("approvals:queue")
    return render(
        request,
        "approvals/letter_task.html",
        {
            "task": task,
            "letter": letter,
            "application": task.application,
            "form": form,
            "triage": triage,
            "answers": answers_of(letter),
            "stages": application_progress(task.application),
            "attachments": task.application.attachments.filter(is_current=True),
            "clock_stops": task.clock_stops.all(),
            "extension": Extension.objects.filter(task=task).first(),
            # Ids of their own: the triage form has a note too.
            "clock_form": ClockStopForm(auto_id="clock_%s"),
            "extension_form": ExtensionRequestForm(auto_id="extension_%s"),
            **claim_rights(request.user),
        },
    )


def _initial(letter: Letter, triage: bool) -> dict:
    if triage and letter.addressed_to_id:
        return {"departments": [letter.addressed_to_id]}
    return {}
