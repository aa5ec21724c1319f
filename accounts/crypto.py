"""Encryption at rest of personal identifiers, and the keyed hashes that find them again.

Resident ID numbers, mobile numbers and addresses are stored as Fernet tokens (AES-128-CBC
with a random IV, authenticated by HMAC-SHA256; `cryptography`'s recipe). The keys come from
settings.FIELD_ENCRYPTION_KEYS: the first one encrypts, every one decrypts, so a new key can be
put in front, the data re-encrypted (`manage.py rotate_encryption_keys`) and the old key then
dropped without a moment where some row cannot be read.

A Fernet token is different each time the same value is encrypted, so the database cannot
compare two of them. Equality — "is this ID number already registered?" — goes through a
blind index instead: HMAC-SHA256 of the normalised value under settings.BLIND_INDEX_KEY, a key
of its own, so that someone holding a database dump cannot test guesses against it (a plain
SHA-256 of an 18-character ID number, whose first 14 characters are a region and a birth date,
is reversed by enumeration in minutes). See docs/security.md, "Personal data at rest".
"""

import base64
import binascii
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import signing
from .identity import normalize_identifier

# Under the national suite (CRYPTO_SUITE = "national") values are SM4-GCM tokens:
# "sm4:" + base64url(4-byte key fingerprint, 12-byte nonce, ciphertext and 16-byte tag). The
# SM4 key is derived from each FIELD_ENCRYPTION_KEYS entry with HKDF-SM3, so one key list serves
# both suites and rotates the same way; a Fernet token never starts with "sm4:".
SM4_PREFIX = "sm4:"
SM4_INFO = b"portal field encryption: SM4-GCM"

# An HMAC key shorter than the hash's output weakens it; 32 characters of
# `secrets.token_urlsafe(32)` carry about 190 bits.
MIN_BLIND_INDEX_KEY_LENGTH = 32

# What the demo settings use; a deploy check warns when one of them reaches production.
DEMO_KEY_MARKER = "demo-only"


class UndecryptableValueError(Exception):
    """A stored token that none of FIELD_ENCRYPTION_KEYS opens.

    Either a key was removed before `rotate_encryption_keys` had moved every value to the
    newer ones, the keys of another deployment are configured, or the column was written
    around the ORM. Never answered with the raw token or an empty string: a wrong value
    shown as a citizen's ID number would be worse than an error.
    """


# --- keys ------------------------------------------------------------------------------------


def configured_encryption_keys() -> tuple[str, ...]:
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", ())
    if isinstance(keys, str):
        keys = keys.split(",")
    return tuple(key.strip() for key in keys if key and key.strip())


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: give at least one Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            # The key itself is never repeated in the message: it may end up in a log.
            raise ImproperlyConfigured(
                f"Key number {position} of FIELD_ENCRYPTION_KEYS is not a Fernet key "
                "(32 url-safe base64-encoded bytes, as Fernet.generate_key() makes)."
            ) from None
    return tuple(fernets)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(list(_fernets(keys)))


