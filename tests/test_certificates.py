"""E-certificates (电子证照): issued on approval, signed with Ed25519, verified by anyone, revocable."""

import base64
import json
import re
from datetime import date, timedelta

import pytest
import qrcode
import qrcode.image.svg
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.checks import run_checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import User
from approvals.certificates import (
    AlreadyRevoked,
    CertificateStatus,
    canonical_bytes,
    certificate_payload,
    issue_certificate,
    mask_resident_id,
    revoke,
    verification_qr_svg,
    verify_certificate,
    years_after,
)
from approvals.decisions import AlreadyDecided, Outcome, decide
from approvals.models import Certificate, ReviewTask
from services.models import ApplicationEvent
from tests.factories import (
    ApplicationFactory,
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    UserFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
    submitted_application,
)

pytestmark = pytest.mark.django_db

Status = CertificateStatus


def raw_key(seed: int) -> str:
    """A fixed Ed25519 private key, as CERTIFICATE_SIGNING_KEYS holds it."""
    return base64.b64encode(bytes([seed]) * 32).decode()


def generated_key() -> str:
    key = Ed25519PrivateKey.generate()
    return base64.b64encode(
        key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ).decode()


@pytest.fixture(autouse=True)
def signing_keys(settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"k2026:{raw_key(7)}"
    return settings


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def health():
    return DepartmentFactory(name="市卫生健康委员会")


@pytest.fixture
def item(market, health):
    return item_with_stages(
        [[market], [health]],
        name="食品经营许可",
        name_en="Food business licence",
        certificate_scope="预包装食品销售（含冷藏冷冻食品）",
    )


def approve_all(application):
    """Every open review task approved, stage after stage, as the departments would."""
    while True:
        task = (
            ReviewTask.objects.filter(application=application, state=ReviewTask.State.PENDING)
            .order_by("stage_order")
            .first()
        )
        if task is None:
            break
        decide(task.pk, reviewer_of(task.department), Outcome.APPROVE, "符合条件")
    application.refresh_from_db()
    return application


@pytest.fixture
def citizen():
    return CitizenFactory(real_name="张三丰", resident_id="110105199005170013")


@pytest.fixture
def certificate(item, citizen):
    return ApplicationFactory(item=item, applicant=citizen, approved=True).certificate


def reload(certificate: Certificate) -> Certificate:
    return Certificate.objects.get(pk=certificate.pk)


# --- issuing -------------------------------------------------------------------------------------


def test_approved_application_receives_exactly_one_certificate(item, market, health):
    application = routed_application(item)
    decide(
        ReviewTask.objects.get(application=application, department=market).pk,
        reviewer_of(market),
        Outcome.APPROVE,
    )
    assert not Certificate.objects.filter(application=application).exists()

    task = ReviewTask.objects.get(application=application, department=health)
    decide(task.pk, reviewer_of(health), Outcome.APPROVE)
    with pytest.raises(AlreadyDecided):
        decide(task.pk, reviewer_of(health), Outcome.APPROVE)
    application.refresh_from_db()
    again = issue_certificate(application)

    assert Certificate.objects.filter(application=application).count() == 1
    assert again == application.certificate
    assert application.events.filter(kind=ApplicationEvent.Kind.CERTIFICATE_ISSUED).count() == 1


def test_rejected_application_receives_no_certificate(item, market):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)

    decide(task.pk, reviewer_of(market), Outcome.REJECT, "经营场所不符合要求")

    assert not Certificate.objects.filter(application=application).exists()
    with pytest.raises(ValidationError):
        issue_certificate(application)


def test_certificate_carries_the_holder_item_scope_validity_and_departments(certificate, citizen):
    assert certificate.number == (f"ZZ{certificate.valid_from:%Y}{certificate.application_id:08d}")
    assert certificate.holder_kind == Certificate.HolderKind.NATURAL_PERSON
    assert certificate.holder_name == "张三丰"
    assert certificate.item_name == "食品经营许可"
    assert certificate.item_name_en == "Food business licence"
    assert certificate.scope == "预包装食品销售（含冷藏冷冻食品）"
    assert certificate.issuing_departments == "市市场监督管理局、市卫生健康委员会"
    assert certificate.valid_from == timezone.localdate(certificate.application.decided_at)
    # Five years by default: issued 2026-11-23, valid until 2031-11-22.
    assert certificate.valid_until == certificate.valid_from.replace(
        year=certificate.valid_from.year + 5
    ) - timedelta(days=1)
    assert certificate.key_id == "k2026"


