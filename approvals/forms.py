from django import forms
from django.utils.translation import gettext_lazy as _

from .decisions import Outcome
from .models import ClockStop


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (Outcome.APPROVE, _("Approve")),
            (Outcome.REJECT, _("Reject")),
            (Outcome.REQUEST_SUPPLEMENT, _("Request supplements (stops the clock)")),
        ],
    )
    opinion = forms.CharField(
        label=_("Opinion"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required when rejecting or requesting supplements; the applicant reads it."),
    )


class ClockStopForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (ClockStop.Reason.HEARING, ClockStop.Reason.HEARING.label),
            (ClockStop.Reason.INSPECTION, ClockStop.Reason.INSPECTION.label),
            (ClockStop.Reason.EXPERT_REVIEW, ClockStop.Reason.EXPERT_REVIEW.label),
        ],
    )
    note = forms.CharField(
        label=_("Note for the applicant"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtensionRequestForm(forms.Form):
    working_days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=60)
    reason = forms.CharField(
        label=_("Reason (shown to the applicant)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevocationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Public: shown to anyone who verifies the certificate, and to its holder."),
    )


class ExtensionDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Refuse"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


def add_validation_error(form: forms.Form, error) -> None:
    """Show a domain ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
