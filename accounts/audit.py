"""The tamper-evident audit log: recording, verifying the hash chain, and the retention purge.

Every entry says who (actor id and name as they were), what (an action code), to which object,
when and from which address, and carries `hash = SHA-256(previous entry's hash + canonical JSON
of its own content)` (`AuditEntry.compute_hash`). Editing an entry breaks its own hash; deleting
or inserting one breaks its successor's link. `verify_chain()` walks the chain and names the
first broken entry; `manage.py verify_audit` runs it.

Domain code calls `record(action, obj=..., detail=...)` at the single place where a thing
happens; who is asking and from where comes from the request `AuditContextMiddleware` keeps in
a context variable, so requests need not be passed around. Outside a request (Celery, beat,
management commands) the actor is "system". ACTIONS lists the action codes in use;
docs/security.md says what each records.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import GENESIS_HASH, AuditEntry

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock that serialises appends to the chain (any constant that
# no other part of the portal uses; this one spells "auditlog" in ASCII).
CHAIN_LOCK = 0x61756469746C6F67
# Set (transaction-local) by the purge only; the trigger of migration 0006 lets DELETE through
# only while it is on, and only for entries older than MINIMUM_RETENTION_DAYS.
PURGE_SETTING = "portal.audit_purge"
# Network logs are kept at least six months (Cybersecurity Law Art. 21).
MINIMUM_RETENTION_DAYS = 180
PURGE_ACTION = "audit.purge"

ACTIONS = (
    "application.status",  # a state change of an application, with its timeline event
    "application.event",  # any other line of an application's timeline
    "task.decision",  # a department's decision on a review task, deemed approvals included
    "task.claim",  # a reviewer took a task from the queue, or gave it back ("released")
    "task.reassign",  # a head moved a task's claim to another reviewer of the department
    "task.claim_lapsed",  # an idle claim went back to the queue (the sweeper)
    "substitution.named",  # a head named a substitute for an absent reviewer (代理审批)
    "substitution.ended",  # a head ended a substitution early
    "staff.refused",  # a substitution, reassignment or substitute's decision refused as invalid
    "extension.request",
    "extension.decision",
    "auth.login",  # the pages' login, or an API token issued (detail "via": "api_token")
    "auth.token_revoked",  # an API token revoked by its holder
    "auth.login_failed",
    "auth.logout",
    "auth.locked_out",
    "auth.password_reset",  # a forgotten password replaced with a code sent to the verified e-mail
    "account.created",
    "permission.flags",  # is_active, is_staff, is_superuser
    "permission.membership",  # department membership and role
    "permission.group",  # a person's groups
    "permission.user",  # a person's model permissions
    "permission.group_permissions",  # a group's model permissions
    "permission.object",  # django-guardian object permissions, to a person or a group
    "admin.change",  # anything added, changed or deleted in the Django admin
    "application.attachment_removed",  # a file taken off a draft (kept, no longer current)
    "download.attachment",  # an applicant's material, by the applicant or a reviewer
    "access.denied",  # a request refused by a permission check (403)
    "personal_data.revealed",  # an administrator showed a person's ID number and mobile in clear
    PURGE_ACTION,
)

SYSTEM = "system"
ANONYMOUS = "anonymous"
MAX_TEXT = 500  # the detail is a summary; the record itself lives in its own table

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    """Makes the current request (its user and address) known to `record()` during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    def process_exception(self, request, exception):
        # Refusals by a permission check (ASVS V7.2.2); an object hidden with a 404 looks like
        # a mistyped address and is not logged.
        if isinstance(exception, PermissionDenied):
            record(
                "access.denied",
                detail={"method": request.method, "path": request.path},
                request=request,
            )
        return None


def current_request() -> HttpRequest | None:
    return _current_request.get()


# --- recording -----------------------------------------------------------------------------------


