from django import forms
from django.utils.translation import gettext_lazy as _

from .decisions import Outcome


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
