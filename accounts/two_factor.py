"""Two-factor authentication (TOTP, RFC 6238) for civil servants and administrators.

GB/T 22239-2019 level 3 (8.1.4.1 身份鉴别 c) asks for two or more authentication techniques,
one of them cryptographic, for those who administer or process; OWASP ASVS 4.0 V2.7/V2.8 for
out-of-band or time-based one-time passwords. Applicants (citizens, enterprises) are not forced.

After the password, a person who needs a second factor is "half logged in": the
`TwoFactorRequiredMiddleware` (accounts/middleware.py) lets them reach nothing but the pages
here until a code from their authenticator app is accepted. A person without a confirmed
device enrols first: the page shows a QR code and the secret for manual entry, and the device
counts only once a code from it has been entered.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

# The ElementTree qrcode builds its SVG with: lxml's when installed (pyHanko needs it), else the
# standard library's; the title added below must be an element of the same kind.
from qrcode.compat.etree import ET as ElementTree

from .models import User
from .reauth import mark_authenticated

DEVICE_NAME = "Authenticator app"


def requires_two_factor(user: User) -> bool:
    """Civil servants and anyone who can enter the Django admin must use a second factor."""
    return bool(
        user.is_authenticated
        and (user.kind == User.Kind.STAFF or user.is_staff or user.is_superuser)
    )


def idle_seconds(user: User) -> int:
    """How long this person's session (or API token) lives without a request."""
    if requires_two_factor(user):
        return settings.STAFF_SESSION_IDLE_SECONDS
    return settings.APPLICANT_SESSION_IDLE_SECONDS


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: User) -> TOTPDevice:
    """The device being enrolled: unconfirmed until a code from it is entered."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def check_code(device: TOTPDevice, code: str) -> bool:
    """True if `code` is the device's current code (each code is accepted once: replay fails).

    Wrong codes are throttled by django-otp: after n failures in a row the device refuses
    every code for 2^(n-1) seconds (OTP_TOTP_THROTTLE_FACTOR).
    """
    allowed, _ = device.verify_is_allowed()
    return bool(allowed and device.verify_token(code.strip().replace(" ", "")))


def is_throttled(device: TOTPDevice) -> bool:
    allowed, _ = device.verify_is_allowed()
    return not allowed


def confirm_device(device: TOTPDevice) -> None:
    """An enrolled device counts from now on; any other half-enrolled one is dropped."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()


def complete_login(request, device: TOTPDevice) -> None:
    """The second factor is accepted: the session is verified, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)
    mark_authenticated(request.session)


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, as authenticator apps ask for it."""
    secret = b32encode(device.bin_key).decode("ascii")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(data: str, label: str) -> str:
    """Inline SVG markup of a QR code: no script, no inline style, no data: URI."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage).get_image()
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("aria-label", label)
    title = ElementTree.Element("title")
    title.text = label
    svg.insert(0, title)
    return ElementTree.tostring(svg, encoding="unicode")
