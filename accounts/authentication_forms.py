"""Forms of the second factor and of re-authentication (the password form is Django's own)."""

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from .two_factor import check_code, confirmed_device, is_throttled, requires_two_factor


def one_time_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("6 digits. A new code appears every 30 seconds."),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 10}
        ),
    )


def validate_one_time_code(device, code: str) -> None:
    if device is None:
        raise forms.ValidationError(_("Set up your authenticator app first."), code="no_device")
    if is_throttled(device):
        raise forms.ValidationError(
            _("Too many wrong codes in a row. Wait a minute, then enter the code your app shows."),
            code="throttled",
        )
    if not check_code(device, code):
        raise forms.ValidationError(
            _("That code is not right or has expired. Enter the code your app shows now."),
            code="wrong_code",
        )


class OneTimeCodeForm(forms.Form):
    """The code of one TOTP device: the confirmed one at login, the pending one at enrolment."""

    code = one_time_code_field()

    def __init__(self, *args, device=None, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"]
        validate_one_time_code(self.device, code)
        return code


class ConfirmIdentityForm(forms.Form):
    """Password again, and for staff a fresh TOTP code, before a sensitive action.

    The password goes through `authenticate(request, ...)`, so wrong ones count towards the
    django-axes lock-out exactly like failed logins.
    """

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = request.user
        super().__init__(*args, **kwargs)
        if requires_two_factor(self.user):
            self.fields["code"] = one_time_code_field()

    def clean_password(self):
        password = self.cleaned_data["password"]
        user = authenticate(self.request, username=self.user.get_username(), password=password)
        if user is None or user.pk != self.user.pk:
            raise forms.ValidationError(_("That password is not right."), code="wrong_password")
        return password

    def clean_code(self):
        code = self.cleaned_data["code"]
        if "password" not in self.cleaned_data:
            return code  # not spent on a wrong password: the code stays usable for the retry
        validate_one_time_code(confirmed_device(self.user), code)
        return code
