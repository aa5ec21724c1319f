"""Whole public pages served from Redis to visitors who are not logged in.

The catalogue and the service guides are the same for every anonymous visitor in a given
language, and rendering them costs ten times the request around them. A view decorated with
`cached_for_anonymous_visitors("catalogue")` is rendered once per language and full path and
then served from the `pages` cache, until the data it shows changes:

- **For whom.** Only GET requests of visitors who are not logged in and have no message
  waiting (a message belongs to one visitor). Logged-in people (their header names them, the
  guide offers them the apply button) always get a fresh render.
- **Invalidation.** Each cached page names a version ("catalogue"), a random token in Redis
  that `page_changed("catalogue")` replaces; services/receivers.py calls it whenever an item,
  material, form field, stage, theme or department is saved or deleted, in the admin or in
  code, at once and again after the commit. An entry carries the token it was rendered
  under and is only served while that token is current, so a render that raced an edit is
  never served. A release fingerprint (templates, translations, static files, code) is part
  of the key: a deployment never serves pages of the previous one.
- **Per-visitor parts.** The language switcher is a POST form with a CSRF token: the stored
  copy holds a placeholder instead, replaced by the visitor's own token when served. A page
  whose render used the CSP nonce (none does today) is not stored.
- **Bounded.** Redis runs with `noeviction` (docs/operations.md): a view calls
  `keep_out_of_cache(request)` for pages it cannot bound (free-text searches, unknown
  filters), only 200 responses are stored, and entries expire after PAGE_CACHE_SECONDS.
- **Redis down.** The page is rendered as if nothing were cached.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
# What {% csrf_token %} writes (django.template.defaulttags.CsrfTokenNode), token included.
CSRF_INPUT = re.compile(rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
CSRF_PLACEHOLDER = b"__page_cache_csrf_token__"
KEEP_OUT = "_page_cache_keep_out"

# What a release changes that shapes a page: its code, templates, translations, static files.
RELEASE_SOURCES = ("accounts", "approvals", "common", "disclosure", "portal", "services")
RELEASE_EXTRA = ("templates", "locale", "static")


@functools.cache
def release_fingerprint() -> str:
    """A digest of everything a page's bytes depend on besides the data; computed once."""
    base = Path(settings.BASE_DIR)
    files = [p for d in RELEASE_SOURCES for p in (base / d).rglob("*.py")]
    files += [p for d in RELEASE_EXTRA for p in (base / d).rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for path in sorted(f for f in files if "__pycache__" not in f.parts):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def version_key(version: str) -> str:
    return f"version:{version}"


def page_changed(version: str) -> None:
    """Every page cached under `version` is stale from now on (all processes, all languages)."""
    try:
        caches[CACHE_ALIAS].set(version_key(version), uuid.uuid4().hex, timeout=None)
    except RedisError:
        # Nothing is served from Redis while it is down; entries that outlive the outage (the
        # append-only file) expire within PAGE_CACHE_SECONDS (docs/operations.md).
        logger.warning("Page cache: could not invalidate %r (Redis unreachable)", version)


def keep_out_of_cache(request: HttpRequest) -> None:
    """This response is rendered for this request only (e.g. a free-text search)."""
    setattr(request, KEEP_OUT, True)


def page_key(request: HttpRequest, version: str) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    # The elderly-friendly mode draws the same page otherwise (accounts/elderly_mode.py).
    mode = "elderly" if request.COOKIES.get(settings.ELDERLY_MODE_COOKIE) == "on" else "standard"
    return f"page:{release_fingerprint()}:{version}:{get_language()}:{mode}:{path}"


def _may_be_served_from_cache(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    # len() loads the waiting messages without marking them shown.
    return len(get_messages(request)) == 0


def cached_for_anonymous_visitors(
    version: str, *, most: Callable[[], int] | None = None
) -> Callable:
    """Serve the view's page from the cache to anonymous visitors (see the module docstring).

    `most()`: keep at most this many pages under one version of `version` (free-text searches,
    whose paths nobody can list); the others are rendered each time.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _may_be_served_from_cache(request):
                return view(request, *args, **kwargs)
            cache = caches[CACHE_ALIAS]
            key = page_key(request, version)
            try:
                found = cache.get_many([version_key(version), key])
            except RedisError:
                return view(request, *args, **kwargs)
            current = found.get(version_key(version))
            entry = found.get(key)
            if current is not None and entry is not None and entry[0] == current:
                return _serve(request, content=entry[1], content_type=entry[2])
            response = view(request, *args, **kwargs)
            if current is None:
                current = uuid.uuid4().hex
                if not _add_quietly(cache, version_key(version), current):
                    return response  # another process started the version: next time
            if _storable(request, response) and _room_for_one_more(cache, version, current, most):
                entry = (current, _without_csrf_token(response), response["Content-Type"])
                _store_quietly(cache, key, entry)
            return response

        return wrapper

    return decorator


def _serve(request: HttpRequest, *, content: bytes, content_type: str) -> HttpResponse:
    if CSRF_PLACEHOLDER in content:
        # A fresh masked token of the visitor's own secret; the CSRF middleware sets the cookie.
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    return HttpResponse(content, content_type=content_type)


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not getattr(request, KEEP_OUT, False)
        # The render used the CSP nonce, which is this response's alone.
        and getattr(request, "_csp_nonce", None) is None
        # A message added by the view itself (len: queued and loaded ones).
        and len(get_messages(request)) == 0
        and not response.cookies
    )


def _room_for_one_more(cache, version: str, current: str, most: Callable[[], int] | None) -> bool:
    """Counts the pages kept under this token; a new token starts from nothing."""
    if most is None:
        return True
    counter = f"kept:{version}:{current}"
    try:
        cache.add(counter, 0, settings.PAGE_CACHE_SECONDS)
        return cache.incr(counter) <= most()
    except (RedisError, ValueError):  # ValueError: the counter expired between the two calls
        return False


def _without_csrf_token(response: HttpResponse) -> bytes:
    return CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)


def _store_quietly(cache, key: str, entry: tuple) -> None:
    try:
        cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
    except RedisError:
        logger.warning("Page cache: could not store a page (Redis unreachable)")


def _add_quietly(cache, key: str, value: str) -> bool:
    try:
        return cache.add(key, value, timeout=None)
    except RedisError:
        return False


# --- pages made for one person -------------------------------------------------------------------

CHANGES_AT = "_page_cache_changes_at"


def page_changes_at(request: HttpRequest | None, moment) -> None:
    """The page being rendered reads differently from `moment` (an aware datetime) on, with
    nothing written: a part of a page another app draws (a template tag) says so here, and a
    cached copy is not served after it."""
    if request is None or moment is None:
        return
    stamp = moment.timestamp()
    if stamp > time.time() and stamp < getattr(request, CHANGES_AT, float("inf")):
        setattr(request, CHANGES_AT, stamp)


def cached_for_one_person(
    request: HttpRequest,
    *,
    key: str,
    render: Callable[[], tuple[HttpResponse, float]],
    version: str | None = None,
) -> HttpResponse:
    """Serve a page made for the person asking from the `pages` cache, or render and keep it.

    `key` names everything the page shows that can change: the caller builds it from versions
    PostgreSQL keeps (approvals/status_page.py), the viewer and the date; the path, language,
    display mode and release are added here. `render()` returns the response and the moment
    (a POSIX timestamp) until which its words stay true whatever is written (a deadline
    passing turns "due today" into "overdue"): the entry is not served after it. `version`:
    a token of the anonymous pages (page_changed) the page also shows, kept in the entry and
    compared when served, as the anonymous cache does.

    Only GETs without a message waiting; never the CSP nonce, never a cookie; the CSRF token
    is the viewer's own, put in when served. Redis down: rendered, not stored.
    """
    if not _may_be_served_to_one_person(request):
        return render()[0]
    cache = caches[CACHE_ALIAS]
    full_key = _personal_key(request, key)
    wanted = [full_key] + ([version_key(version)] if version else [])
    try:
        found = cache.get_many(wanted)
    except RedisError:
        return render()[0]
    current = found.get(version_key(version)) if version else ""
    entry = found.get(full_key)
    now = time.time()
    if entry is not None and entry[0] > now and current is not None and entry[1] == current:
        return _serve(request, content=entry[2], content_type=entry[3])
    response, valid_until = render()
    valid_until = min(valid_until, getattr(request, CHANGES_AT, valid_until))
    if current is None:
        current = uuid.uuid4().hex
        if not _add_quietly(cache, version_key(version), current):
            return response
    lifetime = min(valid_until - now, settings.PAGE_CACHE_SECONDS)
    if lifetime >= 1 and _storable(request, response):
        entry = (valid_until, current, _without_csrf_token(response), response["Content-Type"])
        try:
            cache.set(full_key, entry, int(lifetime))
        except RedisError:
            logger.warning("Page cache: could not store a page (Redis unreachable)")
    return response


def _may_be_served_to_one_person(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or not request.user.is_authenticated:
        return False
    return len(get_messages(request)) == 0


def _personal_key(request: HttpRequest, key: str) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    # The elderly-friendly mode: the cookie, or the account's choice (accounts/elderly_mode.py).
    elderly = request.COOKIES.get(settings.ELDERLY_MODE_COOKIE) == "on" or bool(
        getattr(request.user, "elderly_mode", False)
    )
    mode = "elderly" if elderly else "standard"
    return f"person:{release_fingerprint()}:{key}:{get_language()}:{mode}:{path}"


# --- fragments of a page -------------------------------------------------------------------------


def cached_fragments(
    items: list,
    *,
    key_of: Callable[[object], str],
    render_one: Callable[[object], tuple[str, float]],
    version: str | None = None,
) -> list[SafeString]:
    """The HTML of each item (a queue's row), from the `pages` cache where it was kept.

    `key_of(item)` names everything the fragment shows that can change (the row's versions,
    the viewer, the date); the release and language are added here. `render_one(item)` returns
    the HTML and the moment (POSIX timestamp) until which it holds with nothing written; a
    fragment is not served after it. `version`: a token of the anonymous pages the fragments
    also show (page_changed), kept in each entry and compared when served. A fragment holding
    a CSRF token is never kept (it belongs to one response). Redis down: all rendered.
    """
    cache = caches[CACHE_ALIAS]
    prefix = f"fragment:{release_fingerprint()}:{get_language()}"
    keys = [f"{prefix}:{key_of(item)}" for item in items]
    wanted = keys + ([version_key(version)] if version else [])
    try:
        found = cache.get_many(wanted)
    except RedisError:
        return [render_one(item)[0] for item in items]
    current = found.get(version_key(version)) if version else ""
    if current is None:
        current = uuid.uuid4().hex
        if not _add_quietly(cache, version_key(version), current):
            current = None  # another process started the version: nothing kept this time
    now = time.time()
    fragments, fresh = [], {}
    for item, key in zip(items, keys, strict=True):
        entry = found.get(key)
        if entry is not None and entry[0] > now and current is not None and entry[1] == current:
            fragments.append(mark_safe(entry[2]))  # noqa: S308 - our own render, stored as is
            continue
        html, valid_until = render_one(item)
        fragments.append(html)
        if current is not None and valid_until - now >= 1 and not CSRF_INPUT.search(html.encode()):
            fresh[key] = (valid_until, current, str(html))
    if fresh:
        try:
            cache.set_many(fresh, settings.PAGE_CACHE_SECONDS)
        except RedisError:
            logger.warning("Page cache: could not store fragments (Redis unreachable)")
    return fragments
