"""The tamper-evident audit log: recording, verifying the hash chain, and the retention purge.

Every entry says who (actor id and name as they were), what (an action code), to which object,
when and from which address, and carries `hash = H(previous entry's hash + H(canonical JSON of
its own content))` (`AuditEntry.compute_hash`; H is SHA-256 or SM3, the entry's `algorithm`).
Editing an entry breaks its own hash; deleting or inserting one breaks its successor's link.

The log is one chain per department plus one for the system (`AuditChain`): an entry goes to
the chain of the department its object belongs to (the object's `audit_department_id`: a case
belongs to the department responsible for its item), or of the `department` given, else to the
system's. Each chain has its own genesis and its own lock, so filings in two departments never
wait for each other. `verify_chain()` walks every chain and names the first broken entry;
`manage.py verify_audit` runs it, and with --against-anchors also compares the chains with the
signed daily anchors the public holds (accounts/anchors.py).

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

from . import signing
from .models import SYSTEM_CHAIN, AuditChain, AuditEntry, Department, chain_genesis

logger = logging.getLogger(__name__)

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
    # Who files for whom (issue 17, docs/people.md).
    "party.authorised",
    "party.revoked",
    "party.refused",  # someone may not file for another; detail: the reason code
    "party.authorisation_refused",
    "party.credit_code",
    "download.power_of_attorney",
    "enterprise.invited",
    "enterprise.member_added",
    "enterprise.member_removed",
    "enterprise.refused",
    PURGE_ACTION,
    "audit.rechained",  # migration 0040: the single chain split into chains (old last hash kept)
    "audit.anchored",  # a day's anchor signed: its root, in the system chain
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
    department=None,
) -> AuditEntry:
    """Append one entry to the audit log, inside the caller's transaction.

    `obj` is a model instance or an ("app_label.model", pk) pair. The entry goes to the chain
    of `department` (a Department or its id) if given, else of the object's
    `audit_department_id`, else to the system's chain. `actor` defaults to the
    user of the current request; `detail` is a small dict of strings, numbers and booleans
    (anything else is stored as text) and must never hold a password, key or full identifier.
    The entry commits or rolls back with what it records.
    """
    return record_all(
        [action], obj=obj, actor=actor, details=[detail], request=request, department=department
    )[0]


def record_all(
    actions: list[str],
    *,
    obj=None,
    actor=None,
    details: list[dict | None],
    request: HttpRequest | None = None,
    department=None,
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
    department_id = _department_id_of(obj, department)
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
    for entry in entries:
        entry.department_id_for_chain = department_id
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


def _department_id_of(obj, department) -> int | None:
    if department is not None:
        return department.pk if isinstance(department, Department) else int(department)
    if obj is None or isinstance(obj, tuple):
        return None
    return getattr(obj, "audit_department_id", None)


def _append(entries: list[AuditEntry]) -> None:
    if not entries:
        return
    by_department: dict[int | None, list[AuditEntry]] = {}
    for entry in entries:
        by_department.setdefault(entry.department_id_for_chain, []).append(entry)
    # No savepoint: if the insert fails, so does the caller's transaction, as it should.
    with transaction.atomic(savepoint=False):
        if len(by_department) == 1:
            # The usual case (one case's transaction): the chain found and locked in one query.
            [(department, department_entries)] = by_department.items()
            locked = _lock_chain_of(department)
            if locked is not None:
                chain_id, head_hash = locked
                _append_to_chain(chain_id, department_entries, head_hash)
                return
        chain_ids = {department: _chain_id(department) for department in by_department}
        # Chains are locked in id order, so two transactions appending to the same two chains
        # cannot each hold the lock the other waits for.
        for department, chain_id in sorted(chain_ids.items(), key=lambda item: item[1]):
            _append_to_chain(chain_id, by_department[department])


def _append_to_chain(
    chain_id: int, entries: list[AuditEntry], previous_hash: str | None = None
) -> None:
    """`previous_hash`: the head, if the caller has locked the chain already (_lock_chain_of)."""
    if previous_hash is None:
        previous_hash = lock_chain(chain_id)
    algorithm = signing.hash_algorithm()
    for entry in entries:
        entry.chain_id = chain_id
        entry.algorithm = algorithm
        entry.previous_hash = previous_hash
        entry.at = timezone.now()
        entry.hash = previous_hash = entry.compute_hash()
    # One INSERT, whose rows draw their ids in order; verify_chain walks a chain by id, so an
    # entry out of order would read as a break: refuse it rather than write it.
    AuditEntry.objects.bulk_create(entries)
    ids = [entry.pk for entry in entries]
    if ids != sorted(ids):
        raise RuntimeError(f"Audit entries were given ids out of order: {ids}")
    AuditChain.objects.filter(pk=chain_id).update(head_hash=previous_hash, head_entry_id=ids[-1])


def _chain_id(department_id: int | None) -> int:
    """The id of the department's chain (the system's for None), created on its first entry."""
    chains = (
        AuditChain.objects.filter(department_id=department_id)
        if department_id is not None
        else AuditChain.objects.filter(key=SYSTEM_CHAIN)
    )
    chain_id = chains.values_list("pk", flat=True).first()
    if chain_id is not None:
        return chain_id
    if department_id is None:
        key = SYSTEM_CHAIN
    else:
        key = (
            f"department:{Department.objects.values_list('code', flat=True).get(pk=department_id)}"
        )
    genesis = chain_genesis(key, signing.hash_algorithm())
    with connection.cursor() as cursor:
        # Two first entries of a new department at once: one creates the chain, both use it.
        cursor.execute(
            "INSERT INTO accounts_auditchain "
            "(key, department_id, genesis_hash, head_hash, head_entry_id, created_at) "
            "VALUES (%s, %s, %s, %s, NULL, now()) ON CONFLICT DO NOTHING",
            [key, department_id, genesis, genesis],
        )
    return chains.values_list("pk", flat=True).get()


def _lock_chain_of(department_id: int | None) -> tuple[int, str] | None:
    """`lock_chain` for the chain of a department (the system's for None), found by its key
    column in the same query: (chain id, head hash), or None if the chain does not exist yet."""
    with connection.cursor() as cursor:
        if department_id is None:
            cursor.execute(
                "SELECT id, head_hash FROM accounts_auditchain WHERE key = %s FOR UPDATE",
                [SYSTEM_CHAIN],
            )
        else:
            cursor.execute(
                "SELECT id, head_hash FROM accounts_auditchain WHERE department_id = %s FOR UPDATE",
                [department_id],
            )
        return cursor.fetchone()


def lock_chain(chain_id: int) -> str:
    """Wait for the chain's append lock and return its head hash.

    A row lock on the chain's row (SELECT … FOR UPDATE): held until the *outermost*
    transaction commits or rolls back, not just this block, so the next writer reads the head
    only once this entry is committed and the chain never forks; writers of other chains do not
    wait. The unique previous_hash is the last guard. Keep the work after the first `record()`
    of a transaction short, since other writers of the chain wait for it, and take row locks
    (the application's, then its tasks') before it, as every writer already does, so that no
    transaction holding this lock waits for a row held by one that is waiting for this lock.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT head_hash FROM accounts_auditchain WHERE id = %s FOR UPDATE", [chain_id]
        )
        return cursor.fetchone()[0]


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
    HEAD = "head"


