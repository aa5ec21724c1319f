"""System checks of the e-certificate keys: a bad key should stop a deployment, not an approval."""

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .certificates import certificate_keys

DEMO_KEY_ID = "demo"


@register(Tags.security)
def certificate_keys_are_usable(app_configs, **kwargs):
    try:
        certificate_keys()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="See 'E-certificates' in docs/operations.md to generate a key.",
                id="approvals.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def demo_certificate_key_is_not_deployed(app_configs, **kwargs):
    try:
        keys = certificate_keys()
    except ImproperlyConfigured:
        return []  # Reported by approvals.E001.
    # "demo" and "demo-sm2" (the national suite's): both published in portal/settings_demo.py.
    if any(key.key_id.startswith(DEMO_KEY_ID) for key in keys):
        return [
            Warning(
                "CERTIFICATE_SIGNING_KEYS lists the demo key, whose private half is published.",
                hint="Generate a key of your own (docs/operations.md) and drop the demo one.",
                id="approvals.W001",
            )
        ]
    return []
