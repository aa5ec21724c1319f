"""`make faults`: the fault-injection tests, against servers of their own.

    python -m tests.faults [pytest arguments]

Builds a migrated template PostgreSQL cluster once (initdb, `manage.py migrate`), picks two
free ports, and runs pytest on tests/faults; each test copies the template, starts its own
PostgreSQL and Redis on those ports and the portal processes it needs, breaks something, and
stops them all. The machine's PostgreSQL and Redis are never used. Each test prints a figure;
the summary at the end lists them all.
"""

import os
import shutil
import subprocess
import sys
import time

import psycopg2

from tests.faults.servers import PYTHON, REPO, PostgreSQL, copy_cluster, free_port

WORKDIR = REPO / ".local" / "faults"


def build_template(env: dict[str, str], port: int) -> None:
    template = WORKDIR / "template"
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    started = time.monotonic()
    PostgreSQL.initdb(template)
    server = PostgreSQL(WORKDIR / "build", port, WORKDIR / "template.log")
    copy_cluster(template, server.datadir)
    server.start()
    try:
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres")
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        connection.cursor().execute("CREATE DATABASE portal")
        connection.close()
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True
        )
    finally:
        server.stop()
    shutil.rmtree(template)
    server.datadir.rename(template)
    print(f"Template database migrated in {time.monotonic() - started:.0f} s", flush=True)


def main(args: list[str]) -> int:
    pg_port, redis_port = free_port(), free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings_demo",
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{pg_port}/portal",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        PORTAL_FAULT_TESTS=str(WORKDIR),
    )
    build_template(env, pg_port)
    command = [
        PYTHON,
        "-m",
        "pytest",
        "tests/faults",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        "-q",
        *args,
    ]
    return subprocess.run(command, cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
