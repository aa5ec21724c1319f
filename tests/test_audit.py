"""The tamper-evident audit log: what is recorded, the hash chain, verification, retention."""

import hashlib
import io
import json
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts import audit
from accounts.checks import check_audit_retention
from accounts.models import AuditChain, AuditEntry, Membership
from accounts.permissions import grant_object_permissions
from approvals.models import ReviewTask
from approvals.timeouts import sweep_overdue_tasks
from services.filing import start_draft
from services.models import Application, ApplicationEvent
from tests.authentication import log_in
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    StaffFactory,
    apply_through_the_portal,
    first_city,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def client_from(address: str = ADDRESS, user=None) -> Client:
    client = Client(headers={"accept-language": "en"}, REMOTE_ADDR=address)
    return log_in(client, user) if user is not None else client


def entries(action: str, obj=None):
    found = AuditEntry.objects.filter(action=action).order_by("id")
    if obj is not None:
        found = found.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return found


def as_request_of(user, address: str = ADDRESS):
    """Run a function as if during a request of `user` from `address`, through the middleware."""
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = user

    def run(function):
        return audit.AuditContextMiddleware(lambda request: function())(request)

    return run


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def item(market):
    return item_with_stages([[market]])


@contextmanager
def trigger_disabled():
    """What an intruder with the table owner's rights can do: switch the trigger off. Inside the
    test's transaction, which is rolled back at its end, trigger included."""
    alter_table("DISABLE")
    yield
    alter_table("ENABLE")


def alter_table(switch: str) -> None:
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run while the rows' deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE accounts_auditentry {switch} TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def without_the_trigger():
    with trigger_disabled():
        yield


@pytest.fixture
def empty_log():
    """No entries yet, not even those the database's creation wrote (they are recent, and the
    purge only ever deletes the oldest entries, in chain order)."""
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry")
        cursor.execute(
            "UPDATE accounts_auditchain SET head_hash = genesis_hash, head_entry_id = NULL"
        )


def some_entries(count: int) -> list[AuditEntry]:
    return [audit.record("test.entry", detail={"n": n}) for n in range(count)]


# --- what is recorded ----------------------------------------------------------------------------


def test_submitting_an_application_logs_the_status_change_with_applicant_and_address(item):
    citizen = CitizenFactory()

    application = apply_through_the_portal(client_from(user=citizen), item)

    entry = entries("application.status", application).get()
    assert entry.actor_id == citizen.pk
    assert entry.actor_label == citizen.username
    assert entry.ip == ADDRESS
    assert entry.detail["status"] == Application.Status.SUBMITTED
    assert entry.detail["event"] == ApplicationEvent.Kind.SUBMITTED
    assert entry.detail["tracking_number"] == application.tracking_number


def test_every_timeline_event_is_also_in_the_audit_log(item):
    application = routed_application(item)

    timeline = list(application.events.order_by("id").values_list("kind", flat=True))
    logged = [
        entry.detail["event"]
        for entry in AuditEntry.objects.filter(
            action__in=["application.status", "application.event"],
            object_type="services.application",
            object_id=str(application.pk),
        ).order_by("id")
    ]
    assert logged == timeline
    assert len(timeline) >= 4  # created, submitted, routed, accepted, stage opened


def test_a_reviewers_decision_is_logged_with_the_task_as_its_object(item, market):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)
    reviewer = reviewer_of(market)
    opinion = "符合条件，同意"

    response = client_from(user=reviewer).post(
        reverse("approvals:task", args=[task.pk]), {"outcome": "approve", "opinion": opinion}
    )

    assert response.status_code == 302
    entry = entries("task.decision", task).get()
    assert (entry.actor_id, entry.ip) == (reviewer.pk, ADDRESS)
    assert entry.detail["outcome"] == "approve"
    assert entry.detail["department"] == market.code
    assert entry.detail["opinion_sha256"] == hashlib.sha256(opinion.encode()).hexdigest()
    final = entries("application.status", application).last()
    assert final.detail["status"] == Application.Status.APPROVED
    assert final.pk > entry.pk


def test_a_deemed_approval_is_logged_as_a_decision_of_the_system(item, market):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)

    sweep_overdue_tasks(now=task.due_at + timedelta(minutes=1))

    entry = entries("task.decision", task).get()
    assert entry.detail["outcome"] == "deemed_approve"
    assert (entry.actor_id, entry.actor_label, entry.ip) == (None, audit.SYSTEM, None)


