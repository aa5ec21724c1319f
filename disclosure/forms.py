import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Publication


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = ["kind", "department", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = None
        self.fields["body"].label = _("Text")


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
