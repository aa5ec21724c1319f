"""Logging people in for tests the way the portal would, second factor included.

Civil servants and administrators reach no page until their TOTP code is verified
(accounts/middleware.py). `log_in(client, user)` does what a full login does: the password
step (force_login) and, for them, the TOTP step, by giving them a confirmed device and
recording it in the session as django_otp.login() would.
"""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import requires_two_factor


def totp_device_for(user, *, confirmed: bool = True) -> TOTPDevice:
    """The user's authenticator app, created if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=confirmed)


def current_code(device: TOTPDevice) -> str:
    """The code the person's phone shows now (the clock is time-machine's when it travels)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def mark_second_factor_verified(client: Client, user) -> TOTPDevice:
    device = totp_device_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def log_in(client: Client, user, *, second_factor: bool = True) -> Client:
    """Log `user` in on `client`; staff also pass the TOTP step unless second_factor=False."""
    client.force_login(user)
    if second_factor and requires_two_factor(user):
        mark_second_factor_verified(client, user)
    return client


def pass_second_factor(client: Client, user) -> None:
    """After the password, go through the TOTP pages as the person would: enrol an
    authenticator app if they have none (reading the secret the page shows), then enter a code."""
    from django.urls import reverse

    verify = client.get(reverse("accounts:otp_verify"))
    if verify.status_code == 302 and verify["Location"].startswith(reverse("accounts:otp_enrol")):
        enrol_page = client.get(verify["Location"])
        assert enrol_page.status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        url = reverse("accounts:otp_enrol")
    else:
        assert verify.status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        url = reverse("accounts:otp_verify")
    response = client.post(url, {"code": current_code(device)})
    assert response.status_code == 302, "the TOTP code was refused"


def emailed_code(address: str, *, timeout: float = 10.0) -> str:
    """The 6-digit code the Celery worker e-mailed to `address` last (tests use locmem mail)."""
    import re
    import time

    from django.core import mail

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(mail.outbox):
            if address in message.to and (found := re.search(r"\b(\d{6})\b", message.subject)):
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"No code was e-mailed to {address}")


def register_through_the_portal(client: Client, data: dict, *, kind: str = "citizen", query=""):
    """Fill the registration form, then enter the code e-mailed to its address, as a person does.
    Needs the `celery_worker` fixture: the code leaves from a worker. Returns the last response."""
    from django.urls import reverse

    form_url = reverse(f"accounts:register_{kind}") + query
    first = client.post(form_url, data)
    if first.status_code != 302:
        return first  # the form with its errors
    return client.post(first["Location"], {"code": emailed_code(data["email"])})
