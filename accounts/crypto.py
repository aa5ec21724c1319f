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

import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .identity import normalize_identifier

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
    return encryption().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, *, where: str = "a stored value") -> str:
    try:
        return encryption().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValueError(
            f"{where} cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS. "
            "Was a key removed before `manage.py rotate_encryption_keys` re-encrypted everything, "
            "or was the column written without the ORM?"
        ) from None


def is_token(value: str) -> bool:
    """Whether the value is a token one of the configured keys opens (not plaintext)."""
    try:
        encryption().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def is_under_primary_key(token: str) -> bool:
    try:
        primary_key_fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def rotate(token: str) -> str:
    """The same plaintext (and timestamp) encrypted with the first key; raises if no key opens it."""
    try:
        return encryption().rotate(token.encode("ascii")).decode("ascii")
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
    """HMAC-SHA256 (hex) of the normalised value, prefixed by its kind; "" for no value.

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
    return hmac.new(blind_index_key(), message, hashlib.sha256).hexdigest()
