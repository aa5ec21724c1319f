"""Is this PDF an instrument the portal issued, unchanged? valid / altered / revoked / unknown.

A copy that is byte for byte the stored instrument, whose signature pyHanko validates against
the portal's signing authority, is valid (or revoked, when the instrument or its key was). A
file that claims to be an instrument (its metadata names one, or it carries a signature of the
portal's authority) but differs from it is altered. Anything else is unknown. The answer names
the instrument's number, kind, issuer and date: never the party.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .models import Instrument
from .signing import is_revoked_key, root_certificate, validation_context

logger = logging.getLogger(__name__)
TOKEN_MARK = re.compile(rb"portal-instrument:([0-9a-f]{32})")


class Verdict(models.TextChoices):
    VALID = "valid", _("Valid")
    ALTERED = "altered", _("Altered")
    REVOKED = "revoked", _("Revoked")
    UNKNOWN = "unknown", _("Unknown")


class NotAPdf(ValueError):
    pass


@dataclass(frozen=True)
class Verification:
    verdict: str
    instrument: Instrument | None = None
    explanation: str = ""

    def as_dict(self) -> dict:
        """The public answer (page and API alike): no party, no case, nothing personal."""
        instrument = self.instrument
        return {
            "result": self.verdict,
            "explanation": str(self.explanation),
            "number": instrument.number if instrument else None,
            "kind": instrument.kind if instrument else None,
            "kind_label": str(instrument.get_kind_display()) if instrument else None,
            "issuer": instrument.department.name if instrument else None,
            "dated": instrument.dated.isoformat() if instrument else None,
            "revoked_at": instrument.revoked_at.isoformat()
            if instrument and instrument.revoked_at
            else None,
            "revoked_reason": instrument.revoked_reason if instrument else None,
        }


def check_upload(data: bytes) -> None:
    """Refuse what cannot be an instrument before reading it: too large, or not a PDF."""
    if len(data) > settings.INSTRUMENT_VERIFY_MAX_BYTES:
        raise NotAPdf(
            _("The file is larger than %(size)s MB: no instrument is that large.")
            % {"size": settings.INSTRUMENT_VERIFY_MAX_BYTES // (1024 * 1024)}
        )
    # The magic number, wherever the file says it is (PDF allows up to 1 KB of junk first).
    if b"%PDF-" not in data[:1024]:
        raise NotAPdf(_("This file is not a PDF."))


def _instruments():
    return Instrument.objects.defer("pdf").select_related("department")


def verify_pdf(data: bytes) -> Verification:
    check_upload(data)
    digest = hashlib.sha256(data).hexdigest()
    instrument = _instruments().filter(sha256=digest).first()
    if instrument is not None:
        if not signature_is_sound(data):
            # Stored and uploaded bytes are the same, so the stored copy is broken: say so.
            logger.error("Stored instrument %s does not validate", instrument.number)
            return Verification(
                Verdict.ALTERED, instrument, _("The signature of this file does not validate.")
            )
        if instrument.revoked_at or is_revoked_key(instrument.key_id):
            return Verification(
                Verdict.REVOKED,
                instrument,
                _("This instrument was issued by the portal but has since been revoked."),
            )
        return Verification(
            Verdict.VALID,
            instrument,
            _("This file is the instrument as issued, and its seal (signature) is valid."),
        )
    claimed = claimed_instrument(data)
    if claimed is not None:
        return Verification(
            Verdict.ALTERED,
            claimed,
            _(
                "This file claims to be the instrument below but is not the file that was "
                "issued: it has been changed since. Do not rely on it; ask for the original."
            ),
        )
    if signed_by_the_portal(data):
        return Verification(
            Verdict.ALTERED,
            None,
            _("This file carries a seal of the portal but was changed after it was sealed."),
        )
    return Verification(
        Verdict.UNKNOWN, None, _("The portal did not issue this file: no instrument matches it.")
    )


def claimed_instrument(data: bytes) -> Instrument | None:
    for match in TOKEN_MARK.finditer(data):
        found = _instruments().filter(token=uuid.UUID(match.group(1).decode())).first()
        if found is not None:
            return found
    return None


def _signatures(data: bytes):
    try:
        return PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # a PDF broken enough that no parser reads it has no signature we trust
        return []


def signature_is_sound(data: bytes) -> bool:
    """pyHanko validates the signature: intact, by a key the portal's authority certified,
    and covering the whole file."""

    signatures = _signatures(data)
    if len(signatures) != 1:
        return False
    try:
        status = validate_pdf_signature(signatures[0], validation_context())
    except (SignatureValidationError, ValueError, KeyError):
        return False
    return bool(
        status.intact
        and status.valid
        and status.trusted
        and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    )


def signed_by_the_portal(data: bytes) -> bool:
    """Whether any signature in the file claims a certificate of the portal's authority."""

    root = asn1_x509.Certificate.load(root_certificate().public_bytes(serialization.Encoding.DER))
    for signature in _signatures(data):
        try:
            if signature.signer_cert.issuer == root.subject:
                return True
        except Exception:
            continue
    return False
