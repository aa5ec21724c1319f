from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

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

    # Who already holds the ID number, if anyone. The form never says so: registration answers
    # the same either way and the holder is told instead (accounts/registration.py).
    existing_holder: User | None = None

    def clean_resident_id(self):
        value = normalize_identifier(self.cleaned_data["resident_id"])
        validate_resident_id(value)
        self.existing_holder = User.objects.with_resident_id(value).first()
        return value

    def _get_validation_exclusions(self):
        # The unique constraint on the ID number's blind index would name a holder: left to
        # registration, which answers without telling (and the database is the last guard).
        return {*super()._get_validation_exclusions(), "resident_id"}

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


class RegistrationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordResetRequestForm(forms.Form):
    login = forms.CharField(
        label=_("User name or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )


class PasswordResetForm(forms.Form):
    """The code from the e-mail and the new password, twice. The password is checked against
    the account's details only once the code is right, so the rules say nothing of an account
    before then (accounts/views.py)."""

    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common password, not only digits."),
    )
    password2 = forms.CharField(
        label=_("New password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two password fields didn’t match."))
        return cleaned