def test_natural_persons_certificate_stores_only_a_masked_id_number(certificate, citizen):
    assert certificate.holder_identifier == "110105********0013"
    stored = json.dumps(list(Certificate.objects.filter(pk=certificate.pk).values()), default=str)
    assert "110105199005170013" not in stored


def test_enterprise_certificate_names_the_enterprise_and_its_credit_code(item):
    enterprise = EnterpriseFactory(enterprise_name="合肥市放心食品有限公司", real_name="李经办")

    certificate = ApplicationFactory(item=item, applicant=enterprise, approved=True).certificate

    assert certificate.holder_kind == Certificate.HolderKind.ENTERPRISE
    assert certificate.holder_name == "合肥市放心食品有限公司"
    assert certificate.holder_identifier == enterprise.credit_code


@pytest.mark.parametrize(
    ("resident_id", "masked"),
    [
        ("110105199005170013", "110105********0013"),
        ("11010519900517001X", "110105********001X"),
        ("", ""),
        ("1234", "****"),
    ],
)
def test_resident_id_is_masked_to_its_first_six_and_last_four(resident_id, masked):
    assert mask_resident_id(resident_id) == masked


def test_catalogue_edits_after_submission_do_not_change_the_certificate(item):
    application = routed_application(item)
    item.certificate_scope = "改过的范围"
    item.certificate_validity_years = 1
    item.name = "改过的名称"
    item.save()

    certificate = approve_all(application).certificate

    assert certificate.scope == "预包装食品销售（含冷藏冷冻食品）"
    assert certificate.item_name == "食品经营许可"
    assert certificate.valid_until == years_after(certificate.valid_from, 5)


def test_item_without_a_scope_uses_its_name_and_without_validity_never_expires(market):
    item = item_with_stages(
        [[market]], name="户外广告设置许可", certificate_scope="", certificate_validity_years=None
    )

    certificate = ApplicationFactory(item=item, approved=True).certificate

    assert certificate.scope == "户外广告设置许可"
    assert certificate.valid_until is None
    with time_machine.travel(timezone.now() + timedelta(days=365 * 30)):
        assert verify_certificate(reload(certificate)) == Status.VALID


def test_certificate_issued_on_29_february_ends_on_27_february(market):
    item = item_with_stages([[market]], certificate_validity_years=4)
    with time_machine.travel(shanghai("2028-02-29 10:00"), tick=False):
        certificate = ApplicationFactory(item=item, approved=True).certificate

    assert certificate.valid_from == date(2028, 2, 29)
    assert certificate.valid_until == date(2032, 2, 28)


# --- the signature -------------------------------------------------------------------------------


