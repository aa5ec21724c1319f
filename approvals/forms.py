from django import forms
from django.utils.translation import gettext_lazy as _

from .decisions import Outcome
from .models import ClockStop, CommonOpinion, ReviewTask


class CommonOpinionSelect(forms.Select):
    """Each option carries its full text, so static/js/common-opinions.js can fill the opinion
    box when one is picked; without JavaScript the server uses the pick (DecisionForm.clean)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-opinion"] = instance.text
            option["attrs"]["data-outcome"] = instance.outcome
        return option


class CommonOpinionChoiceField(forms.ModelChoiceField):
    widget = CommonOpinionSelect

    def label_from_instance(self, opinion: CommonOpinion) -> str:
        return f"{opinion.get_outcome_display()}: {opinion.title}"


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; a bad value is an error, not ignored."""

    STATE_CHOICES = [("open", _("Open")), *ReviewTask.State.choices]
    CLAIMED_CHOICES = [
        ("", _("Everyone's")),
        ("mine", _("Claimed by me")),
        ("covering", _("Claimed by colleagues I substitute for")),
        ("unclaimed", _("Not claimed yet")),
    ]

    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    item = forms.ChoiceField(label=_("Service"), required=False)
    due_by = forms.DateField(
        label=_("Deadline on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Overdue tasks are included."),
    )
    claimed = forms.ChoiceField(label=_("Claimed"), choices=CLAIMED_CHOICES, required=False)

    def __init__(self, data, *, items: list[tuple[str, str]]):
        super().__init__(data)
        self.fields["item"].choices = [("", _("All services")), *items]

    def filters(self) -> dict:
        """The keyword arguments of approvals.queues.queue_for; the defaults while invalid."""
        if not self.is_valid():
            return {"state": "open"}
        data = self.cleaned_data
        return {
            "state": data["state"] or "open",
            "item_code": data["item"],
            "due_by": data["due_by"],
            "claimed": data["claimed"],
        }


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
    common_opinion = CommonOpinionChoiceField(
        label=_("Common opinions of your department"),
        queryset=CommonOpinion.objects.none(),
        required=False,
        empty_label=_("— write your own —"),
        widget=CommonOpinionSelect(attrs={"data-fills": "id_opinion"}),
        help_text=_("Used when the opinion below is left empty; picking one fills it in to edit."),
    )

    field_order = ["outcome", "common_opinion", "opinion"]

    def __init__(self, *args, common_opinions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if common_opinions is None:
            del self.fields["common_opinion"]
        else:
            # Only the task's own department's opinions are valid choices (a posted id of
            # another department's opinion is refused like any other invalid choice).
            self.fields["common_opinion"].queryset = common_opinions

    def clean(self):
        data = super().clean()
        picked = data.get("common_opinion")
        if picked and not data.get("opinion", "").strip():
            if data.get("outcome") and picked.outcome != data["outcome"]:
                self.add_error(
                    "common_opinion",
                    _("This common opinion is for “%(outcome)s”; choose one for your decision.")
                    % {"outcome": picked.get_outcome_display()},
                )
            else:
                data["opinion"] = picked.text
        return data


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


class CivilServantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return f"{user.real_name} ({user.username})" if user.real_name else user.username


class SubstitutionForm(forms.Form):
    """A head names a substitute (代理审批); the domain checks both review for the department."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=None)
    reviewer = CivilServantChoiceField(
        label=_("Absent reviewer"),
        queryset=None,
        help_text=_("Their claimed tasks may be decided by the substitute during the range."),
    )
    substitute = CivilServantChoiceField(
        label=_("Substitute"),
        queryset=None,
        help_text=_("A reviewer of the same department."),
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, departments, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["reviewer"].queryset = people
        self.fields["substitute"].queryset = people


class ReassignForm(forms.Form):
    reviewer = CivilServantChoiceField(label=_("Reassign to"), queryset=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = people


def add_validation_error(form: forms.Form, error) -> None:
    """Show a domain ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
