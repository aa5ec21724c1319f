"""A forgotten password: a code to the account's verified e-mail address, then a new password.

Asking answers the same whether or not an account matches (issue 14, item 11): a code goes out
only to an active account whose address was verified (a registration code came back to it), at
most RATE_LIMITS["password_reset_account"] times per account, and nothing else differs — the
page, its timing (the e-mail leaves from a worker) and what a wrong code says. A new password
ends every session of the account (the session hash includes the password hash), is written to
the audit log, and its holder is told in the inbox and by e-mail, so a reset they did not ask
for does not go unnoticed.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from common.ratelimits import seconds_until_allowed

from . import email_codes, notifications
from .audit import record
from .models import User


def account_for(login: str) -> User | None:
    """The active account with this user name, or this verified e-mail address, if exactly one."""
    login = login.strip()
    if not login:
        return None
    matches = list(
        User.objects.filter(is_active=True, email_verified_at__isnull=False)
        .exclude(email="")
        .filter(Q(username=login) | Q(email__iexact=login))[:2]
    )
    return matches[0] if len(matches) == 1 else None


def request_reset(request: HttpRequest, login: str, *, language: str) -> None:
    """Remember a reset in this session; e-mail its code if an account matches and may get one."""
    user = account_for(login)
    if user is not None and _account_may_get_a_code(request, user):
        code = email_codes.new_code()
        email_codes.remember(
            request.session, email_codes.PASSWORD_RESET, code=code, data={"user_id": user.pk}
        )
        email_codes.send_code(
            user.email, purpose=email_codes.PASSWORD_RESET, code=code, language=language
        )
        return
    email_codes.remember(
        request.session, email_codes.PASSWORD_RESET, code=None, data={"user_id": None}
    )


def _account_may_get_a_code(request: HttpRequest, user: User) -> bool:
    # Per account, whatever the address asking: nobody can flood a mailbox with codes.
    return (
        seconds_until_allowed(
            request, "password_reset_account", key=lambda group, request: f"user:{user.pk}"
        )
        is None
    )


def user_for_code(session: SessionBase, code: str) -> User | None:
    """The account a right code unlocks (the code stays usable until the password is set)."""
    data = email_codes.check(session, email_codes.PASSWORD_RESET, code)
    if data is None or data.get("user_id") is None:
        return None
    return User.objects.filter(pk=data["user_id"], is_active=True).first()


def validate_new_password(password: str, user: User) -> None:
    password_validation.validate_password(password, user)


def reset_password(session: SessionBase, user: User, password: str) -> None:
    """Set the new password, end the code, log it and tell the holder."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        email_codes.forget(session, email_codes.PASSWORD_RESET)
        record("auth.password_reset", obj=user, actor=user)
        notifications.notify(
            [user],
            "password_reset",
            key=f"password-reset:{timezone.now().timestamp():.6f}",
            context={"reset_at": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
            url=reverse("accounts:login"),
        )
