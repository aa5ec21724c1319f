"""The audit log's signed daily anchors: the Merkle tree, publication, inclusion proofs, and
catching a history rewritten in the database with every later hash recomputed."""

import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import anchors, audit, signing
from accounts.models import AuditAnchor, AuditChain, AuditEntry, canonical_json
from accounts.tasks import anchor_audit_chains
from tests.authentication import log_in
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    StaffFactory,
    item_with_stages,
    routed_application,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 4)


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def two_departments():
    market, health = DepartmentFactory(code="market"), DepartmentFactory(code="health")
    for department in (market, health):
        for n in range(3):
            audit.record("test.entry", department=department, detail={"n": n})
    audit.record("test.system")
    return market, health


def rewrite_history(entry: AuditEntry) -> None:
    """What an intruder with the database's rights does: change an entry, then recompute every
    later hash of its chain and the chain's head, so the chain verifies again."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
    later = list(AuditEntry.objects.filter(chain=entry.chain, id__gte=entry.pk).order_by("id"))
    later[0].detail = {"n": "rewritten"}
    previous = later[0].previous_hash
    for each in later:
        each.previous_hash = previous
        each.hash = previous = each.compute_hash()
    # From the last entry backwards: no new previous_hash meets an old one still in place.
    for each in reversed(later):
        AuditEntry.objects.filter(pk=each.pk).update(
            detail=each.detail, previous_hash=each.previous_hash, hash=each.hash
        )
    AuditChain.objects.filter(pk=entry.chain_id).update(head_hash=previous)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")


# --- the Merkle tree -----------------------------------------------------------------------------


def test_every_leafs_audit_path_leads_to_the_root_for_trees_of_every_size():
    for size in range(1, 18):
        leaves = [f"leaf {n}".encode() for n in range(size)]
        root = anchors.merkle_root(leaves, signing.SHA256)
        for index in range(size):
            path = anchors.audit_path(index, leaves, signing.SHA256)
            assert anchors.root_from_path(index, size, leaves[index], path, signing.SHA256) == root
            wrong = leaves[(index + 1) % size] if size > 1 else b"other"
            assert anchors.root_from_path(index, size, wrong, path, signing.SHA256) != root


def test_the_tree_hashes_leaves_and_nodes_apart_as_rfc_6962_does():
    import hashlib

    a, b = b"a", b"b"
    expected = hashlib.sha256(
        b"\x01" + hashlib.sha256(b"\x00a").digest() + hashlib.sha256(b"\x00b").digest()
    ).digest()

    assert anchors.merkle_root([a, b], signing.SHA256) == expected


# --- anchoring -----------------------------------------------------------------------------------


def test_the_days_anchor_signs_the_root_of_every_chains_head(two_departments):
    heads = {c.key: (c.head_entry_id, c.head_hash) for c in AuditChain.objects.all()}

    anchor = anchors.anchor_day(DAY)

    assert {leaf["chain"]: (leaf["entry_id"], leaf["hash"]) for leaf in anchor.leaves} == heads
    assert anchor.tree_size == len(heads) >= 3
    assert anchor.signature_algorithm == "Ed25519"
    assert anchors.signature_is_valid(anchor)
    leaves = [anchors.leaf_bytes(leaf) for leaf in anchor.leaves]
    assert anchors.merkle_root(leaves, anchor.hash_algorithm).hex() == anchor.root_hash
    # The anchor is itself in the system chain, so the next day's root covers it.
    assert AuditEntry.objects.filter(action="audit.anchored", detail__day=DAY.isoformat()).exists()


def test_anchoring_a_day_twice_signs_it_once(two_departments):
    first = anchors.anchor_day(DAY)
    audit.record("test.later")

    assert anchors.anchor_day(DAY) == first
    assert AuditAnchor.objects.count() == 1


def test_the_beat_task_anchors_the_day_that_ended(two_departments, time_machine):
    time_machine.move_to("2026-12-05 00:05 +08:00")

    root = anchor_audit_chains()

    assert AuditAnchor.objects.get().day == DAY
    assert anchor_audit_chains() == root


def test_verify_audit_against_anchors_catches_a_rewritten_history(two_departments):
    market, _health = two_departments
    anchors.anchor_day(DAY)
    assert "every chain head matches" in verify("--against-anchors")
    target = AuditEntry.objects.filter(chain__department=market).order_by("id").first()

    rewrite_history(target)

    assert verify().endswith("chains")  # the chains alone verify: every hash was recomputed
    with pytest.raises(CommandError, match="department:market entry #.* has another hash"):
        verify("--against-anchors")


def test_a_forged_anchor_in_the_database_is_refused(two_departments):
    anchor = anchors.anchor_day(DAY)
    AuditAnchor.objects.filter(pk=anchor.pk).update(root_hash="0" * 64)

    with pytest.raises(CommandError, match="signature invalid"):
        verify("--against-anchors")


# --- inclusion proofs ----------------------------------------------------------------------------


@pytest.fixture
def decided_case():
    market = DepartmentFactory(code="market")
    application = routed_application(item_with_stages([[market]]))
    entry = (
        AuditEntry.objects.filter(object_type="services.application", object_id=str(application.pk))
        .order_by("id")
        .first()
    )
    audit.record("test.later", department=market)  # the entry is not the chain's head
    anchors.anchor_day(DAY)
    return application, entry


def proof_file(proof: dict, name="audit-proof.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(proof).encode(), "application/json")


def test_the_applicant_downloads_the_proof_of_an_entry_of_their_case(decided_case):
    application, entry = decided_case
    client = log_in(Client(headers={"accept-language": "en"}), application.applicant)

    response = client.get(reverse("disclosure:entry_proof", args=[entry.pk]))

    assert response.status_code == 200
    proof = json.loads(response.content)
    assert proof["entry"]["id"] == entry.pk
    assert proof["later_entries"]  # digests of the later entries, never their content
    assert all(set(later) == {"algorithm", "content_digest"} for later in proof["later_entries"])
    assert anchors.verify_proof(proof).is_valid


def test_nobody_else_downloads_the_proof(decided_case):
    _application, entry = decided_case
    url = reverse("disclosure:entry_proof", args=[entry.pk])

    assert (
        log_in(Client(headers={"accept-language": "en"}), CitizenFactory()).get(url).status_code
        == 404
    )
    assert (
        Client(headers={"accept-language": "en"}).get(url).status_code == 302
    )  # to the login page
    assert (
        log_in(Client(headers={"accept-language": "en"}), StaffFactory()).get(url).status_code
        == 404
    )


def test_an_entry_not_yet_anchored_has_no_proof_yet(decided_case):
    application, _entry = decided_case
    later = audit.record("test.after_the_anchor", obj=application)

    response = log_in(Client(headers={"accept-language": "en"}), application.applicant).get(
        reverse("disclosure:entry_proof", args=[later.pk])
    )

    assert response.status_code == 404


def test_the_command_and_the_public_page_verify_a_proof(decided_case, tmp_path):
    _application, entry = decided_case
    proof = anchors.inclusion_proof(entry)
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    out = io.StringIO()

    call_command("verify_audit_proof", str(path), stdout=out)
    page = Client(headers={"accept-language": "en"}).post(
        reverse("disclosure:verify_proof"), {"file": proof_file(proof)}
    )

    assert out.getvalue().startswith(f"VALID: entry #{entry.pk}")
    assert page.status_code == 200, page.content.decode()
    assert f"Valid: entry #{entry.pk} of chain department:market" in page.content.decode()


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda p: p["entry"]["content"].update(actor_label="someone else"), "entry_edited"),
        (lambda p: p["later_entries"].pop(), "chain_mismatch"),
        (lambda p: p["anchor"].update(root_hash="ab" * 32), "merkle_mismatch"),
        (lambda p: p["anchor"].update(key_id="stolen"), "unknown_key"),
        (lambda p: p["anchor"].update(day="2026-12-03"), "bad_signature"),
        (lambda p: p.pop("anchor"), "malformed"),
    ],
)
def test_a_tampered_proof_is_refused_with_its_reason(decided_case, tamper, problem):
    _application, entry = decided_case
    proof = anchors.inclusion_proof(entry)

    tamper(proof)

    assert anchors.verify_proof(proof).problem == problem


def test_the_page_says_in_chinese_why_a_proof_is_refused(decided_case):
    _application, entry = decided_case
    proof = anchors.inclusion_proof(entry)
    proof["entry"]["content"]["action"] = "forged"

    # The request activates Chinese in this thread; override puts the language back after it.
    with translation.override(translation.get_language()):
        page = Client(headers={"accept-language": "zh-hans"}).post(
            reverse("disclosure:verify_proof"), {"file": proof_file(proof)}
        )

    assert page.status_code == 200
    assert "内容已被改动" in page.content.decode()


def test_a_file_that_is_not_json_is_refused_and_changes_nothing():
    upload = SimpleUploadedFile("proof.json", b"\xff\xfe not json", "application/json")

    page = Client(headers={"accept-language": "en"}).post(
        reverse("disclosure:verify_proof"), {"file": upload}
    )

    assert page.status_code == 400
    assert "This file is not JSON" in page.content.decode()
    assert AuditAnchor.objects.count() == 0


# --- the public pages ----------------------------------------------------------------------------


def test_anyone_reads_the_anchors_their_day_its_json_and_the_feed(two_departments):
    anchor = anchors.anchor_day(DAY)
    client = Client(headers={"accept-language": "en"})

    listing = client.get(reverse("disclosure:anchors"))
    detail = client.get(reverse("disclosure:anchor", args=["2026-12-04"]))
    download = client.get(reverse("disclosure:anchor_json", args=["2026-12-04"]))
    feed = client.get(reverse("disclosure:anchor_feed"))

    assert anchor.root_hash in listing.content.decode()
    assert "department:market" in detail.content.decode()
    document = json.loads(download.content)
    assert document["root_hash"] == anchor.root_hash
    assert "attachment" in download["Content-Disposition"]
    assert anchor.root_hash in feed.content.decode()
    assert feed["Content-Type"].startswith("application/atom+xml")
    # The document alone verifies, with the public key it names.
    signed = canonical_json(
        {k: document[k] for k in ("day", "hash_algorithm", "tree_size", "root_hash")}
        | {"format": anchors.ANCHOR_FORMAT}
    )
    import base64

    assert signing.verify_signature(
        document["signature_algorithm"],
        base64.b64decode(document["public_key"]),
        signed,
        base64.b64decode(document["signature"]),
    )


def test_an_unknown_day_is_not_found():
    client = Client(headers={"accept-language": "en"})

    assert client.get(reverse("disclosure:anchor", args=["2026-01-01"])).status_code == 404
    assert client.get(reverse("disclosure:anchor", args=["not-a-day"])).status_code == 404
    assert client.get(reverse("disclosure:anchor_json", args=["not-a-day"])).status_code == 404


# --- the national suite --------------------------------------------------------------------------


def test_under_the_national_suite_anchors_use_sm3_and_sm2_and_older_ones_still_verify(
    two_departments, settings
):
    before = anchors.anchor_day(date(2026, 12, 3))
    settings.CRYPTO_SUITE = "national"
    audit.record("test.after_the_switch")

    after = anchors.anchor_day(DAY)

    assert (before.hash_algorithm, before.signature_algorithm) == ("sha256", "Ed25519")
    assert (after.hash_algorithm, after.signature_algorithm) == ("sm3", "SM2")
    assert AuditEntry.objects.get(action="test.after_the_switch").algorithm == "sm3"
    assert anchors.signature_is_valid(before) and anchors.signature_is_valid(after)
    assert "every chain head matches" in verify("--against-anchors")
