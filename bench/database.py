"""A scratch database for benchmarks, beside the one DATABASE_URL names, rebuilt on each run."""

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg2


def use_scratch_database(name: str = "portal_bench", *, fresh: bool = True) -> str:
    """Point DATABASE_URL at database `name` on the same server, and return it.

    Fresh: dropped and created empty. Otherwise the one a previous run left is kept.
    """
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    scratch = urlunsplit(parts._replace(path=f"/{name}"))
    if not fresh:
        os.environ["DATABASE_URL"] = scratch
        return scratch
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    os.environ["DATABASE_URL"] = scratch
    return scratch