def test_issued_certificate_verifies_as_valid(certificate):
    assert verify_certificate(reload(certificate)) == Status.VALID


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "ZZ202699999999"),
        ("holder_kind", Certificate.HolderKind.ENTERPRISE),
        ("holder_name", "李四"),
        ("holder_identifier", "110105********9999"),
        ("item_code", "another-item"),
        ("item_name", "危险化学品经营许可"),
        ("item_name_en", "Hazardous chemicals licence"),
        ("scope", "预包装食品销售（含冷藏冷冻食品）、散装食品销售"),
        ("valid_from", date(2020, 1, 1)),
        ("valid_until", date(2099, 12, 31)),
        ("issuing_departments", "市市场监督管理局"),
        ("issued_at", shanghai("2026-01-01 09:00")),
    ],
)
def test_certificate_altered_in_the_database_is_invalid(certificate, field, value):
    Certificate.objects.filter(pk=certificate.pk).update(**{field: value})

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_certificate_with_no_expiry_written_in_is_invalid(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=None)

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_altered_signature_is_invalid(certificate):
    signature = bytearray(base64.b64decode(certificate.signature))
    signature[10] ^= 0x01
    Certificate.objects.filter(pk=certificate.pk).update(
        signature=base64.b64encode(bytes(signature)).decode()
    )

    assert verify_certificate(reload(certificate)) == Status.INVALID


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_malformed_signature_is_invalid(certificate, signature):
    Certificate.objects.filter(pk=certificate.pk).update(signature=signature)

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_signature_of_another_certificate_does_not_fit(item, certificate):
    other = ApplicationFactory(
        item=item, applicant=CitizenFactory(real_name="李四"), approved=True
    ).certificate
    Certificate.objects.filter(pk=certificate.pk).update(signature=other.signature)

    assert verify_certificate(reload(other)) == Status.VALID
    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_certificate_of_an_unknown_key_id_is_invalid(certificate, settings):
    Certificate.objects.filter(pk=certificate.pk).update(key_id="forged")

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_certificate_whose_key_is_no_longer_listed_is_invalid(certificate, settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"k2027:{raw_key(8)}"

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_certificate_signed_by_another_key_under_the_same_id_is_invalid(certificate, settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"k2026:{generated_key()}"

    assert verify_certificate(reload(certificate)) == Status.INVALID


def test_rotation_signs_with_the_new_key_and_still_verifies_the_old(item, certificate, settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"k2027:{raw_key(8)}, k2026:{raw_key(7)}"

    newer = ApplicationFactory(item=item, approved=True).certificate

    assert newer.key_id == "k2027"
    assert verify_certificate(reload(newer)) == Status.VALID
    assert verify_certificate(reload(certificate)) == Status.VALID


def test_payload_is_sorted_compact_json_of_every_shown_field(certificate):
    payload = certificate_payload(reload(certificate))
    signed = canonical_bytes(payload)

    assert signed.decode() == json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    for field in [
        "number",
        "holder_name",
        "holder_identifier",
        "item_name",
        "scope",
        "valid_from",
        "valid_until",
        "issuing_departments",
        "issued_at",
        "key_id",
    ]:
        assert field in payload
    assert "张三丰".encode() in signed


# --- revocation and expiry -----------------------------------------------------------------------


@pytest.fixture
def administrator():
    return UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True, real_name="管理员")


def test_revoked_certificate_verifies_as_revoked_with_its_reason(certificate, administrator):
    revoke(certificate, administrator, "  以欺骗手段取得许可  ")

    certificate = reload(certificate)
    assert verify_certificate(certificate) == Status.REVOKED
    assert certificate.revoked_reason == "以欺骗手段取得许可"
    assert certificate.revoked_by == administrator
    assert certificate.revoked_at is not None
    event = certificate.application.events.get(kind=ApplicationEvent.Kind.CERTIFICATE_REVOKED)
    assert event.note == "以欺骗手段取得许可"
    assert event.actor == administrator


def test_revocation_needs_a_reason(certificate, administrator):
    with pytest.raises(ValidationError):
        revoke(certificate, administrator, "   ")

    assert verify_certificate(reload(certificate)) == Status.VALID


def test_only_those_allowed_may_revoke(certificate, market):
    with pytest.raises(PermissionDenied):
        revoke(certificate, reviewer_of(market), "理由")

    assert reload(certificate).revoked_at is None


def test_certificate_is_revoked_once(certificate, administrator):
    revoke(certificate, administrator, "第一次")

    with pytest.raises(AlreadyRevoked):
        revoke(reload(certificate), administrator, "第二次")

    assert reload(certificate).revoked_reason == "第一次"


def test_database_refuses_a_revocation_without_reason(certificate):
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(revoked_at=timezone.now())


def test_certificate_is_valid_on_its_last_day_and_expired_the_day_after(certificate):
    last_day = certificate.valid_until
    with time_machine.travel(shanghai(f"{last_day:%Y-%m-%d} 23:00"), tick=False):
        assert verify_certificate(reload(certificate)) == Status.VALID
    with time_machine.travel(
        shanghai(f"{last_day + timedelta(days=1):%Y-%m-%d} 00:30"), tick=False
    ):
        assert verify_certificate(reload(certificate)) == Status.EXPIRED


def test_revoked_and_expired_certificate_shows_as_revoked(certificate, administrator):
    revoke(certificate, administrator, "吊销")
    with time_machine.travel(timezone.now() + timedelta(days=365 * 6)):
        assert verify_certificate(reload(certificate)) == Status.REVOKED


# --- the public verification page ----------------------------------------------------------------


def public_page(client, certificate):
    response = client.get(reverse("disclosure:certificate", args=[certificate.number]))
    return response, response.content.decode()


def test_anyone_sees_a_valid_certificate_with_the_holder_masked(client, certificate, citizen):
    response, page = public_page(client, certificate)

    assert response.status_code == 200
    assert "Valid" in page
    assert certificate.number in page
    assert "张**" in page
    assert "张三丰" not in page
    assert "110105199005170013" not in page
    assert "110105********0013" in page
    assert "预包装食品销售（含冷藏冷冻食品）" in page
    assert "市市场监督管理局、市卫生健康委员会" in page


def test_public_page_shows_an_enterprise_by_name_and_credit_code(client, item):
    enterprise = EnterpriseFactory(enterprise_name="合肥市放心食品有限公司")
    certificate = ApplicationFactory(item=item, applicant=enterprise, approved=True).certificate

    _response, page = public_page(client, certificate)

    assert "合肥市放心食品有限公司" in page
    assert enterprise.credit_code in page


def test_public_page_shows_a_revoked_certificate_with_reason_and_date(
    client, certificate, administrator
):
    revoke(certificate, administrator, "以欺骗手段取得许可")

    response, page = public_page(client, certificate)

    assert response.status_code == 200
    assert "Revoked" in page
    assert "以欺骗手段取得许可" in page
    with translation.override("en"):  # the English page shows the date in English
        assert date_format(timezone.localdate()) in page


def test_public_page_shows_an_expired_certificate(client, certificate):
    with time_machine.travel(timezone.now() + timedelta(days=365 * 6)):
        _response, page = public_page(client, certificate)

    assert "Expired" in page
    with translation.override("en"):
        assert date_format(certificate.valid_until) in page


def test_public_page_shows_an_altered_certificate_as_invalid_without_its_details(
    client, certificate
):
    Certificate.objects.filter(pk=certificate.pk).update(scope="任何经营项目")

    response, page = public_page(client, certificate)

    assert response.status_code == 200
    assert "Invalid" in page
    assert "任何经营项目" not in page


def test_unknown_number_is_a_404_that_says_so(client):
    response = client.get(reverse("disclosure:certificate", args=["ZZ202600000000"]))

    assert response.status_code == 404
    assert "No certificate with this number" in response.content.decode()


def test_verification_form_leads_to_the_certificate_page(client, certificate):
    typed = " " + certificate.number.lower()[:6] + " " + certificate.number[6:] + " "

    response = client.get(reverse("disclosure:verify_certificate"), {"number": typed})

    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:certificate", args=[certificate.number])


def test_verification_form_explains_a_malformed_number(client):
    response = client.get(reverse("disclosure:verify_certificate"), {"number": "ABC"})

    assert response.status_code == 200
    assert "followed by at least 12 digits" in response.content.decode()


def test_verification_form_is_public(client):
    response = client.get(reverse("disclosure:verify_certificate"))

    assert response.status_code == 200
    assert 'name="number"' in response.content.decode()


def test_public_keys_let_anyone_check_a_signature_offline(client, certificate, client_for):
    keys = client.get(reverse("disclosure:certificate_keys")).json()
    document = (
        client_for(certificate.application.applicant)
        .get(reverse("application_certificate_json", args=[certificate.application_id]))
        .json()
    )

    public_key = next(k for k in keys["keys"] if k["key_id"] == document["key_id"])
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key["public_key"])).verify(
        base64.b64decode(document["signature"]), canonical_bytes(document["payload"])
    )
    assert "private" not in json.dumps(keys).lower()


