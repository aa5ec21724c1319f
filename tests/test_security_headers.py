"""Security headers and production settings: CSP without inline code, HSTS, framing, referrer,
cookies, and `manage.py check --deploy` silent under the settings a deployment uses."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.urls import reverse

from tests.factories import CitizenFactory, ServiceItemFactory

REPO = Path(__file__).resolve().parent.parent
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def csp_directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    ["home", "services:catalogue", "accounts:login", "accounts:register_citizen", "guide"],
)
def test_pages_carry_a_csp_without_inline_code_and_contain_none(client, page):
    if page == "guide":
        url = reverse("services:guide", args=[ServiceItemFactory().code])
    else:
        url = reverse(page)

    response = client.get(url)

    directives = csp_directives(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not EVENT_HANDLER.search(html)
    assert not STYLE_ATTRIBUTE.search(html)


def test_no_template_has_inline_script_event_handlers_or_style_attributes():
    offenders = []
    for template in (REPO / "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, re.compile(r"<style")):
            if pattern.search(text):
                offenders.append((str(template.relative_to(REPO)), pattern.pattern))
    assert not offenders


@pytest.mark.django_db
def test_logged_in_pages_carry_the_csp_too(client_for):
    response = client_for(CitizenFactory()).get(reverse("accounts:account"))

    assert response.status_code == 200
    assert csp_directives(response)["script-src"] == "'self'"
    assert not INLINE_SCRIPT.search(response.content.decode())


@pytest.mark.django_db
def test_pages_forbid_framing_and_limit_the_referrer(client):
    response = client.get(reverse("home"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_https_responses_carry_hsts_under_production_defaults(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(reverse("home"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_settings_default_to_secure_cookies_and_hsts():
    """Read from the environment at import; here as a deployment without overrides gets them."""
    code = (
        "import portal.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.CSRF_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS)"
    )
    env = production_environment()
    del env["BEHIND_HTTPS_PROXY"]

    output = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.split()

    assert output == ["True", "True", "True", "True", "31536000", "True", "False", "DENY"]


def production_environment() -> dict[str, str]:
    """What a deployment sets (docs/operations.md, docs/security.md): its own secrets and keys,
    DEBUG off, its host name, and the HTTPS proxy in front."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECURE_COOKIES", "DJANGO_SETTINGS_MODULE"}
    }
    signing_key = Ed25519PrivateKey.generate().private_bytes_raw()
    # P-256 private scalars (instruments/signing.py): 31 random bytes stay below the curve order.
    seal_key, root_key = b"\x01" + secrets.token_bytes(31), b"\x02" + secrets.token_bytes(31)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql:///unused"),
            "REDIS_URL": settings.REDIS_URL,
            "ALLOWED_HOSTS": "portal.example.gov.cn",
            "CSRF_TRUSTED_ORIGINS": "https://portal.example.gov.cn",
            "BEHIND_HTTPS_PROXY": "true",
            "SECURE_HSTS_PRELOAD": "true",
            "CERTIFICATE_SIGNING_KEYS": f"k2026:{base64.b64encode(signing_key).decode()}",
            "AUDIT_ANCHOR_SIGNING_KEYS": f"a2026:{base64.b64encode(signing_key[::-1]).decode()}",
            "INSTRUMENT_SIGNING_KEYS": f"*:seal2026:{base64.b64encode(seal_key).decode()}",
            "INSTRUMENT_ROOT_KEY": f"root2026:{base64.b64encode(root_key).decode()}",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        }
    )
    return env


def test_check_deploy_reports_nothing_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=production_environment(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
