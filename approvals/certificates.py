"""E-certificates (电子证照): issued when an application is approved, signed with Ed25519 or SM2.

The signature covers a canonical payload of every field the certificate shows: its number,
the holder, the item, the scope, the validity, the issuing departments, the moment of issue
and the id of the signing key. Anyone who edits a row in the database, or copies a signature
onto another certificate, gets a certificate that no longer verifies.

Keys come from the setting CERTIFICATE_SIGNING_KEYS ("key_id:base64 of the 32-byte raw
Ed25519 private key", or "key_id:sm2:base64" for SM2, several separated by commas): the first
of the suite in force (CRYPTO_SUITE) signs, every listed key verifies, so keys rotate, and
suites switch, without invalidating what was issued before (docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The ElementTree qrcode builds its SVG with: lxml's when installed (pyHanko needs it), else the
# standard library's; the title added below must be an element of the same kind.
from qrcode.compat.etree import ET as ElementTree

from accounts import signing
from services.lifecycle import record_event
from services.models import Application, ApplicationEvent
from services.parties import subject_of

from .models import Certificate, ReviewTask

PAYLOAD_FORMAT = "portal-e-certificate/1"
KEY_ID_PATTERN = signing.KEY_ID_PATTERN
REVOKE_PERMISSION = "approvals.revoke_certificate"


class CertificateStatus(models.TextChoices):
    VALID = "valid", gettext_lazy("Valid")
    EXPIRED = "expired", gettext_lazy("Expired")
    REVOKED = "revoked", gettext_lazy("Revoked")
    INVALID = "invalid", gettext_lazy("Invalid")


# --- keys ----------------------------------------------------------------------------------------

# A key of CERTIFICATE_SIGNING_KEYS: Ed25519, or SM2 under the national suite (accounts/signing.py).
CertificateKey = signing.SigningKey
KEYS_SETTING = "CERTIFICATE_SIGNING_KEYS"


def parse_certificate_keys(text: str) -> tuple[CertificateKey, ...]:
    """The keys of a CERTIFICATE_SIGNING_KEYS value; messages never repeat key material."""
    return signing.parse_signing_keys(text, KEYS_SETTING)


def certificate_keys() -> tuple[CertificateKey, ...]:
    return parse_certificate_keys(settings.CERTIFICATE_SIGNING_KEYS)


def current_signing_key() -> CertificateKey:
    """The first listed key of the suite in force (CRYPTO_SUITE)."""
    return signing.signing_key(certificate_keys(), KEYS_SETTING)


def verification_key(key_id: str) -> CertificateKey | None:
    return signing.find_key(certificate_keys(), key_id)


# --- the signed payload --------------------------------------------------------------------------


def certificate_payload(certificate: Certificate) -> dict:
    """Every field the certificate shows, as plain data; this is what the signature covers."""
    return {
        "format": PAYLOAD_FORMAT,
        "number": certificate.number,
        "key_id": certificate.key_id,
        "holder_kind": certificate.holder_kind,
        "holder_name": certificate.holder_name,
        "holder_identifier": certificate.holder_identifier,
        "item_code": certificate.item_code,
        "item_name": certificate.item_name,
        "item_name_en": certificate.item_name_en,
        "scope": certificate.scope,
        "valid_from": _iso_date(certificate.valid_from),
        "valid_until": _iso_date(certificate.valid_until) if certificate.valid_until else None,
        "issuing_departments": certificate.issuing_departments,
        "issued_at": certificate.issued_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def _iso_date(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def canonical_bytes(payload: dict) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same payload always gives the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign_certificate(certificate: Certificate, key: CertificateKey) -> str:
    certificate.key_id = key.key_id
    signature = key.sign(canonical_bytes(certificate_payload(certificate)))
    return base64.b64encode(signature).decode("ascii")


def verify_certificate(certificate: Certificate, *, today: date | None = None) -> str:
    """valid, expired, revoked, or invalid when the signature does not match the stored fields.

    A certificate that fails the signature check is invalid whatever else it says: none of its
    fields can be trusted, its revocation included.
    """
    key = verification_key(certificate.key_id)
    if key is None:
        return CertificateStatus.INVALID
    try:
        signature = base64.b64decode(certificate.signature, validate=True)
    except (binascii.Error, ValueError):
        return CertificateStatus.INVALID
    # The key's own algorithm decides: a certificate signed before a switch of suite verifies.
    if not key.verify(canonical_bytes(certificate_payload(certificate)), signature):
        return CertificateStatus.INVALID
    if certificate.revoked_at is not None:
        return CertificateStatus.REVOKED
    if certificate.valid_until and certificate.valid_until < (today or timezone.localdate()):
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def machine_readable(certificate: Certificate) -> dict:
    """The signed payload with its signature, for a verifier that checks it on its own."""
    return {
        "payload": certificate_payload(certificate),
        "signature": certificate.signature,
        "algorithm": key.algorithm if (key := verification_key(certificate.key_id)) else None,
        "signed_bytes": "UTF-8 JSON of the payload, keys sorted, separators ',' and ':'",
        "key_id": certificate.key_id,
    }


# --- issuing and revoking ------------------------------------------------------------------------


def mask_resident_id(resident_id: str) -> str:
    """First 6 and last 4 characters kept: 110105199005170013 → 110105********0013."""
    resident_id = (resident_id or "").strip()
    if len(resident_id) <= 10:
        return "*" * len(resident_id)
    return resident_id[:6] + "*" * (len(resident_id) - 10) + resident_id[-4:]


def certificate_number(application: Application, valid_from: date) -> str:
    # The application's row id makes it unique without a second sequence; "ZZ" for 证照.
    return f"ZZ{valid_from:%Y}{application.pk:08d}"


def years_after(start: date, years: int) -> date:
    """The last day of a validity of `years` years from `start` (29 February → 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = start.replace(year=start.year + years, day=28)
    return anniversary - timedelta(days=1)


def issuing_departments(application: Application) -> str:
    """The departments whose approval the certificate rests on, in the order they reviewed."""
    names = list(
        ReviewTask.objects.filter(
            application=application, stage_order__gt=0, state__in=ReviewTask.APPROVED_STATES
        )
        .order_by("stage_order", "department__code")
        .values_list("department__name", flat=True)
    )
    if not names:
        names = [step.name for step in application.definition.acceptance.steps]
    return "、".join(dict.fromkeys(names))


def _holder(application: Application) -> tuple[str, str, str]:
    """The licensed party (services/parties.py), not whoever filed: a company being founded
    holds its own licence."""
    subject = subject_of(application)
    if subject.is_natural_person:
        # The holder's own certificate carries the full name, never the full ID number.
        return Certificate.HolderKind.NATURAL_PERSON, subject.name, subject.identifier
    return Certificate.HolderKind.ENTERPRISE, subject.name, subject.identifier


@transaction.atomic
def issue_certificate(application: Application) -> Certificate:
    """The signed e-certificate of an approved application; a second call returns the same one.

    Called inside the deciding transaction, so the certificate commits with the approval.
    """
    existing = Certificate.objects.filter(application=application).first()
    if existing is not None:
        return existing
    if application.status != Application.Status.APPROVED:
        raise ValidationError(_("Only an approved application receives an e-certificate."))
    item = application.definition.item
    now = timezone.now()
    valid_from = timezone.localdate(application.decided_at or now)
    years = item.certificate_validity_years
    holder_kind, holder_name, holder_identifier = _holder(application)
    certificate = Certificate(
        application=application,
        number=certificate_number(application, valid_from),
        holder_kind=holder_kind,
        holder_name=holder_name,
        holder_identifier=holder_identifier,
        item_code=item.code,
        item_name=item.name,
        item_name_en=item.name_en,
        scope=item.certificate_scope_or_name,
        valid_from=valid_from,
        valid_until=years_after(valid_from, years) if years else None,
        issuing_departments=issuing_departments(application),
        issued_at=now,
    )
    certificate.signature = sign_certificate(certificate, current_signing_key())
    fields = {
        field.name: getattr(certificate, field.name)
        for field in Certificate._meta.concrete_fields
        if field.name not in {"id", "application"}
    }
    certificate, created = Certificate.objects.get_or_create(
        application=application, defaults=fields
    )
    if created:
        record_event(application, ApplicationEvent.Kind.CERTIFICATE_ISSUED, note=certificate.number)
    return certificate


class AlreadyRevoked(ValidationError):
    pass


@transaction.atomic
def revoke(certificate: Certificate, by, reason: str) -> Certificate:
    """Revoke a certificate for good; the reason is public, shown to whoever verifies it."""
    if not by.has_perm(REVOKE_PERMISSION):
        raise PermissionDenied(_("You may not revoke e-certificates."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason: anyone who verifies the certificate reads it.")}
        )
    now = timezone.now()
    # Conditional on not yet revoked: of two administrators revoking at once, one wins.
    updated = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason, revoked_by=by
    )
    if not updated:
        raise AlreadyRevoked(_("This e-certificate has already been revoked."))
    certificate.refresh_from_db()
    record_event(
        certificate.application,
        ApplicationEvent.Kind.CERTIFICATE_REVOKED,
        actor=by,
        note=reason,
    )
    return certificate


# --- the QR code ---------------------------------------------------------------------------------


def verification_qr_svg(url: str, *, label: str = "") -> str:
    """Inline SVG markup of a QR code for `url`: no image file, no data: URI, no inline style."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage).get_image()
    # Sized by the page's CSS; the URL stays readable to tests, tools and screen readers.
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("data-url", url)
    svg.set("aria-label", label or url)
    title = ElementTree.Element("title")
    title.text = label or url
    svg.insert(0, title)
    return ElementTree.tostring(svg, encoding="unicode")