@lru_cache(maxsize=8)
def _sm4_keys(keys: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
    """(fingerprint, 16-byte SM4 key) for each configured key, in order."""
    _fernets(keys)  # the same checks, and the same messages, as for Fernet
    derived = []
    for configured in keys:
        secret = base64.urlsafe_b64decode(configured.encode("ascii"))
        key = HKDF(algorithm=hashes.SM3(), length=16, salt=None, info=SM4_INFO).derive(secret)
        derived.append((signing.digest(key, signing.SM3)[:4], key))
    return tuple(derived)


def _sm4_encrypt(plaintext: bytes, fingerprint: bytes, key: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    sealed = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag
    return SM4_PREFIX + base64.urlsafe_b64encode(fingerprint + nonce + sealed).decode("ascii")


def _sm4_decrypt(token: str) -> bytes:
    """The plaintext of an "sm4:" token; InvalidToken if no configured key opens it."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        raw = base64.urlsafe_b64decode(token[len(SM4_PREFIX) :].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise InvalidToken from None
    fingerprint, nonce, sealed = raw[:4], raw[4:16], raw[16:]
    if len(sealed) < 16:
        raise InvalidToken
    for known, key in _sm4_keys(configured_encryption_keys()):
        if known != fingerprint:
            continue
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-16:])).decryptor()
        try:
            return decryptor.update(sealed[:-16]) + decryptor.finalize()
        except InvalidTag:
            break
    raise InvalidToken


def _open(token: str) -> bytes:
    if token.startswith(SM4_PREFIX):
        return _sm4_decrypt(token)
    return encryption().decrypt(token.encode("ascii"))


def encryption() -> MultiFernet:
    """All configured keys: the first encrypts, each decrypts."""
    return _multi_fernet(configured_encryption_keys())


def primary_key_fernet() -> Fernet:
    """Only the first key: what every value must be encrypted with once rotation is done."""
    return _fernets(configured_encryption_keys())[0]


def blind_index_key() -> bytes:
    key = getattr(settings, "BLIND_INDEX_KEY", "") or ""
    if len(key) < MIN_BLIND_INDEX_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"BLIND_INDEX_KEY must be at least {MIN_BLIND_INDEX_KEY_LENGTH} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return key.encode()


# --- values ----------------------------------------------------------------------------------


def encrypt(plaintext: str) -> str:
    """A token under the first key, in the suite in force (Fernet, or SM4-GCM if national)."""
    if signing.current_suite() == signing.NATIONAL:
        fingerprint, key = _sm4_keys(configured_encryption_keys())[0]
        return _sm4_encrypt(plaintext.encode(), fingerprint, key)
    return encryption().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, *, where: str = "a stored value") -> str:
    """The plaintext of a token of either suite: a switch of suite leaves every value readable."""
    try:
        return _open(token).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValueError(
            f"{where} cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS. "
            "Was a key removed before `manage.py rotate_encryption_keys` re-encrypted everything, "
            "or was the column written without the ORM?"
        ) from None


def is_token(value: str) -> bool:
    """Whether the value is a token one of the configured keys opens (not plaintext)."""
    try:
        _open(value)
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def is_under_primary_key(token: str) -> bool:
    """Whether the token is under the first key *and* in the suite in force."""
    if signing.current_suite() == signing.NATIONAL:
        if not token.startswith(SM4_PREFIX):
            return False
        fingerprint = _sm4_keys(configured_encryption_keys())[0][0]
        try:
            raw = base64.urlsafe_b64decode(token[len(SM4_PREFIX) :].encode("ascii"))
            _sm4_decrypt(token)
        except (binascii.Error, ValueError, InvalidToken, UnicodeEncodeError):
            return False
        return raw[:4] == fingerprint
    if token.startswith(SM4_PREFIX):
        return False
    try:
        primary_key_fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def rotate(token: str) -> str:
    """The same plaintext under the first key and the suite in force; raises if no key opens it.

    Fernet to Fernet keeps the token's timestamp (MultiFernet.rotate); across suites the value
    is decrypted and encrypted again, which is what a switch of suite asks of
    `manage.py rotate_encryption_keys`.
    """
    try:
        if signing.current_suite() == signing.INTERNATIONAL and not token.startswith(SM4_PREFIX):
            return encryption().rotate(token.encode("ascii")).decode("ascii")
        return encrypt(_open(token).decode())
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValueError(
            "A stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from None


# --- blind index -----------------------------------------------------------------------------


def _digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# Two spellings of the same number must give the same index: " 11010519491231002x " and
# "11010519491231002X" are one person.
BLIND_INDEX_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "resident_id": normalize_identifier,
    "mobile": _digits_only,
}


def blind_index(kind: str, value: str | None) -> str:
    """HMAC-SHA256 (HMAC-SM3 under the national suite; hex) of the normalised value, prefixed
    by its kind; "" for no value. A switch of suite is a change of index like a change of key:
    `manage.py reindex_blind_index` recomputes them.

    The prefix keeps indexes of different kinds apart: the same digits as a mobile number and
    as part of something else never share an index value.
    """
    if ":" in kind:
        raise ValueError("A blind index kind cannot contain ':'.")
    normalize = BLIND_INDEX_NORMALIZERS.get(kind, str.strip)
    normalized = normalize(value or "")
    if not normalized:
        return ""
    message = f"{kind}:{normalized}".encode()
    return signing.keyed_hexdigest(blind_index_key(), message, signing.hash_algorithm())
