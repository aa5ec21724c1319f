"""Who may call the REST API, and how often: authentication, throttles, pagination.

Kept apart from portal/api.py because DRF imports these classes from its settings while
rest_framework.views is being imported; this module must not import views itself.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

from accounts.two_factor import requires_two_factor

from .ratelimits import by_ip, seconds_until_allowed

# --- who is asking -------------------------------------------------------------------------------


def token_lifetime(user) -> timedelta:
    """A token lives as long as an idle session of the same person: 15 minutes for staff."""
    seconds = (
        settings.STAFF_SESSION_IDLE_SECONDS
        if requires_two_factor(user)
        else settings.APPLICANT_SESSION_IDLE_SECONDS
    )
    return timedelta(seconds=seconds)


class ExpiringTokenAuthentication(TokenAuthentication):
    """Knox tokens (`Authorization: Token …`), hashed at rest, renewed on every use by the
    idle time of the holder's kind, never beyond REST_KNOX["AUTO_REFRESH_MAX_TTL"]."""

    def renew_token(self, auth_token) -> None:
        new_expiry = timezone.now() + token_lifetime(auth_token.user)
        longest = settings.REST_KNOX.get("AUTO_REFRESH_MAX_TTL")
        if longest is not None:
            new_expiry = min(new_expiry, auth_token.created + longest)
        if (new_expiry - auth_token.expiry).total_seconds() > 60:
            auth_token.expiry = new_expiry
            auth_token.save(update_fields=["expiry"])


class VerifiedSessionAuthentication(SessionAuthentication):
    """The browser's session (with CSRF), once fully logged in: a civil servant who has typed
    the password but not yet the TOTP code is not authenticated here either."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if requires_two_factor(user) and not request._request.user.is_verified():
            return None
        return result


# --- throttles and pages -------------------------------------------------------------------------


class AnonymousThrottle(AnonRateThrottle):
    """Per address, counted as the rate limits and the lock-out count it (behind the proxy)."""

    def get_ident(self, request):
        return by_ip("api", request._request)


class AccountThrottle(UserRateThrottle):
    def get_ident(self, request):
        return by_ip("api", request._request)


class PortalRateLimit(BaseThrottle):
    """One of the portal's RATE_LIMITS scopes (login, filing, verification), on the same
    counters as the pages': ten tries on the form and ten on the API are twenty."""

    scope = ""
    methods: tuple[str, ...] = ("POST",)

    def allow_request(self, request, view):
        self.seconds_left = seconds_until_allowed(
            request._request, self.scope, key=self._key(request), methods=self.methods
        )
        return self.seconds_left is None

    def _key(self, drf_request):
        def key(group, request):
            # The DRF request knows the token's user; the Django request only the session's.
            user = drf_request.user
            if self.scope == "filing" and user.is_authenticated:
                return f"user:{user.pk}"
            return by_ip(group, request)

        return key

    def wait(self):
        return self.seconds_left


class LoginRateLimit(PortalRateLimit):
    scope = "login"


class FilingRateLimit(PortalRateLimit):
    scope = "filing"


class VerificationRateLimit(PortalRateLimit):
    scope = "verification"
    methods = ("GET", "HEAD", "POST")


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