def test_a_login_and_a_logout_are_logged_with_the_address():
    citizen = CitizenFactory()
    client = client_from()

    client.post(reverse("accounts:login"), {"username": citizen.username, "password": PASSWORD})
    client.post(reverse("accounts:logout"))

    login, logout = entries("auth.login", citizen).get(), entries("auth.logout", citizen).get()
    assert (login.actor_id, login.ip) == (citizen.pk, ADDRESS)
    assert (logout.actor_id, logout.ip) == (citizen.pk, ADDRESS)


def test_a_failed_login_is_logged_with_the_name_tried_and_never_the_password():
    citizen = CitizenFactory()
    wrong_password = "Wrong-but-close-Qz7-lantern"

    response = client_from().post(
        reverse("accounts:login"), {"username": citizen.username, "password": wrong_password}
    )

    assert response.status_code == 200
    entry = entries("auth.login_failed").get()
    assert entry.detail == {"username": citizen.username}
    assert (entry.actor_id, entry.actor_label, entry.ip) == (None, audit.ANONYMOUS, ADDRESS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM accounts_auditentry e")
        everything = " ".join(row[0] for row in cursor.fetchall())
    assert wrong_password not in everything
    assert PASSWORD not in everything


def test_behind_the_proxy_the_clients_address_is_logged_not_the_proxys(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    citizen = CitizenFactory()
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.23")

    client.post(reverse("accounts:login"), {"username": citizen.username, "password": PASSWORD})

    assert entries("auth.login", citizen).get().ip == "198.51.100.23"


def test_without_a_proxy_a_forged_forwarded_for_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    citizen = CitizenFactory()
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="198.51.100.23")

    client.post(reverse("accounts:login"), {"username": citizen.username, "password": PASSWORD})

    assert entries("auth.login", citizen).get().ip == ADDRESS


def test_joining_a_department_logs_the_membership_and_the_groups_it_grants(market):
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    officer = StaffFactory()

    as_request_of(administrator)(
        lambda: Membership.objects.create(user=officer, department=market, role="reviewer")
    )

    membership = entries("permission.membership", officer).get()
    assert (membership.actor_id, membership.ip) == (administrator.pk, ADDRESS)
    assert membership.detail == {"change": "added", "department": market.code, "role": "reviewer"}
    groups = entries("permission.group", officer).get()
    assert groups.detail["change"] == "added"
    assert groups.detail["groups"] == sorted(
        [f"department-{market.pk}-staff", f"department-{market.pk}-reviewers"]
    )


def test_leaving_a_department_logs_the_removal(market):
    officer = reviewer_of(market)

    Membership.objects.get(user=officer).delete()

    assert entries("permission.membership", officer).last().detail["change"] == "removed"
    assert entries("permission.group", officer).last().detail["change"] == "removed"


def test_making_someone_an_administrator_logs_the_flags_changed():
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    officer = StaffFactory()

    def promote():
        officer.is_staff = officer.is_superuser = True
        officer.save()

    as_request_of(administrator)(promote)

    entry = entries("permission.flags", officer).get()
    assert entry.detail == {"is_staff": [False, True], "is_superuser": [False, True]}
    assert (entry.actor_id, entry.ip) == (administrator.pk, ADDRESS)


def test_saving_a_user_without_touching_the_flags_logs_nothing():
    officer = StaffFactory()
    officer.real_name = "王新名"
    officer.save()

    assert not entries("permission.flags", officer).exists()


def test_an_object_permission_granted_and_revoked_is_logged_on_the_object(item):
    application = routed_application(item)
    officer = StaffFactory()

    assign_perm("services.view_application", officer, application)
    remove_perm("services.view_application", officer, application)

    granted, revoked = entries("permission.object", application).filter(
        detail__holder=f"user:{officer.username}"
    )
    assert granted.detail["change"] == "granted"
    assert revoked.detail["change"] == "revoked"
    assert granted.detail["permission"] == "view_application"


def test_routing_grants_and_logs_no_permission_on_the_task(item, market):
    """Who may see and decide a task follows from its department (approvals/permissions.py):
    routing changes nobody's rights, so it logs no grant; joining the department is logged."""
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)

    assert not entries("permission.object", task).exists()


