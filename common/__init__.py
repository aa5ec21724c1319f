"""What the apps share, below all of them: it imports no app, and every app may import it.

Layers (README, "How it works"): `common` ← `accounts` ← `services` ← `approvals` ←
`disclosure`, with `portal/` (settings, URLs, Celery, launcher, demo) on top. A helper that
several apps need lives here, never in `portal/`; tests/test_layers.py holds the line.
"""
