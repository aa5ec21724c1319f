"""The portal as production runs it, for the load driver: gunicorn and Celery workers.

DEBUG is off, the bare view is routed (BENCH_CEILING_VIEW), logs only say what goes wrong.
Secrets are the demo's (portal/settings_demo.py): the benchmark's data is thrown away.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal.launcher import REPO, _die_with_launcher, _free_port, _stop

# gunicorn's rule of thumb, 2 x cores + 1: a worker waiting on PostgreSQL leaves the core
# to another one.
WEB_WORKERS = 2 * (os.cpu_count() or 1) + 1
CELERY_CONCURRENCY = 2


def server_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_demo",
        "DEBUG": "false",
        "SECURE_COOKIES": "false",  # plain HTTP on 127.0.0.1; TLS is the proxy's job
        "BENCH_CEILING_VIEW": "true",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def portal_server(log_dir: Path):
    """Yields the base URL once gunicorn answers; stops gunicorn and the workers on exit."""
    port = _free_port(8090)
    env = server_environment()
    log_dir.mkdir(parents=True, exist_ok=True)
    commands = {
        "gunicorn": [sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers",
                     str(WEB_WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                     "--graceful-timeout", "5"],
        "celery": [sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel=WARNING",
                   f"--concurrency={CELERY_CONCURRENCY}", "--without-gossip", "--without-mingle"],
    }  # fmt: skip
    procs = {}
    try:
        for name, command in commands.items():
            procs[name] = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=open(log_dir / f"{name}.log", "wb"),  # noqa: SIM115 - closed with the process
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_launcher,
            )
        url = f"http://127.0.0.1:{port}"
        _wait_until_answering(url + "/bench/ceiling/", procs)
        yield url
    finally:
        _stop(procs, group=True)


def _wait_until_answering(url: str, procs: dict, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with code {proc.returncode}; see its log")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.3)
    raise SystemExit(f"The benchmark server did not answer {url} within {timeout:.0f} s")
