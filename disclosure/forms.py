import json
import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.materials import sniff_material
from services.regions import region_by_code

from .consultations import (
    MAX_QUESTIONS,
    answer_max_chars,
    check_comment_text,
    check_period,
    comment_max_chars,
)
from .models import Publication
from .search import GUIDE_KIND


class PublicationForm(forms.ModelForm):
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Optional: a PDF, JPEG or PNG file published with the text."),
    )

    class Meta:
        model = Publication
        fields = ["kind", "classification", "department", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = None
        # A draft for comment and its feedback report have forms of their own (consultations).
        self.fields["kind"].choices = [
            (value, label)
            for value, label in self.fields["kind"].choices
            if value not in (Publication.Kind.CONSULTATION, Publication.Kind.FEEDBACK_REPORT)
        ]
        self.fields["body"].label = _("Text")
        self.fields["classification"].help_text = _(
            "Only “public” is ever shown to the public; the other grades stay internal records."
        )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            sniff_material(upload)  # size, real type and virus scan, as for applicants' files
        return upload


class WithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal (published)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("code"), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", _("Everything")),
            (GUIDE_KIND, _("Service guides")),
            *Publication.Kind.choices,
        ]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned


class RegionField(forms.CharField):
    """`?region=`: a region's GB/T 2260 code, cleaned to the Region; None when left empty (every
    region). A code that names no region is refused, so a filter never shows an empty page
    for a mistyped code as if the region had decided nothing."""

    def to_python(self, value):
        code = super().to_python(value)
        if not code:
            return None
        region = region_by_code(code)
        if region is None:
            raise forms.ValidationError(
                _("There is no region with this code. Choose one from the list."),
                code="unknown_region",
            )
        return region


class RegionForm(forms.Form):
    """The region filter of the register, the statistics and the feeds (docs/regions.md)."""

    region = RegionField(
        label=_("Region"),
        required=False,
        help_text=_("A city includes its districts and counties."),
    )


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)


class StatisticsForm(YearForm, RegionForm):
    """A calendar year (or all) of a region (or all)."""


class CertificateLookupForm(forms.Form):
    number = forms.CharField(
        label=_("Certificate number"),
        max_length=40,
        help_text=_("As printed on the certificate, e.g. ZZ202600000042."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_number(self) -> str:
        # Typed from paper: spaces and lower case are forgiven, anything else is not a number.
        number = "".join(self.cleaned_data["number"].split()).upper()
        if not re.fullmatch(r"ZZ\d{12,28}", number):
            raise forms.ValidationError(
                _("A certificate number is “ZZ” followed by at least 12 digits.")
            )
        return number


# --- consultations (征求意见) ----------------------------------------------------------------------


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class ConsultationForm(forms.Form):
    """A department's draft for public comment: the publication's fields, the period, the
    questions; checked by disclosure.consultations.check_period as the domain checks it."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Draft text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("The draft as the public will read it, with an explanation of its purpose."),
    )
    scope = forms.CharField(
        label=_("Who is consulted"),
        max_length=500,
        help_text=_("Published with the draft, e.g. “residents and enterprises of the city”."),
    )
    opens_on = forms.DateField(label=_("Comments open on"), widget=_date_input())
    closes_on = forms.DateField(label=_("Comments close on (last day)"), widget=_date_input())
    shortened_reason = forms.CharField(
        label=_("Why the period is shorter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    questions = forms.CharField(
        label=_("Questions (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One question per line; commenters may answer each of them."),
    )
    report_limit_days = forms.IntegerField(
        label=_("Working days for the feedback report"),
        min_value=1,
        max_value=60,
        help_text=_("Counted from the day after comments close."),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Optional: a PDF, JPEG or PNG file published with the draft."),
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = None
        minimum = settings.CONSULTATION_MIN_DAYS
        today = timezone.localdate()
        self.initial.setdefault("opens_on", today)
        self.initial.setdefault("closes_on", today + timedelta(days=minimum - 1))
        self.initial.setdefault("report_limit_days", settings.CONSULTATION_REPORT_WORKING_DAYS)
        self.fields["closes_on"].help_text = _(
            "Comments are taken until the end of this day. The period (both days counted) is at "
            "least %(days)s days unless you say why it is shorter."
        ) % {"days": minimum}
        self.fields["shortened_reason"].help_text = _(
            "Only for a period shorter than %(days)s days: the reason is published with the draft "
            "(Interim Regulations on Major Administrative Decision-making Procedures, Art. 14)."
        ) % {"days": minimum}

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            sniff_material(upload)  # size, real type and virus scan, as for applicants' files
        return upload

    def clean_questions(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["questions"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_QUESTIONS:
            raise forms.ValidationError(
                _("Ask at most %(count)s questions.") % {"count": MAX_QUESTIONS}
            )
        if any(len(line) > 500 for line in lines):
            raise forms.ValidationError(_("A question may be at most 500 characters long."))
        return lines

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("opens_on") and cleaned.get("closes_on"):
            try:
                check_period(
                    opens_on=cleaned["opens_on"],
                    closes_on=cleaned["closes_on"],
                    shortened_reason=cleaned.get("shortened_reason", ""),
                )
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


class CommentForm(forms.Form):
    """A comment and optional answers to the consultation's questions (`answer_<id>` fields).

    The limits are stated on the page; the domain (consultations.submit_comment) checks them
    again, so the API and the page refuse the same things with the same words.
    """

    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Write your comment.")},
    )

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "At most %(limit)s characters. It is published once a civil servant has read it, "
            "under your surname only (张*) or your enterprise's name."
        ) % {"limit": f"{comment_max_chars():,}"}
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.text,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Optional. At most %(limit)s characters.")
                % {"limit": f"{answer_max_chars():,}"},
            )

    def clean_body(self) -> str:
        try:
            return check_comment_text(self.cleaned_data["body"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["body"]) from None

    def clean(self):
        cleaned = super().clean()
        for question in self.questions:
            name = f"answer_{question.pk}"
            text = (cleaned.get(name) or "").strip()
            if len(text) > answer_max_chars():
                self.add_error(
                    name,
                    _("An answer may be at most %(limit)s characters long (it has %(length)s).")
                    % {"limit": answer_max_chars(), "length": len(text)},
                )
        return cleaned

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"answer_{q.pk}", "") for q in self.questions}


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision on this comment"),
        choices=[("publish", _("Publish")), ("reject", _("Do not publish"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why it is not published (sent to the author)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedbackReportForm(forms.Form):
    adopted_count = forms.IntegerField(
        label=_("Comments adopted, fully or in part"), min_value=0, max_value=10_000_000
    )
    adopted = forms.CharField(
        label=_("What was adopted"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    not_adopted = forms.CharField(
        label=_("What was not adopted, and why"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


PROOF_MAX_BYTES = 5 * 1024 * 1024


class ProofUploadForm(forms.Form):
    """An inclusion proof of an audit entry, as the portal gave it (a JSON file)."""

    file = forms.FileField(
        label=_("Inclusion proof (JSON file)"),
        help_text=_("The file downloaded with an audit entry, named audit-proof-….json."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PROOF_MAX_BYTES:
            raise forms.ValidationError(_("This file is too large to be an inclusion proof."))
        try:
            proof = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise forms.ValidationError(
                _("This file is not JSON: upload the proof as downloaded.")
            ) from None
        if not isinstance(proof, dict):
            raise forms.ValidationError(_("This file is not JSON: upload the proof as downloaded."))
        self.cleaned_data["proof"] = proof
        return upload
