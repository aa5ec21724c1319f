from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from .counter import is_unclaimed
from .identity import (
    normalize_identifier,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)
from .models import User


class CitizenRegistrationForm(UserCreationForm):
    real_name = forms.CharField(label=_("Real name"), max_length=64)
    resident_id = forms.CharField(
        label=_("Resident ID number"),
        max_length=18,
        help_text=_("18 characters, as on your ID card."),
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=11)
    email = forms.EmailField(label=_("E-mail"))

    class Meta:
        model = User
        fields = ["username", "real_name", "resident_id", "mobile", "email"]

    def clean_resident_id(self):
        value = normalize_identifier(self.cleaned_data["resident_id"])
        validate_resident_id(value)
        existing = User.objects.with_resident_id(value).first()
        if existing is not None and is_unclaimed(existing):
            raise forms.ValidationError(
                _(
                    "The service centre opened an account for you when you filed there. "
                    "Claim it with the code on your receipt (“Claim your account”)."
                ),
                code="claim",
            )
        if existing is not None:
            raise forms.ValidationError(
                _("An account with this resident ID number already exists.")
            )
        return value

    def clean_mobile(self):
        value = self.cleaned_data["mobile"].strip()
        validate_mobile(value)
        return value

    def save(self, commit=True):
        user = super().save(commit=False)
        user.kind = User.Kind.CITIZEN
        if commit:
            user.save()
        return user


class EnterpriseRegistrationForm(UserCreationForm):
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=128)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    real_name = forms.CharField(label=_("Name of the person handling the account"), max_length=64)
    mobile = forms.CharField(label=_("Mobile"), max_length=11)
    email = forms.EmailField(label=_("E-mail"))

    class Meta:
        model = User
        fields = ["username", "enterprise_name", "credit_code", "real_name", "mobile", "email"]

    def clean_credit_code(self):
        value = normalize_identifier(self.cleaned_data["credit_code"])
        validate_credit_code(value)
        if User.objects.filter(credit_code=value).exists():
            raise forms.ValidationError(_("An account with this credit code already exists."))
        return value

    def clean_mobile(self):
        value = self.cleaned_data["mobile"].strip()
        validate_mobile(value)
        return value

    def save(self, commit=True):
        user = super().save(commit=False)
        user.kind = User.Kind.ENTERPRISE
        if commit:
            user.save()
        return user


class ClaimAccountForm(forms.Form):
    """Take over the account the service centre opened: ID number, receipt code, new login."""

    resident_id = forms.CharField(label=_("Resident ID number"), max_length=18)
    claim_code = forms.CharField(
        label=_("Claim code"),
        max_length=20,
        help_text=_("Printed on the receipt the service centre gave you."),
    )
    username = forms.CharField(
        label=_("User name"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = forms.EmailField(label=_("E-mail"))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password confirmation"), widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two password fields didn’t match."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
