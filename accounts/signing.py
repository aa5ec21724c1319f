"""One door for the portal's cryptography: the suite in force, its hash, keyed hash and signatures.

settings.CRYPTO_SUITE chooses between two suites (docs/security.md, "Cryptographic suites"):

- "international": SHA-256, HMAC-SHA256, Ed25519 signatures, Fernet (AES-128-CBC + HMAC-SHA256)
  for personal data at rest;
- "national" (国密, GB/T 39786-2021): SM3, HMAC-SM3, SM2 signatures (GB/T 32918, with the
  default signer id 1234567812345678), SM4-GCM for personal data at rest.

The suite decides how new things are made; it never decides how old ones are checked. Every
hash and signature is stored with the name of its algorithm (an audit entry's `algorithm`, an
anchor's `hash_algorithm` and `signature_algorithm`, a signing key's algorithm), and checking
uses that name. Switching suites therefore works like a key rotation: what was issued before
the switch still verifies after it, as long as its key stays listed.

SHA-256, SM3, HMAC and SM4 come from `cryptography` (OpenSSL); SM2 from `gmssl-pyx`, bindings of
GmSSL (the reference implementation of the national algorithms), chosen over gmssl, gmalg and
tongsuopy by the comparison in docs/security.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

INTERNATIONAL = "international"
NATIONAL = "national"
SUITES = (INTERNATIONAL, NATIONAL)

SHA256 = "sha256"
SM3 = "sm3"
HASH_ALGORITHMS = (SHA256, SM3)

ED25519 = "Ed25519"
SM2 = "SM2"
SIGNATURE_ALGORITHMS = (ED25519, SM2)

SM2_SIGNER_ID = b"1234567812345678"  # GB/T 35276-2017 5.3: the default user id

_SUITE_HASH = {INTERNATIONAL: SHA256, NATIONAL: SM3}
_SUITE_SIGNATURE = {INTERNATIONAL: ED25519, NATIONAL: SM2}
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def current_suite() -> str:
    suite = getattr(settings, "CRYPTO_SUITE", INTERNATIONAL) or INTERNATIONAL
    if suite not in SUITES:
        raise ImproperlyConfigured(
            f"CRYPTO_SUITE is {suite!r}; it is 'international' or 'national'."
        )
    return suite


def hash_algorithm(suite: str | None = None) -> str:
    """The hash new audit entries, anchors and blind indexes are made with."""
    return _SUITE_HASH[suite or current_suite()]


def signature_algorithm(suite: str | None = None) -> str:
    return _SUITE_SIGNATURE[suite or current_suite()]


# --- hashes ------------------------------------------------------------------------------------


def digest(data: bytes, algorithm: str) -> bytes:
    if algorithm == SHA256:
        return hashlib.sha256(data).digest()
    if algorithm == SM3:
        hasher = hashes.Hash(hashes.SM3())
        hasher.update(data)
        return hasher.finalize()
    raise ValueError(f"Unknown hash algorithm {algorithm!r}.")


def hexdigest(data: bytes, algorithm: str) -> str:
    return digest(data, algorithm).hex()


def keyed_hexdigest(key: bytes, data: bytes, algorithm: str) -> str:
    """HMAC-SHA256 or HMAC-SM3 (both 32 bytes, hex): the blind indexes' keyed hash."""
    if algorithm == SHA256:
        return crypto_hmac_hex(key, data, hashes.SHA256())
    if algorithm == SM3:
        return crypto_hmac_hex(key, data, hashes.SM3())
    raise ValueError(f"Unknown hash algorithm {algorithm!r}.")


def crypto_hmac_hex(key: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> str:
    mac = crypto_hmac.HMAC(key, algorithm)
    mac.update(data)
    return mac.finalize().hex()


# --- signatures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A private key with its id and algorithm; the public half verifies."""

    key_id: str
    algorithm: str
    private_bytes: bytes
    public_bytes: bytes

    @property
    def public_key_base64(self) -> str:
        return base64.b64encode(self.public_bytes).decode("ascii")

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == ED25519:
            return Ed25519PrivateKey.from_private_bytes(self.private_bytes).sign(data)
        import gmssl_pyx

        return gmssl_pyx.sm2_sign(
            self.private_bytes, self.public_bytes, data, signer_id=SM2_SIGNER_ID
        )

    def verify(self, data: bytes, signature: bytes) -> bool:
        return verify_signature(self.algorithm, self.public_bytes, data, signature)


def verify_signature(algorithm: str, public_bytes: bytes, data: bytes, signature: bytes) -> bool:
    """Whether `signature` is `algorithm`'s signature of `data` by the holder of the public key."""
    if algorithm == ED25519:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(public_bytes).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True
    if algorithm == SM2:
        import gmssl_pyx

        try:
            return bool(
                gmssl_pyx.sm2_verify(public_bytes, data, signature, signer_id=SM2_SIGNER_ID)
            )
        except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError, ValueError):
            return False
    return False


