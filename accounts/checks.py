"""System checks: the portal refuses to start with keys it could not use for personal data."""

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from . import crypto


@register(Tags.security)
def check_personal_data_keys(app_configs, **kwargs):
    errors = []
    try:
        crypto.encryption()
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), id="accounts.E001"))
    try:
        crypto.blind_index_key()
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), id="accounts.E002"))
    return errors


@register(Tags.security, deploy=True)
def check_personal_data_keys_are_not_the_demo_ones(app_configs, **kwargs):
    from django.conf import settings

    keys = [*crypto.configured_encryption_keys(), getattr(settings, "BLIND_INDEX_KEY", "")]
    if any(crypto.DEMO_KEY_MARKER in key.lower() for key in keys):
        return [
            Warning(
                "FIELD_ENCRYPTION_KEYS or BLIND_INDEX_KEY is a demo key from "
                "portal/settings_demo.py, published with the source code.",
                hint="Generate keys of your own; see docs/operations.md.",
                id="accounts.W001",
            )
        ]
    return []


@register(Tags.security)
def check_audit_retention(app_configs, **kwargs):
    """Audit records are kept at least 180 days (Cybersecurity Law Art. 21): a setting below
    that stops the portal from starting, rather than quietly deleting evidence."""
    from django.conf import settings

    from .audit import MINIMUM_RETENTION_DAYS

    days = getattr(settings, "AUDIT_RETENTION_DAYS", None)
    if not isinstance(days, int) or days < MINIMUM_RETENTION_DAYS:
        return [
            Error(
                f"AUDIT_RETENTION_DAYS is {days!r}; the audit log must be kept at least "
                f"{MINIMUM_RETENTION_DAYS} days.",
                hint="Set AUDIT_RETENTION_DAYS to 180 or more (default 365).",
                id="accounts.E010",
            )
        ]
    return []


@register(Tags.security)
def check_anchor_signing_keys(app_configs, **kwargs):
    """The daily anchor must be signable by the suite in force: a bad key stops a deployment,
    not the first anchor at midnight."""
    from .anchors import KEYS_SETTING, anchor_keys
    from .signing import signing_key

    try:
        signing_key(anchor_keys(), KEYS_SETTING)
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="docs/security.md, 'Daily public anchors' and 'Cryptographic suites'.",
                id="accounts.E020",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_anchor_keys_are_not_the_demo_ones(app_configs, **kwargs):
    from .anchors import anchor_keys

    try:
        keys = anchor_keys()
    except ImproperlyConfigured:
        return []  # Reported by accounts.E020.
    if any(key.key_id.startswith("demo") for key in keys):
        return [
            Warning(
                "AUDIT_ANCHOR_SIGNING_KEYS lists a demo key, whose private half is published.",
                hint="Generate a key of your own (docs/security.md) and drop the demo one.",
                id="accounts.W020",
            )
        ]
    return []