def record(
    action: str,
    *,
    obj=None,
    actor=None,
    detail: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, inside the caller's transaction.

    `obj` is a model instance or an ("app_label.model", pk) pair. `actor` defaults to the
    user of the current request; `detail` is a small dict of strings, numbers and booleans
    (anything else is stored as text) and must never hold a password, key or full identifier.
    The entry commits or rolls back with what it records.
    """
    return record_all([action], obj=obj, actor=actor, details=[detail], request=request)[0]


def record_all(
    actions: list[str],
    *,
    obj=None,
    actor=None,
    details: list[dict | None],
    request: HttpRequest | None = None,
) -> list[AuditEntry]:
    """Append several entries about one object in one go, chained in the order given.

    The same entries as that many `record()` calls, each with its own hash and link, but the
    chain is locked and its head read once, and they are inserted in one statement, so the
    lock is held for less time (guardian grants of one object, say).
    """
    request = request if request is not None else current_request()
    actor_id, actor_label = _who(actor, request)
    object_type, object_id = _object_reference(obj)
    ip = _client_address(request)
    entries = [
        AuditEntry(
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=_plain(detail or {}),
            ip=ip,
        )
        for action, detail in zip(actions, details, strict=True)
    ]
    pending = _pending.get()
    if pending is None:
        _append(entries)
    else:
        # Written when the appended_together() block ends, unless the savepoint it was
        # recorded in is rolled back first: the marker tells (Django drops a rolled-back
        # savepoint's on_commit callbacks).
        marker = _RecordedMarker()
        transaction.on_commit(marker)
        pending.extend((entry, marker) for entry in entries)
    return entries


class _RecordedMarker:
    def __call__(self) -> None:
        pass


_pending: ContextVar[list[tuple[AuditEntry, _RecordedMarker]] | None] = ContextVar(
    "audit_pending", default=None
)


@contextmanager
def appended_together() -> Iterator[None]:
    """Record the block's entries as usual, but append them to the chain together at its end.

    The chain's lock is held from a transaction's first append until it commits, so every
    other writer of the log waits for whatever the transaction does after that append. Inside
    this block the entries wait instead, and are appended (one lock, one head read, one
    INSERT) as it ends, just before the transaction commits: the lock is then held for that
    INSERT and the commit alone. Entries are chained in the order they were recorded; those
    recorded inside a savepoint that was rolled back are dropped with what they recorded; if
    the block fails, nothing is written. Use it around a whole domain operation (a filing, a
    routing) whose transaction ends with the block. Nested blocks append with the outermost.
    """
    if _pending.get() is not None:
        yield
        return
    pending: list[tuple[AuditEntry, _RecordedMarker]] = []
    token = _pending.set(pending)
    try:
        with transaction.atomic(savepoint=False):
            yield
            _pending.reset(token)
            token = None
            if pending:
                alive = {id(callback) for _sids, callback, *_rest in connection.run_on_commit}
                _append([entry for entry, marker in pending if id(marker) in alive])
    finally:
        if token is not None:
            _pending.reset(token)


def _append(entries: list[AuditEntry]) -> None:
    if not entries:
        return
    # No savepoint: if the insert fails, so does the caller's transaction, as it should.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        previous_hash = (
            AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
            or GENESIS_HASH
        )
        for entry in entries:
            entry.previous_hash = previous_hash
            entry.at = timezone.now()
            entry.hash = previous_hash = entry.compute_hash()
        # One INSERT, whose rows draw their ids in order; verify_chain walks the chain by id, so
        # an entry out of order would read as a break: refuse it rather than write it.
        AuditEntry.objects.bulk_create(entries)
        ids = [entry.pk for entry in entries]
        if ids != sorted(ids):
            raise RuntimeError(f"Audit entries were given ids out of order: {ids}")


def _lock_chain() -> None:
    """Wait for the chain's append lock.

    A transaction-level advisory lock: it is held until the *outermost* transaction commits or
    rolls back, not just this block, so the next writer reads the head only once this entry is
    committed (READ COMMITTED takes a fresh snapshot per statement) and the chain never forks.
    The unique previous_hash is the last guard, should a writer run at a stricter isolation.
    Keep the work after the first `record()` of a transaction short, since other writers wait
    for it, and take row locks (the application's, then its tasks') before it, as every writer
    already does, so that no transaction holding this lock waits for a row held by one that is
    waiting for this lock.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def _who(actor, request: HttpRequest | None) -> tuple[int | None, str]:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and actor.is_authenticated:
        return actor.pk, actor.get_username()
    return None, ANONYMOUS if request is not None else SYSTEM


def _object_reference(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        object_type, object_id = obj
        return object_type, "" if object_id is None else str(object_id)
    return obj._meta.label_lower, str(obj.pk)


def _client_address(request: HttpRequest | None) -> str | None:
    """The client's address as the rate limits and lock-outs see it (X-Forwarded-For only from
    the trusted proxies of settings.TRUSTED_PROXY_COUNT); None if there is no valid one."""
    if request is None:
        return None
    from common.ratelimits import client_ip

    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def _plain(value):
    """The detail as JSON that survives PostgreSQL's jsonb unchanged, so its hash verifies later.

    jsonb refuses NUL characters and rewrites the spelling of numbers, so text is cleaned and
    anything but integers, booleans and null is stored as text.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "")[:MAX_TEXT]
    if isinstance(value, dict):
        return {str(key)[:MAX_TEXT]: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=str)
    return _plain(str(value))


def text_digest(text: str) -> str | None:
    """SHA-256 of a text (an opinion, a note): the log proves what was written without
    holding it, so an opinion edited later in its own table no longer matches."""
    return hashlib.sha256(text.encode()).hexdigest() if text else None


# --- verification --------------------------------------------------------------------------------


class Problem:
    EDITED = "edited"
    LINK = "link"
    START = "start"


PROBLEM_DESCRIPTIONS = {
    Problem.EDITED: "edited: its content no longer matches its hash",
    Problem.LINK: (
        "link to the previous entry broken: an entry before it was deleted, inserted or rewritten"
    ),
    Problem.START: (
        "the log does not start at the beginning of the chain nor at a recorded retention "
        "purge: entries before it were deleted"
    ),
}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_hash: str
    first_id: int | None = None
    broken_at: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_at is None

    def __str__(self) -> str:
        if self.is_intact:
            return f"OK: {self.checked} entries, last hash {self.last_hash or '-'}"
        return f"BROKEN at entry #{self.broken_at}: {PROBLEM_DESCRIPTIONS[self.problem]}"


def purge_anchors() -> set[str]:
    """Hashes of the last entries deleted by retention purges: where the chain may now begin.

    The purge entries hold them inside the chain, so an anchor cannot be forged without
    breaking the chain at the purge entry itself.
    """
    return set(
        AuditEntry.objects.filter(action=PURGE_ACTION).values_list(
            "detail__last_deleted_hash", flat=True
        )
    )


def verify_chain(*, through_id: int | None = None, batch_size: int = 2000) -> ChainReport:
    """Recompute every hash and link in id order, a batch at a time; report the first break.

    Ids are not contiguous in PostgreSQL (a rolled-back insert still uses up its id), so
    deletions are found by the previous_hash links, never by gaps in the ids.
    """
    with _consistent_snapshot():
        anchors = purge_anchors()
        entries = AuditEntry.objects.order_by("id")
        if through_id is not None:
            entries = entries.filter(id__lte=through_id)
        checked, first_id, expected_previous, after = 0, None, None, 0
        while batch := list(entries.filter(id__gt=after)[:batch_size]):
            for entry in batch:
                if expected_previous is None:
                    first_id = entry.pk
                    if entry.previous_hash != GENESIS_HASH and entry.previous_hash not in anchors:
                        return ChainReport(checked, "", first_id, entry.pk, Problem.START)
                elif entry.previous_hash != expected_previous:
                    return ChainReport(checked, expected_previous, first_id, entry.pk, Problem.LINK)
                if entry.compute_hash() != entry.hash:
                    problem = Problem.EDITED
                    return ChainReport(
                        checked, expected_previous or "", first_id, entry.pk, problem
                    )
                expected_previous = entry.hash
                checked += 1
            after = batch[-1].pk
        return ChainReport(checked, expected_previous or "", first_id)


@contextmanager
def _consistent_snapshot() -> Iterator[None]:
    """One snapshot for the whole walk, so a purge or append meanwhile cannot look like a break."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


# --- retention -----------------------------------------------------------------------------------


def retention_days() -> int:
    days = settings.AUDIT_RETENTION_DAYS
    if days < MINIMUM_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS is {days}; audit records are kept at least "
            f"{MINIMUM_RETENTION_DAYS} days (Cybersecurity Law Art. 21)."
        )
    return days


class AuditChainBroken(Exception):
    def __init__(self, report: ChainReport):
        self.report = report
        super().__init__(str(report))


def purge_expired_entries(batch_size: int = 50_000) -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS, oldest first; returns how many.

    Each batch is one transaction that first verifies the entries it is about to delete (a
    broken chain is evidence: it is kept, and AuditChainBroken raised), then appends an
    "audit.purge" entry holding the hash of the last entry deleted. That entry is the anchor
    `verify_chain()` accepts as the new beginning of the log; any other beginning is a break.
    """
    days = retention_days()
    total = 0
    while deleted := _purge_batch(days, batch_size):
        total += deleted
    return total


@transaction.atomic
def _purge_batch(days: int, batch_size: int) -> int:
    _lock_chain()
    with connection.cursor() as cursor:
        # The database's clock, the one the trigger checks the 180 days against.
        cursor.execute("SELECT now()")
        cutoff = cursor.fetchone()[0] - timedelta(days=days)
    first_kept = (
        AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True)
    ).first()
    expired = AuditEntry.objects.order_by("id")
    if first_kept is not None:
        expired = expired.filter(id__lt=first_kept)
    boundary = expired.values_list("id", "hash")[batch_size - 1 : batch_size].first()
    boundary = boundary or expired.order_by("-id").values_list("id", "hash").first()
    if boundary is None:
        return 0
    through_id, last_deleted_hash = boundary
    report = verify_chain(through_id=through_id)
    if not report.is_intact:
        logger.error("Audit log not purged, the chain is broken: %s", report)
        raise AuditChainBroken(report)
    record(
        PURGE_ACTION,
        detail={
            "first_deleted_id": report.first_id,
            "last_deleted_id": through_id,
            "deleted_count": report.checked,
            "last_deleted_hash": last_deleted_hash,
            "older_than": cutoff.isoformat(),
            "retention_days": days,
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'on'")
        cursor.execute("DELETE FROM accounts_auditentry WHERE id <= %s", [through_id])
        deleted = cursor.rowcount
        cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'off'")
    return deleted