def test_downloading_an_attachment_is_logged_for_the_applicant_and_the_reviewer(item, market):
    citizen = CitizenFactory()
    application = routed_application(item, citizen)
    attachment = application.attachments.first()
    task = ReviewTask.objects.get(application=application, department=market)
    reviewer = reviewer_of(market)

    own = client_from(user=citizen).get(
        reverse("services:attachment", args=[application.pk, attachment.pk])
    )
    staff = client_from("198.51.100.40", reviewer).get(
        reverse("approvals:attachment", args=[task.pk, attachment.pk])
    )

    assert (own.status_code, staff.status_code) == (200, 200)
    by_applicant, by_reviewer = entries("download.attachment", attachment)
    assert (by_applicant.actor_id, by_applicant.ip) == (citizen.pk, ADDRESS)
    assert (by_reviewer.actor_id, by_reviewer.ip) == (reviewer.pk, "198.51.100.40")
    assert by_reviewer.detail["application_id"] == application.pk


def test_a_request_refused_by_a_permission_check_is_logged():
    citizen = CitizenFactory()

    response = client_from(user=citizen).get(reverse("approvals:queue"))

    assert response.status_code == 403
    entry = entries("access.denied").get()
    assert (entry.actor_id, entry.ip) == (citizen.pk, ADDRESS)
    assert entry.detail == {"method": "GET", "path": reverse("approvals:queue")}


