"""Public reads from a PostgreSQL streaming replica, when REPLICA_DATABASE_URL names one.

Which reads, and when (docs/operations.md, "A read replica"):

- **Only public reads.** A GET or HEAD of a page or API endpoint named in
  REPLICA_READ_VIEWS (the catalogue, the disclosure section, the public API...) reads from
  the replica; everything else, Celery tasks and commands included, reads from the primary.
  Who is asking (sessions, users, tokens, lock-outs, second factors, object permissions) is
  always read from the primary: a person who has just registered or logged in is known at once;
  so is whatever is read inside a transaction (the audit chain's head, under its lock).
- **Read your own writes.** A request that writes (any POST, PUT, PATCH or DELETE, or any
  save in the request) pins its client to the primary for REPLICA_PIN_SECONDS: browsers by a
  signed cookie, API clients by their Authorization header in the cache. Within the request
  itself, every read after its first write goes to the primary.
- **Lag and outages.** The replica is used only while its replay lag is at most
  REPLICA_MAX_LAG_SECONDS, measured with pg_last_xact_replay_timestamp() and remembered for
  REPLICA_CHECK_SECONDS in each process. A replica that cannot be reached counts as lagging;
  a public read that failed on it is answered again from the primary (GET and HEAD change
  nothing, so answering twice is safe).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
PIN_COOKIE = "primary_pin"
PIN_SALT = "common.replica.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Who is asking, and whether they may: never read from a copy that may be seconds behind.
IDENTITY_APPS = frozenset(
    {"sessions", "auth", "knox", "axes", "otp_totp", "otp_static", "guardian"}
)

# Zero while the replica has replayed everything it received (an idle primary sends nothing, so
# the last replayed transaction may be old without any lag); otherwise the age of the last one.
# NULL on a replica that has replayed nothing yet; 0 on a server that is not a replica at all.
LAG_QUERY = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
    END
"""


@dataclass
class RequestReads:
    """Where the current request reads from; the router consults it for every query."""

    from_replica: bool
    used_replica: bool = False
    wrote: bool = False


_request_reads: ContextVar[RequestReads | None] = ContextVar("replica_request_reads", default=None)


@contextlib.contextmanager
def request_reads(*, from_replica: bool) -> Iterator[RequestReads]:
    """Route the reads of the code inside (one request's) to the replica, or not."""
    reads = RequestReads(from_replica=from_replica)
    token = _request_reads.set(reads)
    try:
        yield reads
    finally:
        _request_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def is_identity_model(model) -> bool:
    return model._meta.app_label in IDENTITY_APPS or model._meta.label == settings.AUTH_USER_MODEL


class ReplicaRouter:
    """Sends a public request's reads to the replica; every write, and every other read, to the primary."""

    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        reads = _request_reads.get()
        if (
            reads is None
            or not reads.from_replica
            or is_identity_model(model)
            # A read inside a transaction on the primary belongs to its writes: the audit
            # chain's head, read under the chain's lock, must be the primary's.
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            # Named, not None: otherwise Django reads an object's relations where it came from.
            return DEFAULT_DB_ALIAS
        reads.used_replica = True
        return REPLICA_ALIAS

    def db_for_write(self, model, **hints):
        reads = _request_reads.get()
        if reads is not None and not is_identity_model(model):
            reads.wrote = True
            reads.from_replica = False  # what this request wrote, it reads back from the primary
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both servers

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA_ALIAS  # a replica is read-only: the primary's migrations reach it


# --- the replica's health ----------------------------------------------------------------------


@dataclass
class ReplicaHealth:
    usable: bool = False
    lag_seconds: float | None = None
    checked_at: float = float("-inf")


# Per process, as each web node's connections are: a check costs a round trip to the replica.
_health = ReplicaHealth()


def measure_replica_lag() -> float | None:
    """The replica's replay lag in seconds; None when it cannot be reached or has replayed nothing."""
    connection = connections[REPLICA_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_QUERY)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Read replica unavailable: %s", error)
        with contextlib.suppress(DatabaseError):
            connection.close()
        return None
    return None if lag is None else max(0.0, float(lag))


def _checked_health(*, fresh: bool) -> ReplicaHealth:
    now = time.monotonic()
    if fresh or now - _health.checked_at >= settings.REPLICA_CHECK_SECONDS:
        lag = measure_replica_lag()
        _health.lag_seconds = lag
        _health.usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
        _health.checked_at = now
    return _health


def replica_usable(*, fresh: bool = False) -> bool:
    """Whether the replica is up and at most REPLICA_MAX_LAG_SECONDS behind (briefly remembered)."""
    return _checked_health(fresh=fresh).usable


def replica_lag_seconds(*, fresh: bool = False) -> float | None:
    """The replica's replay lag, rounded to the millisecond; None when it is down."""
    lag = _checked_health(fresh=fresh).lag_seconds
    return None if lag is None else round(lag, 3)


# --- read your own writes ----------------------------------------------------------------------


def _token_pin_key(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    return "replica-pin:" + hashlib.sha256(authorization.encode()).hexdigest()


def pinned_to_primary(request: HttpRequest) -> bool:
    if request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=PIN_SALT, max_age=settings.REPLICA_PIN_SECONDS
    ):
        return True
    key = _token_pin_key(request)
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except RedisError:
        return True  # not knowing whether they just wrote, read what they wrote


def pin_to_primary(request: HttpRequest, response: HttpResponse) -> None:
    seconds = settings.REPLICA_PIN_SECONDS
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_SALT,
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    key = _token_pin_key(request)
    if key is not None:
        with contextlib.suppress(RedisError):
            cache.set(key, 1, timeout=seconds)


# --- the middleware ----------------------------------------------------------------------------


def is_public_read(request: HttpRequest) -> bool:
    if request.method not in SAFE_METHODS:
        return False
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        return False
    return view_name in settings.REPLICA_READ_VIEWS


class ReplicaReadsMiddleware:
    """Decides, per request, whether its reads may come from the replica (see the module's doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        from_replica = (
            is_public_read(request) and not pinned_to_primary(request) and replica_usable()
        )
        response, reads = self._respond(request, from_replica)
        if reads.used_replica and response.status_code >= 500 and not replica_usable(fresh=True):
            # The replica went away during the request: answer again from the primary.
            logger.warning("%s %s failed on the read replica; answering from the primary",
                           request.method, request.path)  # fmt: skip
            response, reads = self._respond(request, from_replica=False)
        if reads.wrote or request.method not in SAFE_METHODS:
            pin_to_primary(request, response)
        return response

    def _respond(self, request: HttpRequest, from_replica: bool):
        with request_reads(from_replica=from_replica) as reads:
            return self.get_response(request), reads
