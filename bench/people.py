"""Logged-in sessions for the load driver, made the way a login would leave them.

A session row holds what `django.contrib.auth.login` stores, plus, for civil servants, the
verified TOTP device that `django_otp.login` records after the second step (the same thing
tests/authentication.py does for the test client). Logging in through the form a thousand
times would measure Argon2 and the lock-out counters, not the pages under test.
"""

from __future__ import annotations

import secrets
from importlib import import_module

FILING_ITEM = "information-disclosure-request"  # open to everyone, asks for no upload
QUEUE_DEPARTMENTS = ("market", "tax", "police", "hrss")  # the four of business start-up


def session_for(user) -> str:
    """A session key that authenticates `user`, second factor passed if they need one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.two_factor import requires_two_factor

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if requires_two_factor(user):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        device = device or TOTPDevice.objects.create(user=user, name="Bench", confirmed=True)
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key


def _cookies(user) -> dict[str, str]:
    # The CSRF cookie holds the secret; forms carry a masked copy of it (Django's CSRF rules).
    return {"sessionid": session_for(user), "csrftoken": secrets.token_hex(16)}


def bench_people(*, applicants: int = 64, filers: int = 400) -> dict:
    """Sessions for each kind of visitor the load driver plays, and what each of them opens."""
    from accounts.models import Membership, User
    from services.models import Application

    reviewers = [
        _cookies(m.user)
        for m in Membership.objects.filter(
            department__code__in=QUEUE_DEPARTMENTS, role=Membership.Role.REVIEWER
        ).select_related("user")
    ]
    cases = (
        Application.objects.filter(
            status=Application.Status.IN_REVIEW,
            item__code="business-startup",
            applicant__username__startswith="bench-",
        )
        .order_by("applicant_id", "-id")
        .distinct("applicant_id")
        .values_list("applicant_id", "pk")[:applicants]
    )
    owners = User.objects.in_bulk([applicant for applicant, _ in cases])
    status = [{**_cookies(owners[applicant]), "case": pk} for applicant, pk in cases]
    citizens = User.objects.filter(kind=User.Kind.CITIZEN, username__startswith="bench-")
    filing = [_cookies(user) for user in citizens.order_by("-pk")[:filers]]
    return {"reviewers": reviewers, "applicants": status, "filers": filing}