def test_a_change_in_the_django_admin_is_logged():
    administrator = StaffFactory(is_staff=True, is_superuser=True)

    response = client_from(user=administrator).post(
        reverse("admin:accounts_department_add"),
        {
            "code": "tax",
            "name": "市税务局",
            "name_en": "Tax Bureau",
            "region": first_city().pk,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    entry = entries("admin.change").get()
    assert (entry.actor_id, entry.ip) == (administrator.pk, ADDRESS)
    assert entry.object_type == "accounts.department"
    assert entry.detail["change"] == "added"


def test_a_draft_logs_each_permission_its_applicant_is_granted_as_guardian_would(item):
    applicant = CitizenFactory()

    application = start_draft(item, applicant)

    assert applicant.has_perm("services.change_application", application)
    logged = entries("permission.object", application).order_by("id")
    assert [entry.detail for entry in logged] == [
        {"change": "granted", "permission": codename, "holder": f"user:{applicant.username}"}
        for codename in ("view_application", "change_application")
    ]
    assert audit.verify_chain().is_intact


def test_granting_a_held_permission_again_grants_and_logs_nothing(item, market):
    application = routed_application(item)
    logged_before = entries("permission.object", application).count()

    granted = grant_object_permissions(
        application.applicant,
        ["services.view_application", "services.change_application"],
        application,
    )

    assert granted == []
    assert entries("permission.object", application).count() == logged_before == 2


def test_entries_appended_together_are_chained_in_order_like_separate_ones():
    before = audit.record("test.before")

    together = audit.record_all(["test.a", "test.b", "test.c"], details=[{"n": 1}, None, {}])

    stored = list(AuditEntry.objects.filter(pk__gt=before.pk).order_by("id"))
    assert [entry.pk for entry in stored] == [entry.pk for entry in together]
    assert [entry.action for entry in stored] == ["test.a", "test.b", "test.c"]
    assert stored[0].previous_hash == before.hash
    assert all(b.previous_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert all(entry.compute_hash() == entry.hash for entry in stored)
    assert audit.verify_chain().is_intact


def test_entries_recorded_together_wait_for_the_end_of_the_block_and_keep_their_order():
    with audit.appended_together():
        audit.record("test.first")
        audit.record_all(["test.second", "test.third"], details=[None, None])
        assert not AuditEntry.objects.filter(action__startswith="test.").exists()

    stored = list(AuditEntry.objects.filter(action__startswith="test.").order_by("id"))
    assert [entry.action for entry in stored] == ["test.first", "test.second", "test.third"]
    assert all(b.previous_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert audit.verify_chain().is_intact


def test_an_entry_recorded_in_a_rolled_back_savepoint_is_not_appended():
    with audit.appended_together():
        audit.record("test.kept")
        with pytest.raises(ValueError), transaction.atomic():
            audit.record("test.undone")
            raise ValueError("the change it recorded is rolled back")
        audit.record("test.kept_too")

    actions = AuditEntry.objects.filter(action__startswith="test.").order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["test.kept", "test.kept_too"]
    assert audit.verify_chain().is_intact


def test_a_failed_block_appends_nothing():
    with pytest.raises(ValueError), transaction.atomic(), audit.appended_together():
        audit.record("test.failed")
        raise ValueError("the operation failed")

    assert not AuditEntry.objects.filter(action="test.failed").exists()


def test_filing_and_routing_log_their_entries_in_order_and_keep_the_chain_intact(item):
    application = routed_application(item)

    logged = AuditEntry.objects.filter(
        action__in=["application.event", "application.status"],
        object_type="services.application",
        object_id=str(application.pk),
    ).order_by("id")

    timeline = application.events.order_by("id").values_list("kind", flat=True)
    assert list(logged.values_list("detail__event", flat=True)) == list(timeline)
    assert audit.verify_chain().is_intact


# --- the chain -----------------------------------------------------------------------------------


def test_each_entry_is_chained_to_the_previous_by_sha256():
    first, second = some_entries(2)

    assert second.previous_hash == first.hash
    content = json.dumps(
        second.chained_content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    content_digest = hashlib.sha256(content.encode()).hexdigest()
    assert second.algorithm == "sha256"
    assert second.hash == hashlib.sha256((first.hash + content_digest).encode()).hexdigest()


def test_an_entry_reads_back_from_the_database_with_the_hash_it_was_written_with():
    written = audit.record(
        "test.entry",
        obj=("services.application", 7),
        detail={"text": "中文\x00", "ratio": 1.5, "when": timezone.now(), "items": {3, 1}},
        request=RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0::1"),
    )

    stored = AuditEntry.objects.get(pk=written.pk)

    assert stored.compute_hash() == stored.hash == written.hash
    assert stored.ip == "2001:db8::1"


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_threads_at_once_form_one_unbroken_chain():
    threads_count, per_thread = 8, 25
    barrier = threading.Barrier(threads_count)
    errors = []

    def append(worker: int) -> None:
        try:
            barrier.wait(timeout=10)
            for n in range(per_thread):
                with transaction.atomic():
                    audit.record("test.concurrent", detail={"worker": worker, "n": n})
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    report = audit.verify_chain()
    assert report.is_intact
    assert AuditEntry.objects.filter(action="test.concurrent").count() == threads_count * per_thread
    hashes = list(
        AuditEntry.objects.filter(chain__key="system")
        .order_by("id")
        .values_list("previous_hash", "hash")
    )
    assert all(later[0] == earlier[1] for earlier, later in zip(hashes, hashes[1:], strict=False))


def test_verify_audit_reports_ok_on_an_intact_chain():
    entries_written = some_entries(5)
    total = AuditEntry.objects.count()
    chains = AuditChain.objects.count()
    system_count = AuditEntry.objects.filter(chain__key="system").count()

    output = verify()

    assert output.endswith(f"OK: {total} entries in {chains} chains")
    assert f"OK: system {system_count} entries, last hash {entries_written[-1].hash}" in output


def test_verify_audit_names_an_entry_edited_behind_the_triggers_back(without_the_trigger):
    first, middle, last = some_entries(3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_auditentry SET detail = '{\"n\": 99}' WHERE id = %s", [middle.pk]
        )

    with pytest.raises(CommandError, match=rf"BROKEN in system at entry #{middle.pk}: edited"):
        verify()


def test_verify_audit_names_the_entry_after_a_deleted_one(without_the_trigger):
    first, middle, last = some_entries(3)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [middle.pk])

    with pytest.raises(CommandError, match=rf"BROKEN in system at entry #{last.pk}: link"):
        verify()


def test_cutting_the_end_of_a_chain_is_caught_by_its_recorded_head(without_the_trigger):
    *_, last = some_entries(3)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [last.pk])

    with pytest.raises(CommandError, match="BROKEN in system at its head"):
        verify()


def test_cutting_the_end_of_the_log_is_caught_by_a_hash_seen_earlier(without_the_trigger):
    *_, before_last, last = some_entries(3)
    witnessed = last.hash  # yesterday's run printed the head, kept outside the database
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [last.pk])
        cursor.execute(
            "UPDATE accounts_auditchain SET head_hash = %s, head_entry_id = %s WHERE id = %s",
            [before_last.hash, before_last.pk, last.chain_id],
        )

    assert verify().startswith("OK")  # cutting the end, head too, leaves valid chains...
    with pytest.raises(CommandError, match="no longer in the log"):
        verify("--expect", witnessed)  # ...but not the one seen before


def test_the_database_refuses_to_update_or_delete_an_entry():
    entry = audit.record("test.entry")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk, action="test.entry").exists()


def test_even_the_purge_switch_cannot_delete_a_recent_entry():
    entry = audit.record("test.entry")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {audit.PURGE_SETTING} = 'on'")
            cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [entry.pk])


