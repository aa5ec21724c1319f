"""The fault tests' fixtures: a stack of servers and portal processes per test.

Collected only when `make faults` (python -m tests.faults) runs them: tests/conftest.py leaves
this directory out otherwise. The runner has migrated a template cluster and chosen the ports
of DATABASE_URL and REDIS_URL; each test gets a fresh copy of the template on them.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connections

from tests.faults.servers import PYTHON, PostgreSQL, Process, Redis, copy_cluster, free_port

WORKDIR = Path(os.environ.get("PORTAL_FAULT_TESTS", "."))
FIGURES: list[str] = []


def figure(text: str) -> None:
    """A measured figure: printed in the summary of the run."""
    FIGURES.append(text)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fault-injection figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def celery_app():
    """Overrides tests/conftest.py: publish where this test's worker processes consume."""
    from portal.celery import app

    return app


@pytest.fixture(scope="session")
def django_db_setup():
    """The database is the copy of the migrated template each test starts (see `stack`)."""


class Stack:
    """One test's servers and processes. Children inherit the test's DATABASE_URL/REDIS_URL."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.pg_port = int(settings.DATABASES["default"]["PORT"])
        self.redis_port = urlsplit(settings.REDIS_URL).port
        self.postgres = PostgreSQL(workdir / "pgdata", self.pg_port, workdir / "postgres.log")
        self.redis = Redis(self.redis_port, workdir, workdir / "redis.log")
        self.processes: list[Process] = []
        self.replica: PostgreSQL | None = None
        self.web_port = 0
        self.env = dict(os.environ)
        self.env.update(
            DEBUG="false",
            MEDIA_ROOT=str(workdir / "media"),
            # The faults, not the rate limits, are under test.
            RATE_LIMIT_FILING="100000/m",
            RATE_LIMIT_LOGIN="100000/m",
            # Beat ticks every 2 s and re-dispatches what is 5 s unrouted, so a test waits
            # seconds where production waits a minute.
            RECONCILE_EVERY_SECONDS="2",
            ROUTING_GRACE_SECONDS="5",
            INSTRUMENT_GRACE_SECONDS="5",
            LOG_LEVEL="WARNING",
        )

    def process(self, name: str, command: list[str]) -> Process:
        process = Process(name, command, self.env, self.workdir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def web(self, workers: int = 2, threads: int = 4) -> Process:
        self.web_port = free_port()
        process = self.process(
            "web",
            [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{self.web_port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "60"],
        )  # fmt: skip
        from tests.faults.servers import listening, wait_for

        wait_for(lambda: listening(self.web_port), 60, f"gunicorn\n{process.tail()}")
        return process

    def worker(self, name: str, concurrency: int = 2) -> Process:
        return self.process(
            name,
            [PYTHON, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO",
             f"--concurrency={concurrency}", "-n", f"{name}@%h",
             "--without-mingle", "--without-gossip"],
        )  # fmt: skip

    def beat(self) -> Process:
        return self.process(
            "beat",
            [PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO",
             "--schedule", str(self.workdir / "celerybeat-schedule")],
        )  # fmt: skip

    def start_replica(self) -> PostgreSQL:
        """A streaming replica of this test's PostgreSQL, read by the web processes started
        after this call (REPLICA_DATABASE_URL)."""
        self.replica = PostgreSQL.standby_of(
            self.postgres, self.workdir / "replica", free_port(), self.workdir / "replica.log"
        ).start()
        self.env["REPLICA_DATABASE_URL"] = (
            f"postgresql://postgres@127.0.0.1:{self.replica.port}/portal"
        )
        return self.replica

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop(signal.SIGTERM, timeout=15)
        connections.close_all()
        self.redis.stop()
        if self.replica is not None:
            self.replica.stop()
        self.postgres.stop()


@pytest.fixture
def stack(request, django_db_blocker, settings):
    workdir = WORKDIR / request.node.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    copy_cluster(WORKDIR / "template", workdir / "pgdata")
    settings.MEDIA_ROOT = workdir / "media"
    stack = Stack(workdir)
    stack.postgres.start()
    stack.redis.start()
    connections.close_all()
    try:
        with django_db_blocker.unblock():
            yield stack
    finally:
        stack.close()
        if not getattr(request.node, "rep_call_failed", True):
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed
    return report