PROBLEM_DESCRIPTIONS = {
    Problem.EDITED: "edited: its content no longer matches its hash",
    Problem.LINK: (
        "link to the previous entry broken: an entry before it was deleted, inserted or rewritten"
    ),
    Problem.START: (
        "the chain does not start at its genesis nor at a recorded retention purge: entries "
        "before it were deleted"
    ),
    Problem.HEAD: (
        "the chain's recorded head is not its last entry: entries were removed from its end, "
        "or the head was changed"
    ),
}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_hash: str
    first_id: int | None = None
    broken_at: int | None = None
    problem: str = ""
    chain: str = ""

    @property
    def is_intact(self) -> bool:
        return self.problem == ""

    def __str__(self) -> str:
        if self.is_intact:
            return f"OK: {self.chain} {self.checked} entries, last hash {self.last_hash or '-'}"
        where = f"entry #{self.broken_at}" if self.broken_at is not None else "its head"
        return f"BROKEN in {self.chain} at {where}: {PROBLEM_DESCRIPTIONS[self.problem]}"


@dataclass(frozen=True)
class LogReport:
    """Every chain's report: the log is intact when each of its chains is."""

    chains: tuple[ChainReport, ...]

    @property
    def is_intact(self) -> bool:
        return all(report.is_intact for report in self.chains)

    @property
    def checked(self) -> int:
        return sum(report.checked for report in self.chains)

    @property
    def broken(self) -> ChainReport | None:
        return next((report for report in self.chains if not report.is_intact), None)

    def __str__(self) -> str:
        if not self.is_intact:
            return str(self.broken)
        return f"OK: {self.checked} entries in {len(self.chains)} chains"


def purge_anchors(chain_id: int) -> set[str]:
    """Hashes of the last entries deleted by a chain's retention purges: where it may now begin.

    The purge entries hold them inside the chain, so an anchor cannot be forged without
    breaking the chain at the purge entry itself.
    """
    return set(
        AuditEntry.objects.filter(chain_id=chain_id, action=PURGE_ACTION).values_list(
            "detail__last_deleted_hash", flat=True
        )
    )