def test_the_chain_cannot_fork():
    entry = audit.record("test.entry")
    fork = AuditEntry(
        chain_id=entry.chain_id,
        actor_label="intruder",
        action="test.fork",
        previous_hash=entry.previous_hash,
    )
    fork.at = timezone.now()
    fork.hash = fork.compute_hash()

    with pytest.raises(DatabaseError), transaction.atomic():
        fork.save()


# --- the admin -----------------------------------------------------------------------------------


def test_administrators_read_the_log_in_the_admin_and_can_change_nothing():
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    client = client_from(user=administrator)
    entry = audit.record("test.entry", detail={"visible": "yes"})
    change_url = reverse("admin:accounts_auditentry_change", args=[entry.pk])

    listing = client.get(reverse("admin:accounts_auditentry_changelist"))
    detail = client.get(change_url)

    assert listing.status_code == 200
    assert "test.entry" in listing.content.decode()
    assert "Add audit log entry" not in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    assert detail.status_code == 200
    assert entry.hash in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert client.post(change_url, {"action": "forged"}).status_code == 403
    assert (
        client.post(reverse("admin:accounts_auditentry_delete", args=[entry.pk])).status_code == 403
    )
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.entry"


def test_staff_without_the_view_permission_do_not_see_the_log():
    clerk = StaffFactory(is_staff=True)

    response = client_from(user=clerk).get(reverse("admin:accounts_auditentry_changelist"))

    assert response.status_code == 403


# --- retention -----------------------------------------------------------------------------------


def test_a_retention_below_180_days_is_refused_by_the_system_check(settings):
    settings.AUDIT_RETENTION_DAYS = 179
    assert [error.id for error in check_audit_retention(None)] == ["accounts.E010"]

    settings.AUDIT_RETENTION_DAYS = 180
    assert check_audit_retention(None) == []


def test_the_purge_refuses_to_run_with_a_retention_below_180_days(settings):
    settings.AUDIT_RETENTION_DAYS = 90

    with pytest.raises(ImproperlyConfigured):
        audit.purge_expired_entries()


def record_days_ago(days: int, count: int) -> list[AuditEntry]:
    with time_machine.travel(timezone.now() - timedelta(days=days), tick=True):
        return some_entries(count)


def test_the_purge_deletes_expired_entries_and_leaves_a_verifiable_chain(settings, empty_log):
    settings.AUDIT_RETENTION_DAYS = 365
    old = record_days_ago(400, 4)
    kept = record_days_ago(200, 2)

    deleted = audit.purge_expired_entries()

    assert deleted == len(old)
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in kept]).count() == 2
    purge = entries(audit.PURGE_ACTION).get()
    assert purge.detail["last_deleted_hash"] == old[-1].hash
    assert AuditEntry.objects.order_by("id").first().previous_hash == old[-1].hash
    assert verify().startswith("OK")


def test_after_a_purge_deleting_the_new_first_entry_is_still_found(settings, empty_log):
    settings.AUDIT_RETENTION_DAYS = 365
    record_days_ago(400, 3)
    first_kept, second_kept = record_days_ago(200, 2)
    audit.purge_expired_entries()
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [first_kept.pk])

    with pytest.raises(CommandError, match=rf"BROKEN in system at entry #{second_kept.pk}: the"):
        verify()


def test_a_purge_in_batches_anchors_each_batch(settings, empty_log):
    settings.AUDIT_RETENTION_DAYS = 365
    old = record_days_ago(400, 5)

    audit.purge_expired_entries(batch_size=2)

    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert entries(audit.PURGE_ACTION).count() == 3
    assert verify().startswith("OK")


def test_the_purge_keeps_a_broken_segment_as_evidence(settings, empty_log):
    settings.AUDIT_RETENTION_DAYS = 365
    old = record_days_ago(400, 3)
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_auditentry SET actor_label = 'someone else' WHERE id = %s",
            [old[1].pk],
        )

    with pytest.raises(audit.AuditChainBroken):
        audit.purge_expired_entries()

    assert AuditEntry.objects.filter(pk__in=[e.pk for e in old]).count() == 3