# --- the holder's certificate page ---------------------------------------------------------------


def test_holder_sees_the_full_certificate_with_a_qr_code_to_the_verification_page(
    client_for, certificate, citizen
):
    response = client_for(citizen).get(
        reverse("application_certificate", args=[certificate.application_id])
    )

    assert response.status_code == 200
    page = response.content.decode()
    verification_url = "http://testserver" + reverse(
        "disclosure:certificate", args=[certificate.number]
    )
    assert "张三丰" in page
    assert "110105********0013" in page
    assert "110105199005170013" not in page
    assert certificate.signature in page
    assert re.search(r'<svg[^>]*class="qr-code"', page)
    assert f'data-url="{verification_url}"' in page


def test_qr_code_on_the_page_encodes_the_verification_url(client_for, certificate, citizen):
    page = (
        client_for(citizen)
        .get(reverse("application_certificate", args=[certificate.application_id]))
        .content.decode()
    )
    url = "http://testserver" + reverse("disclosure:certificate", args=[certificate.number])

    # QR encoding is deterministic: the same URL gives the same modules, drawn as the same path.
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    reference.add_data(url)
    reference.make(fit=True)
    image = reference.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    assert f'd="{image.path.get("d")}"' in page


def test_qr_svg_is_inline_markup_labelled_with_its_url():
    svg = verification_qr_svg("https://portal.example.gov.cn/disclosure/certificates/ZZ1/")

    assert svg.startswith("<svg")
    assert 'data-url="https://portal.example.gov.cn/disclosure/certificates/ZZ1/"' in svg
    assert 'role="img"' in svg
    assert "<title>" in svg
    assert "data:" not in svg
    assert "style=" not in svg