def _ed25519_key(key_id: str, raw: bytes) -> SigningKey:
    public = (
        Ed25519PrivateKey.from_private_bytes(raw)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return SigningKey(key_id, ED25519, raw, public)


def _sm2_key(key_id: str, raw: bytes, setting: str) -> SigningKey:
    # gmssl-pyx cannot derive the public half, so the setting holds both (private || public);
    # a pair that does not belong together is caught here, not at the first signature.
    key = SigningKey(key_id, SM2, raw[:32], raw[32:])
    probe = b"portal key check"
    if not key.verify(probe, key.sign(probe)):
        raise ImproperlyConfigured(
            f"{setting} key {key_id!r}: the SM2 private and public halves do not match."
        )
    return key


@lru_cache(maxsize=16)
def parse_signing_keys(text: str, setting: str) -> tuple[SigningKey, ...]:
    """The keys of a signing-key setting; messages never repeat key material.

    Each entry is "key_id:base64" (an Ed25519 key: 32 raw private bytes) or
    "key_id:sm2:base64" (an SM2 key: 32 private bytes then the 64-byte public point),
    separated by commas. Keys of both algorithms may be listed together: that is how a switch
    of suite keeps what was signed before it verifiable.
    """
    entries = [entry.strip() for entry in (text or "").split(",") if entry.strip()]
    if not entries:
        raise ImproperlyConfigured(f"{setting} holds no key.")
    keys: list[SigningKey] = []
    for position, entry in enumerate(entries, start=1):
        parts = [part.strip() for part in entry.split(":")]
        if len(parts) == 2:
            key_id, algorithm, encoded = parts[0], ED25519, parts[1]
        elif len(parts) == 3 and parts[1].lower() in ("sm2", "ed25519"):
            key_id, encoded = parts[0], parts[2]
            algorithm = SM2 if parts[1].lower() == "sm2" else ED25519
        else:
            key_id, algorithm, encoded = "", "", ""
        if not KEY_ID_PATTERN.match(key_id):
            raise ImproperlyConfigured(
                f"{setting} entry {position} is not 'key_id:base64-key' or 'key_id:sm2:base64-key' "
                "(a key id is 1 to 32 letters, digits, '.', '_' or '-')."
            )
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        expected = 32 if algorithm == ED25519 else 96
        if len(raw) != expected:
            raise ImproperlyConfigured(
                f"{setting} key {key_id!r} is not the base64 of {expected} raw bytes "
                f"(an {algorithm} key{'' if algorithm == ED25519 else ': private then public'})."
            )
        if any(key.key_id == key_id for key in keys):
            raise ImproperlyConfigured(f"{setting} lists key {key_id!r} twice.")
        keys.append(
            _ed25519_key(key_id, raw) if algorithm == ED25519 else _sm2_key(key_id, raw, setting)
        )
    return tuple(keys)


def signing_key(keys: tuple[SigningKey, ...], setting: str) -> SigningKey:
    """The first listed key of the suite in force: the one that signs now."""
    algorithm = signature_algorithm()
    for key in keys:
        if key.algorithm == algorithm:
            return key
    raise ImproperlyConfigured(
        f"CRYPTO_SUITE is {current_suite()!r} but {setting} lists no {algorithm} key "
        f"(manage.py generate_signing_key --algorithm {algorithm.lower()})."
    )


def find_key(keys: tuple[SigningKey, ...], key_id: str) -> SigningKey | None:
    return next((key for key in keys if key.key_id == key_id), None)


def generate_key_entry(key_id: str, algorithm: str) -> str:
    """A new setting entry for a key: what `manage.py generate_signing_key` prints."""
    if algorithm == SM2:
        import gmssl_pyx

        public, private = gmssl_pyx.sm2_key_generate()
        return f"{key_id}:sm2:{base64.b64encode(private + public).decode('ascii')}"
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return f"{key_id}:{base64.b64encode(raw).decode('ascii')}"
