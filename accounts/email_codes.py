"""One-time codes sent by e-mail: proving an address at registration, and resetting a password.

Both answer the same way whether or not there is an account behind what was typed, so neither
page tells a stranger who is registered (issue 14, items 7 and 11). The code waits in the
requester's own session — a salted HMAC of it, its expiry and the attempts left, with the data
it unlocks encrypted (accounts/crypto.py) — never in clear, and never anywhere another browser
could find it. When there is nothing to send to (the ID number already has an account, no
account or no verified address matches), a code nobody received is remembered instead: every
guess then fails exactly as a mistyped code does.

The e-mail itself leaves through a Celery task, as notifications do, so the page answers in
the same time whether a code was sent or the holder was notified instead.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare, salted_hmac

from . import crypto

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
ATTEMPTS = 5
REGISTRATION = "registration"
PASSWORD_RESET = "password_reset"


def _session_key(purpose: str) -> str:
    return f"email_code:{purpose}"


def _digest(salt: str, code: str) -> str:
    return salted_hmac("accounts.email_codes", f"{salt}:{code}").hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def remember(session: SessionBase, purpose: str, *, code: str | None, data: dict) -> None:
    """Keep `code` (or, with None, one that nobody was sent) and the data it will unlock."""
    salt = secrets.token_hex(8)
    session[_session_key(purpose)] = {
        "salt": salt,
        "digest": _digest(salt, code if code is not None else new_code() + "-unsent"),
        "expires": time.time() + CODE_LIFETIME.total_seconds(),
        "attempts_left": ATTEMPTS,
        "data": crypto.encrypt(json.dumps(data)),
    }


def is_pending(session: SessionBase, purpose: str) -> bool:
    pending = session.get(_session_key(purpose))
    return bool(pending) and pending["expires"] > time.time() and pending["attempts_left"] > 0


def pending_data(session: SessionBase, purpose: str) -> dict | None:
    """The data kept with a code still pending (what the confirmation page may show)."""
    if not is_pending(session, purpose):
        return None
    return json.loads(crypto.decrypt(session[_session_key(purpose)]["data"]))


def check(session: SessionBase, purpose: str, code: str) -> dict | None:
    """The data a right code unlocks (the code stays pending until `forget`); None for a wrong
    or expired one. After ATTEMPTS wrong codes the pending code is gone: the person asks again,
    which the rate limits count."""
    key = _session_key(purpose)
    if not is_pending(session, purpose):
        session.pop(key, None)
        return None
    pending = session[key]
    if constant_time_compare(pending["digest"], _digest(pending["salt"], code.strip())):
        return json.loads(crypto.decrypt(pending["data"]))
    pending["attempts_left"] -= 1
    session[key] = pending
    return None


def redeem(session: SessionBase, purpose: str, code: str) -> dict | None:
    """As `check`, and a right code is used up."""
    data = check(session, purpose, code)
    if data is not None:
        forget(session, purpose)
    return data


def forget(session: SessionBase, purpose: str) -> None:
    session.pop(_session_key(purpose), None)


def send_code(address: str, *, purpose: str, code: str, language: str) -> None:
    """E-mail the code from a worker; a broker that is down only means asking again later."""
    from .tasks import email_one_time_code

    try:
        email_one_time_code.delay(address, purpose, code, language)
    except Exception:
        logger.warning("Broker unavailable; a %s code was not sent", purpose)


def masked_address(address: str) -> str:
    """z*******@example.cn: enough for the person to recognise their own address."""
    name, _at, domain = address.partition("@")
    if not domain:
        return "*" * len(address)
    return f"{name[:1]}{'*' * max(len(name) - 1, 3)}@{domain}"
