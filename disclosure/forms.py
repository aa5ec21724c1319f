import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from services.materials import sniff_material

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


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)


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
