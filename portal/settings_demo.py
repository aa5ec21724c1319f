"""Demo and test settings: the only place where secrets have defaults.

`make run` and `make test` use this module; DATABASE_URL and REDIS_URL are set by the
launcher (portal/launcher.py), either to the servers you gave it or to embedded ones.
"""

import os

os.environ.setdefault("SECRET_KEY", "demo-only-not-secret-7c1f0a9e2b")
# DEBUG off, as in production: 404 and 500 pages list no URLs, tracebacks or settings, and the
# API answers its errors in JSON (issue 14). DEBUG=true in the environment brings them back.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
os.environ.setdefault("SECURE_COOKIES", "false")
# DEMO ONLY: a published Ed25519 key, so certificates signed with it prove nothing.
# Production generates its own (docs/operations.md) and never uses the id "demo".
# The SM2 key signs instead when CRYPTO_SUITE is "national".
os.environ.setdefault(
    "CERTIFICATE_SIGNING_KEYS",
    "demo:2nRVvDJv/1+4uy4V2b998iRMR8ZRhk1gaIM1U/d7YNo=,"
    "demo-sm2:sm2:ptdCPfkdQtpih3cxSnHPcx2yzmSksiy57r0GLGGmIbEgoBNtv6ZnG6bkuLHefzVIjUeFw30rF2qTVGRT"
    "ZTF5XFluYJzGovPMsyKVRxwIpQvONmIxSfLNImfCAOqFdLZh",
)
# DEMO ONLY: published keys of the audit log's daily anchors (accounts/anchors.py).
os.environ.setdefault(
    "AUDIT_ANCHOR_SIGNING_KEYS",
    "demo-anchor:Cm6+oy68kuC/EkGefb/Kd5ONfq4UrPiwzRGxztBaCXk=,"
    "demo-anchor-sm2:sm2:CK6rRFJ1fwD0F1K7PpB/MVKjNbrkk5ZPHIdIohSnBKXNIVqBiA0LDfNAaTDhn7ZpxedQKxIy9q"
    "ECgeGUt9Rf6It9mC4lRo+4y+RwTAVK4iBZW2Yg+FWZvi8NByuk46/R",
)
# DEMO ONLY: published P-256 keys of the instruments' seals (one for every department) and of
# the authority that certifies them; PDFs signed with them prove nothing (docs/instruments.md).
os.environ.setdefault(
    "INSTRUMENT_SIGNING_KEYS", "*:demo-seal:3q2+7wFOq5n0cvkYh2dXzRmaJQp8e0FjYvB3b7cWjDA="
)
os.environ.setdefault(
    "INSTRUMENT_ROOT_KEY", "demo-root:Hk8Vq4cYw1Rz9bT2mN6pLx3sJf0aE7uG5iKoDnWyQ2c="
)
# DEMO ONLY: published keys for the personal-data encryption and its blind index. Anything
# encrypted with them is readable by anyone with the source; production sets its own
# (docs/operations.md), and `check --deploy` warns if these reach it.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "demo-only-field-encryption-key-not-secret0A=")
os.environ.setdefault("BLIND_INDEX_KEY", "demo-only-blind-index-key-not-secret-4f2a9c1e")

from .settings import *  # noqa: E402,F403
