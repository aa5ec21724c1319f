"""The audit log as one chain per department plus the system's: where entries go, that
departments never wait for each other's lock, and the migration from the single chain."""

import hashlib
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts import audit
from accounts.models import AuditChain, AuditEntry, chain_genesis
from approvals.decisions import Outcome, decide
from services.filing import submit
from services.models import Application, StageDepartment
from tests.factories import (
    DepartmentFactory,
    complete_draft,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

BEFORE_CHAINS = ("accounts", "0009_user_elderly_mode")


def entries_of(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def test_a_cases_entries_go_to_the_chain_of_the_department_leading_its_review():
    market, health = DepartmentFactory(code="market"), DepartmentFactory(code="health")
    application = routed_application(item_with_stages([[market], [health]]))

    chains = set(entries_of(application).values_list("chain__key", flat=True))
    tasks = list(application.review_tasks.all())  # the service centre's acceptance included

    assert chains == {"department:market"}
    # An open review task has no entry yet (no grant rows are written for tasks: their access
    # is derived); the acceptance task's decision has one, in the same chain.
    task_chains = {
        key for task in tasks for key in entries_of(task).values_list("chain__key", flat=True)
    }
    assert task_chains == {"department:market"}
    assert AuditChain.objects.get(key="department:market").department == market


def test_a_catalogue_draft_that_changes_the_lead_department_moves_no_case_entry():
    """A case's chain is read from the definition it was filed under, not the live catalogue,
    whose rows are the next draft's (catalogue_publishing)."""
    market, health = DepartmentFactory(code="market"), DepartmentFactory(code="health")
    application = routed_application(item_with_stages([[market], [health]]))
    StageDepartment.objects.filter(department=market).update(
        department=DepartmentFactory(code="aaa-first")
    )

    task = application.review_tasks.get(department=market)
    decide(task.pk, reviewer_of(market), Outcome.APPROVE, "同意")

    case = Application.objects.get(pk=application.pk)
    assert case.audit_department_id == market.pk
    assert set(entries_of(case).values_list("chain__key", flat=True)) == {"department:market"}


def test_entries_about_no_department_go_to_the_system_chain():
    entry = audit.record("test.entry")

    assert entry.chain.key == "system"
    assert entry.chain.department is None


def test_each_chain_starts_from_its_own_genesis():
    first_market = audit.record("test.entry", department=DepartmentFactory(code="market"))
    first_health = audit.record("test.entry", department=DepartmentFactory(code="health"))

    assert first_market.previous_hash == chain_genesis("department:market", "sha256")
    assert first_health.previous_hash == chain_genesis("department:health", "sha256")
    assert first_market.previous_hash != first_health.previous_hash


def test_each_chain_links_only_its_own_entries_and_its_head_follows_the_last():
    market, health = DepartmentFactory(), DepartmentFactory()
    a1 = audit.record("test.entry", department=market)
    audit.record("test.entry", department=health)
    a2 = audit.record("test.entry", department=market)

    chain = AuditChain.objects.get(department=market)
    assert a2.previous_hash == a1.hash
    assert (chain.head_hash, chain.head_entry_id) == (a2.hash, a2.pk)
    assert audit.verify_chain().is_intact


def test_entries_recorded_together_for_two_departments_are_appended_to_each_chain():
    market, health = DepartmentFactory(), DepartmentFactory()
    with transaction.atomic(), audit.appended_together():
        audit.record("test.market", department=market)
        audit.record("test.health", department=health)
        audit.record("test.market", department=market)

    market_entries = AuditEntry.objects.filter(chain__department=market).order_by("id")
    assert [e.action for e in market_entries] == ["test.market", "test.market"]
    assert market_entries[1].previous_hash == market_entries[0].hash
    assert audit.verify_chain().is_intact


def test_verify_audit_names_the_chain_of_an_edited_entry():
    market = DepartmentFactory(code="market")
    entry = audit.record("test.entry", department=market)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE accounts_auditentry SET action = 'forged' WHERE id = %s", [entry.pk])
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")

    report = audit.verify_chain()

    assert not report.is_intact
    assert report.broken.chain == "department:market"
    assert report.broken.broken_at == entry.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_in_two_departments_do_not_wait_for_each_other():
    market, health = DepartmentFactory(code="market"), DepartmentFactory(code="health")
    market_draft = complete_draft(item_with_stages([[market]]))
    health_draft = complete_draft(item_with_stages([[health]]))
    market_chain = AuditChain.objects.get(department=market)
    lock_held, release = threading.Event(), threading.Event()
    market_done = threading.Event()
    errors = []

    def hold_the_market_chain():
        # Another filing in the market department, in the middle of its transaction.
        try:
            with transaction.atomic():
                audit.lock_chain(market_chain.pk)
                lock_held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def file_in_market():
        try:
            submit(market_draft, market_draft.applicant)
            market_done.set()
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_market_chain)
    holder.start()
    assert lock_held.wait(timeout=10)
    waiting = threading.Thread(target=file_in_market)
    waiting.start()
    try:
        started = time.monotonic()
        submit(health_draft, health_draft.applicant)  # while the market chain is locked
        health_seconds = time.monotonic() - started
        # The market filing, on the other hand, waits for the market chain's lock.
        assert not market_done.wait(timeout=1)
    finally:
        release.set()
        holder.join(timeout=30)
        waiting.join(timeout=30)

    assert errors == []
    assert market_done.is_set()
    assert health_seconds < 5
    health_draft.refresh_from_db()
    market_draft.refresh_from_db()
    assert health_draft.status == market_draft.status == "submitted"
    assert audit.verify_chain().is_intact


# --- the migration from the single chain ---------------------------------------------------------


def old_formula_verifies() -> tuple[bool, str]:
    """The single chain as it was before migration 0040: SHA-256(previous hash + content)."""
    import json
    from datetime import UTC

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT previous_hash, hash, at, actor_id, actor_label, action, object_type, "
            "object_id, detail, ip FROM accounts_auditentry ORDER BY id"
        )
        rows = cursor.fetchall()
    expected = "0" * 64
    for previous, stored, at, actor_id, label, action, otype, oid, detail, ip in rows:
        content = {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": label,
            "action": action,
            "object_type": otype,
            "object_id": oid,
            # Django's cursor hands jsonb over as text.
            "detail": json.loads(detail) if isinstance(detail, str) else detail,
            "ip": None if ip is None else str(ip),
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if previous != expected:
            return False, f"link broken before {action}"
        if hashlib.sha256((previous + canonical).encode()).hexdigest() != stored:
            return False, f"hash of {content}"
        expected = stored
    return True, expected


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_single_chain_into_chains_that_still_verify(settle_worker):
    market = DepartmentFactory(code="market")
    application = routed_application(item_with_stages([[market]]))
    audit.record("test.system_entry")
    settle_worker()  # the case's instruments, if a worker runs: sealed before counting
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    count_before = AuditEntry.objects.count()

    migrate([BEFORE_CHAINS])  # back to the single chain, as it was
    single_is_intact, old_head = old_formula_verifies()
    migrate(leaves)
    first_hashes = dict(
        AuditEntry.objects.exclude(action="audit.rechained").values_list("id", "hash")
    )
    migrate([BEFORE_CHAINS])
    migrate(leaves)  # again: the same log gives the same chains

    assert single_is_intact, old_head
    report = audit.verify_chain()
    assert report.is_intact, str(report)
    assert AuditEntry.objects.exclude(action="audit.rechained").count() == count_before
    assert set(entries_of(application).values_list("chain__key", flat=True)) == {
        "department:market"
    }
    assert AuditEntry.objects.get(action="test.system_entry").chain.key == "system"
    marker = AuditEntry.objects.get(action="audit.rechained")
    assert marker.chain.key == "system"
    assert marker.detail["old_last_hash"] == old_head
    assert marker.detail["entries"] == count_before
    assert (
        dict(AuditEntry.objects.exclude(action="audit.rechained").values_list("id", "hash"))
        == first_hashes
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_to_rechain_a_broken_log():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    first, second = audit.record("test.a"), audit.record("test.b")
    migrate([BEFORE_CHAINS])
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE accounts_auditentry SET action = 'forged' WHERE id = %s", [first.pk])
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")

    with pytest.raises(RuntimeError, match=rf"broken at entry #{first.pk}"):
        migrate(leaves)

    # Left as evidence, at the single chain; the portal is migrated once it has been looked at.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE accounts_auditentry SET action = 'test.a' WHERE id = %s", [first.pk])
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")
    migrate(leaves)
    assert audit.verify_chain().is_intact
    assert AuditEntry.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
