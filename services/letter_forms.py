"""The letter form (政民互动) and the writer's rating form; the limits are stated on the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Department

from .letters import body_max_chars, max_attachments, topic_max_chars
from .models import Letter


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def department_choices() -> list[tuple[str, str]]:
    return [("", _("I do not know: the service centre decides"))] + [
        (department.code, department.display_name)
        for department in Department.objects.order_by("code")
    ]


class LetterForm(forms.Form):
    """What the writer fills in. The checks are the domain's (services.letters), so the page and
    the API refuse the same things with the same words; this form only collects."""

    kind = forms.ChoiceField(
        label=_("Kind of letter"), choices=Letter.Kind.choices, widget=forms.RadioSelect
    )
    topic = forms.CharField(label=_("Topic"), required=False)
    body = forms.CharField(label=_("Your letter"), required=False, widget=forms.Textarea)
    department = forms.CharField(
        label=_("Department (optional)"), required=False, widget=forms.Select
    )
    attachments = forms.FileField(
        label=_("Attachments (optional)"), required=False, widget=MultipleFileInput
    )
    consent_to_publish = forms.BooleanField(
        label=_(
            "Publish my letter and the answer on the portal (my name and personal data masked)"
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].help_text = _("At most %(limit)s characters.") % {
            "limit": topic_max_chars()
        }
        self.fields["body"].help_text = _(
            "At most %(limit)s characters. Write as text; HTML is shown as written, not run."
        ) % {"limit": body_max_chars()}
        self.fields["attachments"].help_text = _("At most %(count)s files: PDF, JPEG or PNG.") % {
            "count": max_attachments()
        }
        self.fields["department"].widget.choices = department_choices()
        # Checked by the domain (with its own words), but required: say so on the label.
        self.fields["topic"].required_on_submit = True
        self.fields["body"].required_on_submit = True


class LetterRatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the answer?"),
        choices=Letter.Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SecondAnswerForm(forms.Form):
    reason = forms.CharField(
        label=_("What did the answer leave out?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
