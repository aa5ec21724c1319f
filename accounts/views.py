from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from common.ratelimits import rate_limited

from . import counter, email_codes, notifications, registration, two_factor
from . import password_reset as password_reset_flow
from .authentication_forms import ConfirmIdentityForm, OneTimeCodeForm
from .forms import (
    CitizenRegistrationForm,
    ClaimAccountForm,
    EnterpriseRegistrationForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    RegistrationCodeForm,
)
from .models import User
from .reauth import mark_authenticated, safe_next_url


@require_http_methods(["GET", "POST"])
@rate_limited("registration")
def register(request, kind: str):
    """The registration form; a valid one always leads to the code page (accounts/registration.py)."""
    form_class = EnterpriseRegistrationForm if kind == "enterprise" else CitizenRegistrationForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.begin_registration(
            request.session,
            kind=User.Kind.ENTERPRISE if kind == "enterprise" else User.Kind.CITIZEN,
            cleaned_data=form.cleaned_data,
            existing_holder=getattr(form, "existing_holder", None),
            language=translation.get_language(),
        )
        return redirect(_with_next(reverse("accounts:register_confirm"), request))
    return render(request, "accounts/register.html", {"form": form, "kind": kind})


def _with_next(url: str, request) -> str:
    next_url = request.GET.get("next", "")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@require_http_methods(["GET", "POST"])
@rate_limited("registration")
def register_confirm(request):
    """Enter the code e-mailed at registration; the right one opens the account and logs in."""
    pending = email_codes.pending_data(request.session, email_codes.REGISTRATION)
    if pending is None:
        messages.info(request, _("Fill in the registration form first, or again."))
        return redirect(_with_next(reverse("accounts:register_citizen"), request))
    form = RegistrationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = email_codes.redeem(
            request.session, email_codes.REGISTRATION, form.cleaned_data["code"]
        )
        if data is None:
            form.add_error("code", _("This code is wrong or has expired."))
        else:
            try:
                user = registration.complete_registration(data)
            except registration.RegistrationFailed:
                messages.error(
                    request, _("The account could not be opened. Please fill in the form again.")
                )
                return redirect(_with_next(reverse("accounts:register_citizen"), request))
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s. Your account is ready.") % {"name": user.applicant_name},
            )
            # Only a page of this portal: `next` comes from the address bar (no open redirect).
            next_url = safe_next_url(request, request.GET.get("next"))
            return redirect(next_url or "services:catalogue")
    return render(
        request,
        "accounts/register_confirm.html",
        {"form": form, "address": email_codes.masked_address(pending["email"])},
    )


# --- a forgotten password ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@rate_limited("password_reset")
def password_reset(request):
    """Ask for a code; the answer never says whether an account matched."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_flow.request_reset(
            request, form.cleaned_data["login"], language=translation.get_language()
        )
        return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited("password_reset")
def password_reset_confirm(request):
    """The code and the new password; the account's rules apply once the code is right."""
    if not email_codes.is_pending(request.session, email_codes.PASSWORD_RESET):
        messages.info(request, _("Ask for a code first, or again: the last one has expired."))
        return redirect("accounts:password_reset")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = password_reset_flow.user_for_code(request.session, form.cleaned_data["code"])
        if user is None:
            form.add_error("code", _("This code is wrong or has expired."))
        else:
            try:
                password_reset_flow.validate_new_password(form.cleaned_data["password1"], user)
            except ValidationError as error:
                form.add_error("password1", error)
            else:
                password_reset_flow.reset_password(
                    request.session, user, form.cleaned_data["password1"]
                )
                messages.success(
                    request, _("Your password has been changed. Log in with the new one.")
                )
                return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


# --- the second factor ---------------------------------------------------------------------------


