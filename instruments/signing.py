"""The departments' seals: keys, their certificates, and the PAdES signature of a PDF.

Each department signs with a P-256 key of its own (settings.INSTRUMENT_SIGNING_KEYS), certified
by the portal's signing authority (settings.INSTRUMENT_ROOT_KEY). The certificates are derived
from the keys, always the same bytes for the same key (deterministic ECDSA, RFC 6979; fixed
validity), so every process, and anyone holding the authority's certificate, agrees on them
without a certificate store. Rotation works as for e-certificates: a department's first key
signs, all its keys verify. A key listed in INSTRUMENT_REVOKED_KEYS is withdrawn: everything it
signed verifies as revoked.

`sign_pdf()` is the one place that signs; switching to the national algorithms (SM2/SM3)
replaces it and `department_certificate()`, nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigner
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from accounts.models import Department

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
ANY_DEPARTMENT = "*"
# Fixed, so that a certificate is the same bytes in every process; the key's life is governed
# by rotation and revocation, not by these dates.
CERTIFICATE_NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
CERTIFICATE_NOT_AFTER = datetime(2075, 1, 1, tzinfo=UTC)
ORGANISATION = "合肥市一站式政务服务门户"
SIGNATURE_FIELD = "Seal"


@dataclass(frozen=True)
class SealKey:
    department_code: str  # or ANY_DEPARTMENT
    key_id: str
    private_key: ec.EllipticCurvePrivateKey


def _p256_key(raw: bytes, what: str) -> ec.EllipticCurvePrivateKey:
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise ImproperlyConfigured(f"{what} is not a valid P-256 private key.") from None


def _raw_key(encoded: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{what} is not the base64 of 32 raw bytes (a P-256 key).")
    return raw


@lru_cache(maxsize=4)
def parse_seal_keys(text: str) -> tuple[SealKey, ...]:
    """The keys of an INSTRUMENT_SIGNING_KEYS value; messages never repeat key material."""
    entries = [entry.strip() for entry in (text or "").split(",") if entry.strip()]
    if not entries:
        raise ImproperlyConfigured("INSTRUMENT_SIGNING_KEYS holds no key.")
    keys: list[SealKey] = []
    for position, entry in enumerate(entries, start=1):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not KEY_ID_PATTERN.match(parts[1].strip()):
            raise ImproperlyConfigured(
                f"INSTRUMENT_SIGNING_KEYS entry {position} is not "
                "'department_code:key_id:base64-key' (a key id is 1 to 32 letters, digits, "
                "'.', '_' or '-'; '*' for every department)."
            )
        department_code, key_id = parts[0].strip(), parts[1].strip()
        if any(key.key_id == key_id for key in keys):
            raise ImproperlyConfigured(f"INSTRUMENT_SIGNING_KEYS lists key {key_id!r} twice.")
        what = f"INSTRUMENT_SIGNING_KEYS key {key_id!r}"
        keys.append(SealKey(department_code, key_id, _p256_key(_raw_key(parts[2], what), what)))
    return tuple(keys)


@lru_cache(maxsize=2)
def parse_root_key(text: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
    key_id, separator, encoded = (text or "").partition(":")
    if not separator or not KEY_ID_PATTERN.match(key_id.strip()):
        raise ImproperlyConfigured("INSTRUMENT_ROOT_KEY is not 'key_id:base64-key'.")
    return key_id.strip(), _p256_key(
        _raw_key(encoded, "INSTRUMENT_ROOT_KEY"), "INSTRUMENT_ROOT_KEY"
    )


def seal_keys() -> tuple[SealKey, ...]:
    return parse_seal_keys(settings.INSTRUMENT_SIGNING_KEYS)


def keys_of(department: Department) -> list[SealKey]:
    """The department's own keys, newest first; the shared ones when it has none."""
    own = [key for key in seal_keys() if key.department_code == department.code]
    return own or [key for key in seal_keys() if key.department_code == ANY_DEPARTMENT]


def signing_key_of(department: Department) -> SealKey:
    keys = keys_of(department)
    if not keys:
        raise ImproperlyConfigured(
            f"INSTRUMENT_SIGNING_KEYS has no key for department {department.code!r} and no '*' key."
        )
    return keys[0]


def is_revoked_key(key_id: str) -> bool:
    return key_id in settings.INSTRUMENT_REVOKED_KEYS


# --- certificates --------------------------------------------------------------------------------


def _name(common_name: str, unit: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _serial(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:16], "big") >> 1


def _usage(*, signs_documents: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signs_documents,
        content_commitment=signs_documents,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signs_documents,
        crl_sign=not signs_documents,
        encipher_only=False,
        decipher_only=False,
    )


@lru_cache(maxsize=2)
def _root(text: str) -> x509.Certificate:
    key_id, key = parse_root_key(text)
    name = _name(f"文书电子印章签发机构 {key_id}")
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial("root", key_id))
        .not_valid_before(CERTIFICATE_NOT_BEFORE)
        .not_valid_after(CERTIFICATE_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signs_documents=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )


def root_certificate() -> x509.Certificate:
    return _root(settings.INSTRUMENT_ROOT_KEY)


@lru_cache(maxsize=256)
def _department_certificate(root_text: str, key: SealKey, code: str, name: str) -> x509.Certificate:
    root_key_id, root_key = parse_root_key(root_text)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name, unit=f"{code} {key.key_id}"))
        .issuer_name(_root(root_text).subject)
        .public_key(key.private_key.public_key())
        .serial_number(_serial("seal", root_key_id, key.key_id, code, name))
        .not_valid_before(CERTIFICATE_NOT_BEFORE)
        .not_valid_after(CERTIFICATE_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signs_documents=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    )


def department_certificate(department: Department, key: SealKey) -> x509.Certificate:
    """The certificate binding `key` to the department's name, issued by the portal's authority."""
    return _department_certificate(
        settings.INSTRUMENT_ROOT_KEY, key, department.code, department.name
    )


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def validation_context() -> ValidationContext:
    """Trusts the portal's authority only; its certificates carry no revocation endpoints."""
    return ValidationContext(
        trust_roots=[_asn1(root_certificate())], allow_fetching=False, revocation_mode="soft-fail"
    )


def root_certificate_pem() -> str:
    return root_certificate().public_bytes(serialization.Encoding.PEM).decode("ascii")


# --- signing -------------------------------------------------------------------------------------


class SealImage(content.PdfContent):
    """The seal drawn by Typst (instruments/rendering.py), imported as the signature's look."""

    def __init__(self, pdf: bytes):
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)))
        name = "/Seal" + uuid.uuid4().hex
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def sign_pdf(
    pdf: bytes,
    *,
    department: Department,
    key: SealKey,
    seal: bytes,
    page: int,
    box: tuple[float, float, float, float],
    reason: str,
) -> bytes:
    """A PAdES baseline signature by the department's key, shown as its seal on `page` in `box`."""
    certificate = _asn1(department_certificate(department, key))
    private_key = asn1_keys.PrivateKeyInfo.load(
        key.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=private_key,
        cert_registry=SimpleCertificateStore.from_certs([_asn1(root_certificate())]),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=department.name,
        name=department.name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = PdfSigner(
        metadata,
        signer,
        stamp_style=StaticStampStyle(background=SealImage(seal), border_width=0),
        new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, on_page=page, box=box),
    ).sign_pdf(writer)
    return output.getvalue()