def verify_chain(
    chain: AuditChain | None = None, *, through_id: int | None = None, batch_size: int = 2000
) -> ChainReport | LogReport:
    """Recompute every hash and link of a chain (of every chain if none is given) in id order,
    a batch at a time; report the first break.

    Ids are not contiguous in PostgreSQL (a rolled-back insert still uses up its id), so
    deletions are found by the previous_hash links, never by gaps in the ids.
    """
    with _consistent_snapshot():
        if chain is None:
            return LogReport(
                tuple(
                    _verify_one(each, through_id=None, batch_size=batch_size)
                    for each in AuditChain.objects.order_by("key")
                )
            )
        return _verify_one(chain, through_id=through_id, batch_size=batch_size)


def _verify_one(chain: AuditChain, *, through_id: int | None, batch_size: int) -> ChainReport:
    chain.refresh_from_db()  # in the walk's snapshot
    anchors = purge_anchors(chain.pk)
    entries = AuditEntry.objects.filter(chain=chain).order_by("id")
    if through_id is not None:
        entries = entries.filter(id__lte=through_id)
    checked, first_id, expected_previous, after, last_id = 0, None, None, 0, None
    while batch := list(entries.filter(id__gt=after)[:batch_size]):
        for entry in batch:
            if expected_previous is None:
                first_id = entry.pk
                if entry.previous_hash != chain.genesis_hash and entry.previous_hash not in anchors:
                    return ChainReport(checked, "", first_id, entry.pk, Problem.START, chain.key)
            elif entry.previous_hash != expected_previous:
                return ChainReport(
                    checked, expected_previous, first_id, entry.pk, Problem.LINK, chain.key
                )
            if entry.compute_hash() != entry.hash:
                return ChainReport(
                    checked, expected_previous or "", first_id, entry.pk, Problem.EDITED, chain.key
                )
            expected_previous, last_id = entry.hash, entry.pk
            checked += 1
        after = batch[-1].pk
    if through_id is None:
        head_ok = (
            chain.head_hash == expected_previous and chain.head_entry_id == last_id
            if expected_previous is not None
            else chain.head_hash == chain.genesis_hash or chain.head_hash in anchors
        )
        if not head_ok:
            return ChainReport(
                checked, expected_previous or "", first_id, None, Problem.HEAD, chain.key
            )
    return ChainReport(checked, expected_previous or "", first_id, chain=chain.key)


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

    Chain by chain, each batch is one transaction that first verifies the entries it is about
    to delete (a broken chain is evidence: it is kept, and AuditChainBroken raised), then
    appends to that chain an "audit.purge" entry holding the hash of the last entry deleted.
    That entry is the anchor `verify_chain()` accepts as the new beginning of the chain; any
    other beginning is a break.
    """
    days = retention_days()
    total = 0
    for chain in AuditChain.objects.order_by("key"):
        while deleted := _purge_batch(chain, days, batch_size):
            total += deleted
    return total


@transaction.atomic
def _purge_batch(chain: AuditChain, days: int, batch_size: int) -> int:
    lock_chain(chain.pk)
    with connection.cursor() as cursor:
        # The database's clock, the one the trigger checks the 180 days against.
        cursor.execute("SELECT now()")
        cutoff = cursor.fetchone()[0] - timedelta(days=days)
    in_chain = AuditEntry.objects.filter(chain=chain)
    first_kept = (
        in_chain.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True)
    ).first()
    expired = in_chain.order_by("id")
    if first_kept is not None:
        expired = expired.filter(id__lt=first_kept)
    boundary = expired.values_list("id", "hash")[batch_size - 1 : batch_size].first()
    boundary = boundary or expired.order_by("-id").values_list("id", "hash").first()
    if boundary is None:
        return 0
    through_id, last_deleted_hash = boundary
    report = verify_chain(chain, through_id=through_id)
    if not report.is_intact:
        logger.error("Audit log not purged, the chain is broken: %s", report)
        raise AuditChainBroken(report)
    _append_to_chain(
        chain.pk,
        [
            AuditEntry(
                actor_label=SYSTEM,
                action=PURGE_ACTION,
                detail={
                    "first_deleted_id": report.first_id,
                    "last_deleted_id": through_id,
                    "deleted_count": report.checked,
                    "last_deleted_hash": last_deleted_hash,
                    "older_than": cutoff.isoformat(),
                    "retention_days": days,
                },
            )
        ],
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'on'")
        cursor.execute(
            "DELETE FROM accounts_auditentry WHERE chain_id = %s AND id <= %s",
            [chain.pk, through_id],
        )
        deleted = cursor.rowcount
        cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'off'")
    return deleted
