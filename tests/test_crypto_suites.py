"""Switching between the international and the national (国密) suites: new things are made with
the suite in force, and whatever was made under the other one still verifies and decrypts."""

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from accounts import audit, crypto, signing
from accounts.models import User
from approvals.certificates import CertificateStatus, verify_certificate
from approvals.models import Certificate
from tests.factories import ApplicationFactory, CitizenFactory, DepartmentFactory, item_with_stages

pytestmark = pytest.mark.django_db

NATIONAL_KEYS = signing.generate_key_entry("sm2-2027", signing.SM2)
ED25519_KEYS = signing.generate_key_entry("ed-2026", signing.ED25519)


def raw_column(user: User, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_sm3_and_its_hmac_give_the_standards_test_vector():
    # GB/T 32905-2016 Appendix A.1: SM3("abc").
    assert signing.hexdigest(b"abc", signing.SM3) == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert len(signing.keyed_hexdigest(b"k" * 32, b"x", signing.SM3)) == 64


def test_an_sm2_signature_verifies_and_a_changed_message_does_not():
    (key,) = signing.parse_signing_keys(NATIONAL_KEYS, "TEST_KEYS")
    signature = key.sign(b"message")

    assert key.algorithm == "SM2"
    assert key.verify(b"message", signature)
    assert not key.verify(b"messagE", signature)


def test_a_mismatched_sm2_key_pair_is_refused_at_configuration():
    entry = signing.generate_key_entry("a", signing.SM2)
    other = signing.generate_key_entry("b", signing.SM2)
    import base64

    private = base64.b64decode(entry.split(":")[2])[:32]
    public = base64.b64decode(other.split(":")[2])[32:]
    mixed = f"mixed:sm2:{base64.b64encode(private + public).decode()}"

    with pytest.raises(ImproperlyConfigured, match="do not match"):
        signing.parse_signing_keys(mixed, "TEST_KEYS")


def test_an_unknown_suite_is_refused_with_a_clear_message(settings):
    settings.CRYPTO_SUITE = "quantum"

    with pytest.raises(ImproperlyConfigured, match="'international' or 'national'"):
        signing.current_suite()


def test_the_national_suite_needs_an_sm2_key_listed(settings):
    settings.CRYPTO_SUITE = "national"

    with pytest.raises(ImproperlyConfigured, match="lists no SM2 key"):
        signing.signing_key(signing.parse_signing_keys(ED25519_KEYS, "TEST_KEYS"), "TEST_KEYS")


def test_personal_data_is_sm4_encrypted_under_the_national_suite_and_old_tokens_still_open(
    settings,
):
    before = CitizenFactory(mobile="13912345670")
    settings.CRYPTO_SUITE = "national"
    after = CitizenFactory(mobile="13912345671")

    assert raw_column(before, "mobile").startswith("gAAAAA")  # Fernet
    assert raw_column(after, "mobile").startswith("sm4:")
    assert User.objects.get(pk=before.pk).mobile == "13912345670"
    assert User.objects.get(pk=after.pk).mobile == "13912345671"


def test_switching_suites_rotates_every_value_like_a_key_rotation(settings):
    citizens = [CitizenFactory(mobile=f"1391234567{n}") for n in range(3)]
    settings.CRYPTO_SUITE = "national"

    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=StringIO())
    call_command("reindex_blind_index", stdout=StringIO())

    for citizen in citizens:
        token = raw_column(citizen, "mobile")
        assert token.startswith("sm4:") and crypto.is_under_primary_key(token)
        again = User.objects.get(pk=citizen.pk)
        assert again.mobile == citizen.mobile
        assert User.objects.with_resident_id(citizen.resident_id).get() == again


def test_the_blind_index_is_hmac_sm3_under_the_national_suite(settings):
    international = crypto.blind_index("mobile", "13912345670")
    settings.CRYPTO_SUITE = "national"

    national = crypto.blind_index("mobile", "13912345670")

    assert national != international
    assert national == signing.keyed_hexdigest(
        crypto.blind_index_key(), b"mobile:13912345670", signing.SM3
    )


def test_certificates_are_signed_with_sm2_after_the_switch_and_older_ones_still_verify(settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"{ED25519_KEYS},{NATIONAL_KEYS}"
    item = item_with_stages([[DepartmentFactory()]])
    older = ApplicationFactory(item=item, approved=True).certificate
    settings.CRYPTO_SUITE = "national"

    newer = ApplicationFactory(item=item, approved=True).certificate

    assert (older.key_id, newer.key_id) == ("ed-2026", "sm2-2027")
    assert verify_certificate(Certificate.objects.get(pk=older.pk)) == CertificateStatus.VALID
    assert verify_certificate(Certificate.objects.get(pk=newer.pk)) == CertificateStatus.VALID
    settings.CRYPTO_SUITE = "international"
    assert verify_certificate(Certificate.objects.get(pk=newer.pk)) == CertificateStatus.VALID


def test_a_chain_continues_with_sm3_after_the_switch_and_still_verifies(settings):
    department = DepartmentFactory()
    before = audit.record("test.before", department=department)
    settings.CRYPTO_SUITE = "national"

    after = audit.record("test.after", department=department)

    assert (before.algorithm, after.algorithm) == ("sha256", "sm3")
    assert after.previous_hash == before.hash
    assert audit.verify_chain().is_intact


def test_under_the_national_suite_an_instruments_sm3_digest_is_chained_and_anchored(settings):
    from datetime import date

    from accounts import anchors
    from accounts.models import AuditEntry
    from instruments.generation import issue_instruments_of
    from tests.factories import routed_application

    settings.CRYPTO_SUITE = "national"
    application = routed_application(item_with_stages([[DepartmentFactory()]]))

    instrument = issue_instruments_of(application.pk)[0]
    entry = AuditEntry.objects.get(
        action="application.event",
        detail__event="instrument_issued",
        detail__number=instrument.number,
    )
    anchors.anchor_day(date(2026, 12, 4))
    proof = anchors.inclusion_proof(entry)

    assert entry.algorithm == "sm3"
    assert entry.detail["sm3"] == signing.hexdigest(bytes(instrument.pdf), signing.SM3)
    assert proof["anchor"]["signature_algorithm"] == "SM2"
    assert anchors.verify_proof(proof).is_valid
