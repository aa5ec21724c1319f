"""Re-authentication before sensitive actions (OWASP ASVS 4.0 V3.7.1).

A session remembers when its user last proved who they are: at login, at the TOTP step and on
the "confirm it's you" page. `require_recent_authentication` sends anyone whose proof is older
than `settings.REAUTHENTICATION_MAX_AGE` seconds to that page first, and then back.

It wraps a function view, a view method or a ModelAdmin action alike: the request is found
among the first two positional arguments. For a POST the form cannot be replayed after the
detour, so the person is sent back to `return_to` (or the page they came from) with a message
asking them to submit again; nothing is done in their name meanwhile.

    @staff_required
    @require_POST
    @require_recent_authentication(return_to="approvals:head")
    def decide_extension(request, extension_id): ...

    @admin.action(description=_("Revoke the selected certificates"))
    @require_recent_authentication
    def revoke(modeladmin, request, queryset): ...

The REST API cannot send anyone to a page: its sensitive actions call
`confirm_recent_identity(request, data)`, which takes the password (and code) with the request.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.settings import api_settings

AUTHENTICATED_AT = "accounts.authenticated_at"


def mark_authenticated(session) -> None:
    """Record that the session's user has just proved who they are."""
    session[AUTHENTICATED_AT] = int(time.time())


def authenticated_recently(request: HttpRequest, max_age: int | None = None) -> bool:
    if max_age is None:
        max_age = settings.REAUTHENTICATION_MAX_AGE
    at = request.session.get(AUTHENTICATED_AT)
    return isinstance(at, int) and 0 <= time.time() - at <= max_age


@receiver(user_logged_in, dispatch_uid="accounts.reauth.mark_authenticated_at_login")
def mark_authenticated_at_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request.session)


def safe_next_url(request: HttpRequest, url: str | None) -> str:
    """`url` if it is a page of this portal, else ""; `next` comes from the address bar.

    Only a path ("/…"): `redirect()` takes any other word for a URL name, and fails on it.
    """
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return ""


def _find_request(args: tuple) -> HttpRequest:
    for arg in args[:2]:
        if isinstance(arg, HttpRequest):
            return arg
    raise TypeError("require_recent_authentication: no HttpRequest among the first arguments")


def reauthentication_url(next_url: str) -> str:
    return f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def require_recent_authentication(
    view: Callable | None = None,
    *,
    max_age: int | None = None,
    return_to: str | Callable[[HttpRequest], str] | None = None,
):
    """Send the person to confirm their password (and TOTP code, for staff) if their last
    authentication is older than `max_age` seconds (default REAUTHENTICATION_MAX_AGE).

    `return_to`: where a POST comes back to after the confirmation — a URL name, a path or a
    function of the request. By default the safe Referer, else the home page. A GET comes back
    to the same address.
    """

    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            request = _find_request(args)
            if authenticated_recently(request, max_age):
                return function(*args, **kwargs)
            if request.method in ("GET", "HEAD"):
                next_url = request.get_full_path()
            else:
                if callable(return_to):
                    next_url = return_to(request)
                elif return_to:
                    next_url = resolve_url(return_to)
                else:
                    next_url = safe_next_url(request, request.META.get("HTTP_REFERER"))
                messages.info(
                    request,
                    _("For your security, confirm it is you. Then submit your request again."),
                )
            return HttpResponseRedirect(reauthentication_url(next_url or resolve_url("home")))

        wrapper.requires_recent_authentication = True
        return wrapper

    if view is not None:
        return decorator(view)
    return decorator


def confirm_recent_identity(request, data: dict) -> None:
    """Re-authentication before a sensitive action of the REST API: a session or token younger
    than REAUTHENTICATION_MAX_AGE, or the password (and a fresh TOTP code for staff) given
    with the request in `data`, checked by the "confirm it is you" form; else a 400."""
    # Imported when called: the form checks TOTP codes (two_factor.py), and two_factor marks
    # the session with mark_authenticated above, so a top-level import would be a circle.
    from .authentication_forms import ConfirmIdentityForm

    max_age = settings.REAUTHENTICATION_MAX_AGE
    if isinstance(request.auth, AuthToken):
        if (timezone.now() - request.auth.created).total_seconds() <= max_age:
            return
    elif authenticated_recently(request._request, max_age):
        return
    form = ConfirmIdentityForm(
        request._request, {"password": data.get("password", ""), "code": data.get("code", "")}
    )
    if not form.is_valid():
        errors = dict(form.errors)
        errors.setdefault(
            api_settings.NON_FIELD_ERRORS_KEY,
            [_("For your security, confirm it is you: give your password again.")],
        )
        raise serializers.ValidationError(errors)
    if request.auth is None:
        mark_authenticated(request._request.session)