def test_another_citizen_cannot_see_the_certificate(client_for, certificate):
    stranger = client_for(CitizenFactory())

    for name in ["application_certificate", "application_certificate_json"]:
        response = stranger.get(reverse(name, args=[certificate.application_id]))
        assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, certificate):
    response = client.get(reverse("application_certificate", args=[certificate.application_id]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_application_not_yet_approved_has_no_certificate_page(client_for, item, citizen):
    application = submitted_application(item, citizen)

    response = client_for(citizen).get(reverse("application_certificate", args=[application.pk]))

    assert response.status_code == 404


def test_status_page_links_the_certificate_once_approved(client_for, certificate, citizen):
    page = (
        client_for(citizen)
        .get(reverse("application_status", args=[certificate.application_id]))
        .content.decode()
    )

    assert reverse("application_certificate", args=[certificate.application_id]) in page


def test_json_export_is_a_download_of_the_signed_payload(client_for, certificate, citizen):
    response = client_for(citizen).get(
        reverse("application_certificate_json", args=[certificate.application_id])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.number}.json"'
    document = response.json()
    assert document["payload"] == certificate_payload(reload(certificate))
    assert document["algorithm"] == "Ed25519"


def test_reviewer_sees_the_certificate_number_on_the_task(client_for, item, market):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=market)
    reviewer = reviewer_of(market)
    certificate = approve_all(application).certificate

    page = client_for(reviewer).get(reverse("approvals:task", args=[task.pk])).content.decode()

    assert certificate.number in page


# --- administration ------------------------------------------------------------------------------


def revoke_url(certificate):
    return reverse("admin:approvals_certificate_revoke", args=[certificate.pk])


def test_administrator_revokes_through_admin_with_a_reason(client_for, certificate, administrator):
    admin_client = client_for(administrator)
    assert admin_client.get(revoke_url(certificate)).status_code == 200

    refused = admin_client.post(revoke_url(certificate), {"reason": " "})
    assert refused.status_code == 200
    assert reload(certificate).revoked_at is None

    done = admin_client.post(revoke_url(certificate), {"reason": "许可证依法被撤销"})
    assert done.status_code == 302
    certificate = reload(certificate)
    assert certificate.revoked_reason == "许可证依法被撤销"
    assert certificate.revoked_by == administrator


def test_revoking_in_admin_asks_the_administrator_to_confirm_it_is_them(
    client_for, certificate, administrator
):
    admin_client = client_for(administrator)

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = admin_client.post(revoke_url(certificate), {"reason": "许可证依法被撤销"})

    assert response.status_code == 302
    assert reverse("accounts:reauthenticate") in response["Location"]
    assert reload(certificate).revoked_at is None


def test_admin_shows_certificates_read_only(client_for, certificate, administrator):
    admin_client = client_for(administrator)

    change = admin_client.get(reverse("admin:approvals_certificate_change", args=[certificate.pk]))
    assert change.status_code == 200
    assert revoke_url(certificate) in change.content.decode()
    assert admin_client.get(reverse("admin:approvals_certificate_add")).status_code == 403
    delete = reverse("admin:approvals_certificate_delete", args=[certificate.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_staff_without_the_revoke_permission_cannot_revoke_in_admin(client_for, certificate):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(kind=User.Kind.STAFF, is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_certificate"))

    response = client_for(clerk).post(revoke_url(certificate), {"reason": "理由"})

    assert response.status_code == 403
    assert reload(certificate).revoked_at is None


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "no-separator",
        "bad id!:" + raw_key(1),
        "k1:" + base64.b64encode(b"x" * 31).decode(),
        f"k1:{raw_key(1)},k1:{raw_key(2)}",
    ],
)
def test_malformed_keys_are_reported_by_the_system_check(settings, value):
    settings.CERTIFICATE_SIGNING_KEYS = value

    errors = [m for m in run_checks() if m.id == "approvals.E001"]

    assert errors
    assert raw_key(1) not in errors[0].msg


def test_deployment_check_warns_about_the_demo_key(settings):
    settings.CERTIFICATE_SIGNING_KEYS = f"demo:{raw_key(3)}"

    assert any(m.id == "approvals.W001" for m in run_checks(include_deployment_checks=True))
