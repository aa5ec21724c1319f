"""Shared fixtures: an English-speaking test client, private media, and a real Celery worker.

The worker consumes from Redis for real (never eager mode). Its broker is database 15 of the
Redis in REDIS_URL, so tests never take messages meant for a developer's worker on database 0,
nor leave messages for it.
"""

import os
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from hypothesis import settings as hypothesis_settings

# The fault-injection tests start and kill servers of their own: `make faults` runs them.
collect_ignore = [] if os.environ.get("PORTAL_FAULT_TESTS") else ["faults"]

TEST_BROKER_DATABASE = 15
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"

# The properties are checked on pure arithmetic; a slow CI machine must not fail them on time.
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


def broker_url_for_tests(redis_url: str) -> str:
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{TEST_BROKER_DATABASE}"))


def use_broker(app, url: str) -> None:
    """Point the Celery app at another broker for everything it publishes from now on.

    The app reads its settings from Django with the CELERY namespace, where the prefixed key
    wins over `broker_url`. The app caches its connection and producer pools; kombu keeps one
    pool per broker address, so forgetting the cached ones (not closing them) is enough.
    """
    app.conf["CELERY_BROKER_URL"] = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def client():
    # Messages are asserted in English: the source language, stable whatever the catalogues say.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def client_for():
    """A test client logged in as the given user; civil servants and administrators have also
    passed the TOTP step, unless second_factor=False (tests/authentication.py)."""
    from tests.authentication import log_in

    def logged_in(user, *, second_factor: bool = True) -> Client:
        client = Client(headers={"accept-language": "en"})
        return log_in(client, user, second_factor=second_factor)

    return logged_in


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its requests from zero and starts with no cached page (its database
    is rolled back, the pages another test cached are not): rate-limit counters and pages go
    under key prefixes of their own, in the same Redis the portal uses."""
    from uuid import uuid4

    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "KEY_PREFIX": f"test-{uuid4().hex}"},
        "pages": {**settings.CACHES["pages"], "KEY_PREFIX": f"test-pages-{uuid4().hex}"},
    }


@pytest.fixture(autouse=True)
def fresh_content_types():
    """Transactional tests flush the database, which recreates content types with new ids;
    the per-process caches of them (Django's and guardian's) must follow."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import _get_ct_cached

    ContentType.objects.clear_cache()
    _get_ct_cached.cache_clear()
    yield
    ContentType.objects.clear_cache()
    _get_ct_cached.cache_clear()


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing is not under test here; PBKDF2's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def celery_app():
    """The portal's Celery app, publishing to the test broker for the whole session."""
    from portal.celery import app

    use_broker(app, broker_url_for_tests(django_settings.REDIS_URL))
    app.conf["CELERY_WORKER_HIJACK_ROOT_LOGGER"] = False
    yield app
    use_broker(app, django_settings.CELERY_BROKER_URL)


@pytest.fixture
def broker_outage(celery_app):
    """A context manager during which Redis is down: publishing fails fast (nothing on port 1)."""

    @contextmanager
    def outage():
        use_broker(celery_app, UNREACHABLE_BROKER_URL)
        try:
            yield
        finally:
            use_broker(celery_app, broker_url_for_tests(django_settings.REDIS_URL))

    return outage


@pytest.fixture(scope="session")
def celery_worker(celery_app, django_db_setup):
    """A real worker in a thread of this process, consuming the test broker over Redis.

    It shares the test database's settings, so it sees what `transactional_db` tests commit
    (not what `db` tests leave in their never-committed transaction). Its own connection is
    closed after every task, so flushing and finally dropping the test database never waits.
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_prerun

    def close_worker_connections(**kwargs):
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_ended, weak=False)
    celery_app.control.purge()
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as worker:
        _worker_state["running"] = True
        yield worker
        _worker_state["running"] = False
    task_postrun.disconnect(close_worker_connections)


# Whether the session's worker runs, and how many tasks it is in: a task a test enqueued (an
# instrument to seal, a recount after a calendar edit) may still run when the test ends, and
# the flush of a `transactional_db` test would then deadlock with it, or it would write into
# the next test's data.
_worker_state = {"running": False, "busy": 0}


def _task_started(**kwargs):
    _worker_state["busy"] += 1


def _task_ended(**kwargs):
    _worker_state["busy"] -= 1


@pytest.fixture(autouse=True)
def worker_idle_before_the_flush(request, celery_app):
    """After a test whose data the worker sees (committed data), wait until the worker has run
    everything the test enqueued, before its database is flushed; then drop whatever is left."""
    committed = [
        name for name in ("transactional_db", "live_server") if name in request.fixturenames
    ]
    marker = request.node.get_closest_marker("django_db")
    if not committed and not (marker and marker.kwargs.get("transaction")):
        yield
        return
    for name in committed:
        request.getfixturevalue(name)  # set up inside this fixture: flushed after it ends
    yield
    if _worker_state["running"]:
        _wait_until_the_worker_is_idle(celery_app)


@pytest.fixture
def settle_worker(celery_app):
    """Call to wait until the session's worker (if running) has done what was enqueued so far:
    for a committed-data test that counts rows the worker's tasks would add meanwhile."""

    def settle() -> None:
        if _worker_state["running"]:
            _wait_until_the_worker_is_idle(celery_app)

    return settle


def _wait_until_the_worker_is_idle(celery_app, timeout: float = 60.0) -> None:
    """Idle: nothing waiting in the broker, nothing the worker has reserved or is running (its
    own bookkeeping, in this process), three checks in a row; then drop what is left."""
    from celery.worker import state

    deadline, quiet = time.monotonic() + timeout, 0
    with celery_app.connection_for_write() as connection:
        while time.monotonic() < deadline and quiet < 3:
            waiting = connection.default_channel.client.llen(celery_app.conf.task_default_queue)
            busy = waiting or state.reserved_requests or state.active_requests
            busy = busy or _worker_state["busy"] > 0
            quiet = 0 if busy else quiet + 1
            time.sleep(0.05)
    celery_app.control.purge()


def pytest_configure(config):
    # WhiteNoise warns that STATIC_ROOT has not been collected; tests never serve static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