def landing_page(user) -> str:
    if user.kind == user.Kind.STAFF:
        return "approvals:queue"
    if user.is_staff:
        return "admin:index"
    return "home"


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """After the password, a civil servant or administrator enters their TOTP code."""
    user = request.user
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    if not two_factor.requires_two_factor(user) or user.is_verified():
        return redirect(next_url or landing_page(user))
    device = two_factor.confirmed_device(user)
    if device is None:
        return redirect_keeping_next("accounts:otp_enrol", next_url)
    form = OneTimeCodeForm(request.POST or None, device=device)
    # The code is the page's only task, and it expires in seconds: the cursor waits in it.
    form.fields["code"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        two_factor.complete_login(request, device)
        return redirect(next_url or landing_page(user))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """First login of a civil servant: register an authenticator app, proven by one code.

    Only while the person has no confirmed device: replacing a device is an administrator's
    job (Django admin, TOTP devices), never something a password alone can do.
    """
    user = request.user
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    if not two_factor.requires_two_factor(user):
        return redirect(next_url or landing_page(user))
    if two_factor.confirmed_device(user) is not None:
        return redirect_keeping_next("accounts:otp_verify", next_url)
    device = two_factor.pending_device(user)
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        two_factor.confirm_device(device)
        two_factor.complete_login(request, device)
        messages.success(
            request, _("Your authenticator app is set up. You will need a code at every login.")
        )
        return redirect(next_url or landing_page(user))
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": two_factor.qr_code_svg(
                device.config_url, _("QR code to scan with your authenticator app")
            ),
            "secret": two_factor.secret_for_manual_entry(device),
        },
    )


def redirect_keeping_next(view_name: str, next_url: str):
    response = redirect(view_name)
    if next_url:
        response["Location"] += "?" + urlencode({"next": next_url})
    return response


# --- re-authentication and the account page ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request):
    """ "Confirm it is you": the password again (and a TOTP code for staff), then back."""
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    form = ConfirmIdentityForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        mark_authenticated(request.session)
        return redirect(next_url or landing_page(request.user))
    return render(request, "accounts/reauthenticate.html", {"form": form, "next": next_url})


@login_required
def account(request):
    return render(
        request,
        "accounts/account.html",
        {
            "two_factor": two_factor.requires_two_factor(request.user),
            "staff_idle_minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60,
            "applicant_idle_minutes": settings.APPLICANT_SESSION_IDLE_SECONDS // 60,
        },
    )


@login_required
@require_POST
def log_out_everywhere(request):
    """End every session of this person, on every device, this one included."""
    request.user.log_out_everywhere()
    logout(request)
    messages.success(request, _("You have been logged out on every device."))
    return redirect("accounts:login")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once an account is locked for this address (AXES_LOCKOUT_CALLABLE)."""
    if request.path.startswith("/api/"):
        # The API's token endpoint: the same lock-out, in the API's error shape.
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        message = _(
            "Too many failed attempts: this account is locked here for %(minutes)s minutes."
        ) % {"minutes": minutes}
        response = JsonResponse({"errors": [message], "fields": {}}, status=429)
        response["Retry-After"] = str(minutes * 60)
        return response
    response = render(
        request,
        "accounts/lockout.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
    # RFC 9110 §10.2.3: when to try again, for browsers, scripts and proxies alike.
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# --- the inbox -----------------------------------------------------------------------------------


@login_required
def inbox(request):
    """The person's own notifications, newest first, rendered in the language they read now."""
    page = Paginator(notifications.inbox_of(request.user), 20).get_page(request.GET.get("page"))
    language = translation.get_language()
    for notification in page.object_list:
        notification.rendered = notifications.render_notification(notification, language)
    return render(request, "accounts/inbox.html", {"page": page})


@login_required
def notification_detail(request, pk: int):
    notification = get_object_or_404(notifications.inbox_of(request.user), pk=pk)
    notifications.mark_read(request.user, [notification.pk])
    rendered = notifications.render_notification(notification, translation.get_language())
    return render(
        request,
        "accounts/notification.html",
        {"notification": notification, "rendered": rendered},
    )


@login_required
@require_POST
def mark_notifications_read(request):
    """Mark one notification (`notification` in the form) or all of them as read."""
    raw = request.POST.get("notification", "")
    ids = [int(raw)] if raw.isdigit() else None
    notifications.mark_read(request.user, ids)
    return redirect("accounts:inbox")


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice for the person's notifications."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and translation.check_for_language(language):
        notifications.remember_language(request.user, language)
    return response


@require_http_methods(["GET", "POST"])
@rate_limited("registration")
def claim_account(request):
    """A citizen takes over the account the service centre opened when they filed in person."""
    form = ClaimAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = counter.claim_account(
                data["resident_id"],
                data["claim_code"],
                username=data["username"],
                password=data["password1"],
                email=data["email"],
            )
        except ValidationError as error:
            for field, field_errors in error.update_error_dict({}).items():
                for message in field_errors:
                    form.add_error(None if field == NON_FIELD_ERRORS else field, message)
        else:
            notifications.remember_language(user, translation.get_language())
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s. Your applications filed at the service centre are below.")
                % {"name": user.applicant_name},
            )
            return redirect("services:mine")
    return render(request, "accounts/claim.html", {"form": form})
