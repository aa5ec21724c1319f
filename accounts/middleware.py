"""Session rules that hold on every page: idle timeouts, and the second factor for staff.

Both run after django_otp's OTPMiddleware (which adds `request.user.is_verified()`).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from .two_factor import confirmed_device, idle_seconds, requires_two_factor

# What a half-logged-in civil servant may still reach: the second-factor pages themselves,
# logging out, and choosing the language those pages are shown in.
REACHABLE_BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:otp_verify",
        "accounts:otp_enrol",
        "accounts:logout",
        "accounts:login",
        "set_language",
    }
)


# When the idle expiry was last moved, as the time it then set: the session ends then unless
# a request moves it again.
IDLE_DEADLINE_KEY = "_idle_deadline"
# The expiry moves at most this often, so a busy session is written about once a minute,
# not on every request.
EXTEND_AT_MOST_EVERY_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Sessions end after a period without requests: 15 minutes for staff, longer for applicants.

    The expiry slides: a request moves it to the idle time from now, which saves the session
    with the new expiry date. To spare a database write per request it moves only when that
    gains at least a minute, so a session ends between 14 and 15 idle minutes after its last
    request (staff), never later. GB/T 22239-2019 8.1.4.1 b) 登录连接超时自动退出; ASVS V3.3.2.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            idle_for = idle_seconds(user)
            deadline = int(time.time()) + idle_for
            # Moved back too (a shorter idle time, e.g. an applicant made staff), or first time.
            gain = deadline - request.session.get(IDLE_DEADLINE_KEY, 0)
            if not 0 <= gain < EXTEND_AT_MOST_EVERY_SECONDS:
                request.session.set_expiry(idle_for)
                request.session[IDLE_DEADLINE_KEY] = deadline
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Staff and administrators reach no page (staff dashboard, publishing, the Django admin,
    nor any other) until their TOTP code is verified in this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not requires_two_factor(user) or user.is_verified():
            return None
        if request.resolver_match.view_name in REACHABLE_BEFORE_SECOND_FACTOR:
            return None
        if "api" in request.resolver_match.namespaces:
            # The API answers for itself, in JSON: its session authentication does not count
            # a half-logged-in session (accounts.api_authentication.VerifiedSessionAuthentication), so 401/403.
            return None
        target = "accounts:otp_verify" if confirmed_device(user) else "accounts:otp_enrol"
        url = reverse(target)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
