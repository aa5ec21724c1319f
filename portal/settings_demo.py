"""Demo and test settings: the only place where secrets have defaults.

`make run` and `make test` use this module; DATABASE_URL and REDIS_URL are set by the
launcher (portal/launcher.py), either to the servers you gave it or to embedded ones.
"""

import os

os.environ.setdefault("SECRET_KEY", "demo-only-not-secret-7c1f0a9e2b")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
os.environ.setdefault("SECURE_COOKIES", "false")

from .settings import *  # noqa: E402,F403
