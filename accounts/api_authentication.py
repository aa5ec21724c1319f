"""Who is calling the REST API: a Knox token, or the browser's fully logged-in session.

Imported by DRF from its settings (DEFAULT_AUTHENTICATION_CLASSES) while rest_framework.views
is being imported: this module must not import views itself. It lives in accounts because
how long a token lives and who needs a second factor are accounts' rules (two_factor.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication

from .two_factor import idle_seconds, requires_two_factor


def token_lifetime(user) -> timedelta:
    """A token lives as long as an idle session of the same person: 15 minutes for staff."""
    return timedelta(seconds=idle_seconds(user))


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
