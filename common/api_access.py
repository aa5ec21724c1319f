"""How often the REST API may be called, its pages and its filters: throttles, pagination.

DRF imports these classes from its settings while rest_framework.views is being imported;
this module must not import views itself. Who is calling (tokens, the session) is
accounts/api_authentication.py.
"""

from __future__ import annotations

import logging
from datetime import UTC

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django_filters import IsoDateTimeFilter
from django_filters.fields import IsoDateTimeField
from redis.exceptions import RedisError
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

from .ratelimits import WRITING_METHODS, by_ip, seconds_until_allowed

logger = logging.getLogger(__name__)

# --- throttles and pages -------------------------------------------------------------------------


class _PortalThrottle:
    """DRF's anonymous/user throttles, counted in the rate-limit cache (its own Redis prefix,
    like RATE_LIMITS), their rates read at each request, and failing open when Redis is down:
    filing must go on (no application is ever lost)."""

    @property
    def cache(self):
        return caches["ratelimit"]

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("API throttle %s not checked: the cache is unreachable", self.scope)
            return True

    def get_ident(self, request):
        # The address the lock-out and the rate limits count (behind the proxy, the client's).
        return by_ip("api", request._request)


class AnonymousThrottle(_PortalThrottle, AnonRateThrottle):
    pass


class AccountThrottle(_PortalThrottle, UserRateThrottle):
    pass


class PortalRateLimit(BaseThrottle):
    """One of the portal's RATE_LIMITS scopes (login, filing, verification), on the same
    counters as the pages': ten tries on the form and ten on the API are twenty, whichever
    writing method each used."""

    scope = ""
    methods: tuple[str, ...] = WRITING_METHODS

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


# --- filters -------------------------------------------------------------------------------------


class MomentField(IsoDateTimeField):
    """An ISO 8601 moment, kept only if PostgreSQL can compare with it: converted to UTC, so
    that offsets like +22:47 (valid ISO, beyond what PostgreSQL accepts) are not sent on."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class MomentFilter(IsoDateTimeFilter):
    field_class = MomentField
