"""Rate limits on the doors anyone can knock on: login, registration, filing, verification.

Counting is django-ratelimit's (fixed windows, counters in the Redis cache `ratelimit`, shared
by every web process); the limits are settings (RATE_LIMITS, one "count/period" per scope,
e.g. "10/h"), so a deployment behind a busy NAT can raise them without a code change.
A person over the limit gets the 429 page (templates/429.html) with a Retry-After header.

Apply it to a view, naming the scope and who is counted:

    from common.ratelimits import by_ip, rate_limited

    @rate_limited("verification", key=by_ip, methods=("GET", "POST"))
    def verify_certificate(request, number): ...

Login failures per account are django-axes' job (lock-out after 5 in 15 minutes); the login
limit here is per address, against one machine trying many accounts.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Every method that can change something: a limit on writing counts them all alike, so an
# API client cannot escape the filing limit by PATCHing where a form POSTs.
WRITING_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person, not of the proxy in front of the portal.

    With TRUSTED_PROXY_COUNT = n > 0 (set when BEHIND_HTTPS_PROXY), the n-th address from the
    right of X-Forwarded-For is the one the outermost trusted proxy saw; anything left of it was
    written by the client and is not trusted. Without a proxy, REMOTE_ADDR. django-axes uses
    this function too (AXES_CLIENT_IP_CALLABLE), so lock-outs and limits count the same person.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def by_ip(group: str, request: HttpRequest) -> str:
    """Counts per address; an IPv6 client is counted per /64, what one subscriber gets."""
    address = client_ip(request) or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address


def by_user_or_ip(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return by_ip(group, request)


def _rate_of(scope: str) -> Callable[[str, HttpRequest], str]:
    # Read at each request, so that override_settings and a changed setting both apply.
    return lambda group, request: settings.RATE_LIMITS[scope]


def too_many_requests(request: HttpRequest, seconds_left: int) -> HttpResponse:
    minutes = max(1, -(-seconds_left // 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, seconds_left))
    return response


def seconds_until_allowed(
    request: HttpRequest,
    scope: str,
    *,
    key: Callable[[str, HttpRequest], str] = by_ip,
    methods: Iterable[str] = WRITING_METHODS,
) -> int | None:
    """Count this request against RATE_LIMITS[scope]; None if allowed, else the seconds to wait.

    The one counter of a scope, whichever door it is knocked on (a page, or the API's
    throttles in common/api_access.py).
    """
    try:
        usage = get_usage(
            request,
            group=f"portal.{scope}",
            key=key,
            rate=_rate_of(scope),
            method=[m.upper() for m in methods],
            increment=True,
        )
    except (RedisError, OSError):
        # Fail open: with Redis down a citizen can still file (the application is
        # saved and routed later); logins stay guarded by django-axes in PostgreSQL.
        logger.warning("Rate limit %s not checked: the cache is unreachable", scope)
        return None
    if usage is not None and usage["should_limit"]:
        # In the window's last second time_left is 0; a refusal always says when to come back.
        return max(1, usage["time_left"])
    return None


def rate_limited(
    scope: str,
    *,
    key: Callable[[str, HttpRequest], str] = by_ip,
    methods: Iterable[str] = WRITING_METHODS,
) -> Callable:
    """Refuse a request with 429 once `key` has made more than RATE_LIMITS[scope] of them.

    Only requests with one of `methods` count and can be refused; by default those that write
    (POST, PUT, PATCH, DELETE), so that reading a form is never limited, only sending it.
    """
    methods = [m.upper() for m in methods]

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            seconds_left = seconds_until_allowed(request, scope, key=key, methods=methods)
            if seconds_left is not None:
                return too_many_requests(request, seconds_left)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
