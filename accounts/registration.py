"""Registering: the answer is the same whether or not the ID number already has an account.

A valid form leads to "enter the code we sent to your address" in every case (issue 14, item
7). A new identity gets the code at the address given; the account is opened, with that address
verified, when the code comes back. An ID number that already has an account gets no code —
its holder is told in their inbox and by e-mail instead (the notifications path), and whatever
the registrant types fails as a mistyped code does. The page therefore never tells a stranger
whether someone is registered; the holder learns that someone tried.
"""

from __future__ import annotations

from uuid import uuid4

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import email_codes, notifications
from .models import User

# What the pending registration keeps, to open the account once the code comes back.
KEPT_FIELDS = (
    "username",
    "real_name",
    "resident_id",
    "mobile",
    "email",
    "enterprise_name",
    "credit_code",
)


def begin_registration(
    session: SessionBase,
    *,
    kind: str,
    cleaned_data: dict,
    existing_holder: User | None,
    language: str,
) -> None:
    """Remember the registration and e-mail its code, or tell the holder of the ID number."""
    data = {name: cleaned_data.get(name, "") for name in KEPT_FIELDS}
    data.update(kind=kind, password=make_password(cleaned_data["password1"]), language=language)
    if existing_holder is None:
        code = email_codes.new_code()
        email_codes.remember(session, email_codes.REGISTRATION, code=code, data=data)
        email_codes.send_code(
            data["email"], purpose=email_codes.REGISTRATION, code=code, language=language
        )
        return
    email_codes.remember(session, email_codes.REGISTRATION, code=None, data=data)
    attempted_at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    notifications.notify(
        [existing_holder],
        "registration_attempted",
        key=f"registration-attempted:{uuid4().hex}",
        context={"attempted_at": attempted_at},
        url=reverse("accounts:login"),
    )


class RegistrationFailed(Exception):
    """The code was right but the account could not be opened (taken meanwhile)."""


def complete_registration(data: dict) -> User:
    """Open the account the code unlocked; its e-mail address is verified by that code."""
    user = User(
        kind=data["kind"],
        password=data["password"],
        email_verified_at=timezone.now(),
        preferred_language=data.get("language", ""),
        **{name: data.get(name, "") for name in KEPT_FIELDS},
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # a user name or ID number taken since the first step
        raise RegistrationFailed from error
    return user
