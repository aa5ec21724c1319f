"""A backup restores: pg_dump -Fc of the database, pg_restore into a fresh one, nothing missing.

Uses the pg_dump/pg_restore of the same major version as the server under test (the machine's
PostgreSQL client tools, or the ones pgserver ships with the embedded server), as the
procedure in docs/operations.md does.
"""

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from services.models import Application
from tests.factories import (
    DepartmentFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    submitted_application,
)


def client_tools_for(major: int) -> Path | None:
    """The directory of pg_dump and pg_restore of this major version, wherever installed."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    if shutil.which("pg_dump"):
        candidates.append(Path(shutil.which("pg_dump")).parent)
    for directory in candidates:
        if not (directory / "pg_dump").exists() or not (directory / "pg_restore").exists():
            continue
        version = subprocess.run(
            [directory / "pg_dump", "--version"], capture_output=True, text=True
        ).stdout
        if re.search(rf"\b{major}\.\d+", version):
            return directory
    return None


def libpq_environment(database: str) -> dict[str, str]:
    params = connection.get_connection_params()
    env = dict(os.environ, PGDATABASE=database, PGUSER=params.get("user") or "postgres")
    if params.get("host"):
        env["PGHOST"] = params["host"]
    if params.get("port"):
        env["PGPORT"] = str(params["port"])
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    return env


TIMELINES = """
    SELECT a.id, a.tracking_number, a.status, a.item_version_id, a.answers::text,
           e.kind, e.department_id, e.actor_id, e.note, e.created_at
      FROM services_application a JOIN services_applicationevent e ON e.application_id = a.id
  ORDER BY a.id, e.created_at, e.id
"""
TASKS = "SELECT id, application_id, stage_order, department_id, state, due_at FROM approvals_reviewtask ORDER BY id"
ATTACHMENTS = (
    "SELECT id, application_id, file, sha256, is_current FROM services_attachment ORDER BY id"
)


def read(cursor, query: str) -> list[tuple]:
    cursor.execute(query)
    return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_a_fresh_database_has_every_application_and_its_timeline(tmp_path):
    department = DepartmentFactory()
    item = item_with_stages([[department]])
    decided = routed_application(item)
    task = ReviewTask.objects.get(application=decided, stage_order=1)
    decide(task.pk, reviewer_of(department), Outcome.APPROVE, "同意")
    routed_application(item)
    submitted_application(item)
    assert Application.objects.filter(status=Application.Status.APPROVED).count() == 1

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
        expected = [read(cursor, q) for q in (TIMELINES, TASKS, ATTACHMENTS)]
    tools = client_tools_for(major)
    if tools is None:
        pytest.skip(f"no pg_dump/pg_restore {major} on this machine")
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "portal.dump"

    subprocess.run(
        [tools / "pg_dump", "-Fc", "--file", dump],
        env=libpq_environment(source),
        check=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            [tools / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, dump],
            env=libpq_environment(restored),
            check=True,
        )
        params = {**connection.get_connection_params(), "dbname": restored}
        params.pop("cursor_factory", None)
        copy = psycopg2.connect(**params)
        try:
            with copy.cursor() as cursor:
                found = [read(cursor, q) for q in (TIMELINES, TASKS, ATTACHMENTS)]
        finally:
            copy.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')

    assert len({row[0] for row in expected[0]}) == 3
    assert found == expected
