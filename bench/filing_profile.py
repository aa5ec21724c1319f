"""`python -m bench filing-profile [--filings N] [--pyinstrument DIR]`: where one filing's time goes.

Runs in one process against the quick bench's database (`bench --quick --seed-only` makes
it), with DEBUG off and every middleware, as gunicorn would run the requests, minus HTTP
parsing: a bench citizen's session cookie, then the bench's filing (start a draft of the
information-disclosure request, open its form, submit it) and the business start-up with its
three files (save, submit), each followed by the routing task's body, `route_application`.

For each step it reports, averaged over N filings after one to warm up: wall and CPU ms of
the Django process, the queries, their wall time as Django sees it (the round trip included),
and the CPU the PostgreSQL backend spent (from /proc, same machine). With --pyinstrument DIR
(pyinstrument installed by whoever profiles; not a requirement) each step's call tree is
written there as text, and each step's time is charged to categories (CATEGORIES: SQL,
ORM, templates, forms, files, audit, notifications, Celery, middleware...).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# bench/load.py's FILING_ANSWERS (importing locust would patch this process with gevent).
BENCH_ANSWERS = {
    "information": "申请公开本市2025年度企业开办并联审批的办理时限统计数据。",
    "delivery": "电子邮件",
}
STARTUP_ANSWERS = {
    "company_name": "合肥新开科技有限公司",
    "registered_capital": "100",
    "business_scope": "软件开发",
    "legal_representative": "张三",
    "address": "合肥市蜀山区长江西路100号",
    "needs_invoices": "yes",
}
STARTUP_MATERIALS = ("articles", "premises", "legal-rep-id")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def startup_uploads() -> dict:
    """The business start-up's three materials as a form posts them (new files each time)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        f"material__{code}": SimpleUploadedFile(
            f"{code}.pdf", PDF_BYTES, content_type="application/pdf"
        )
        for code in STARTUP_MATERIALS
    }


def backend_cpu_ms(pid: int) -> float:
    """User + system CPU of a local process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICKS


class Step:
    """Figures of one step (a request or the routing), summed over the filings measured."""

    def __init__(self):
        self.wall, self.cpu, self.sql_wall, self.backend, self.queries = [], [], [], [], []


@contextmanager
def measured(step: Step, profiler=None):
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    sql = {"count": 0, "seconds": 0.0}

    def timed(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["count"] += 1
            sql["seconds"] += time.perf_counter() - started

    backend_before = backend_cpu_ms(backend)
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.start()
    with connection.execute_wrapper(timed):
        yield
    if profiler:
        profiler.stop()
    step.wall.append((time.perf_counter() - wall) * 1000)
    step.cpu.append((time.process_time() - cpu) * 1000)
    step.backend.append(backend_cpu_ms(backend) - backend_before)
    step.sql_wall.append(sql["seconds"] * 1000)
    step.queries.append(sql["count"])


# Where a sample's wall time is charged: the deepest frame on its stack that matches one of
# these (file path part, function name or None for any), so SQL sent by the audit log is
# charged to the SQL round trip, and the ORM building it to the ORM.
CATEGORIES = [
    ("SQL round trip (PostgreSQL working or waiting)", "django/db/backends/utils.py", "_execute"),
    ("SQL round trip (PostgreSQL working or waiting)", "psycopg2/", None),
    ("ORM: building queries, making rows into objects", "django/db/models/", None),
    ("Redis round trips (rate-limit counters, Celery messages)", "redis/", None),
    ("Celery enqueue (Python)", "kombu/", None),
    ("Celery enqueue (Python)", "celery/", None),
    ("templates", "django/template/", None),
    ("templates", "django/templatetags/", None),
    ("forms and validation", "django/forms/", None),
    ("forms and validation", "services/forms.py", None),
    ("file storage, sniffing, scanning", "services/materials.py", None),
    ("file storage, sniffing, scanning", "django/core/files/", None),
    ("multipart parsing", "django/http/multipartparser.py", None),
    ("audit chain (hashing, locking)", "accounts/audit.py", None),
    ("notifications", "accounts/notifications.py", None),
    ("notifications", "approvals/notifications.py", None),
    ("grants and permission checks", "accounts/permissions.py", None),
    ("grants and permission checks", "guardian/", None),
    ("session, login, CSRF, 2FA middleware", "django/contrib/sessions/", None),
    ("session, login, CSRF, 2FA middleware", "django/contrib/auth/", None),
    ("session, login, CSRF, 2FA middleware", "django/middleware/csrf.py", None),
    ("session, login, CSRF, 2FA middleware", "django_otp/", None),
    ("session, login, CSRF, 2FA middleware", "axes/", None),
    ("session, login, CSRF, 2FA middleware", "accounts/middleware.py", None),
    ("catalogue definition (read, frozen)", "services/catalogue.py", None),
    ("catalogue definition (read, frozen)", "services/definitions.py", None),
    ("deadlines and calendar", "approvals/calendar.py", None),
    ("deadlines and calendar", "approvals/deadlines.py", None),
]
OTHER = "other: Django's handler, URL routing, views and domain code"


def _category(frame, current: str) -> str:
    path = frame.file_path or ""
    for name, part, function in CATEGORIES:
        if part in path and (function is None or frame.function == function):
            return name
    return current


def charged(profiler, filings: int) -> dict[str, float]:
    """ms per filing in each category, from the profiler's samples (of its --clock)."""
    totals: dict[str, float] = {}
    root = profiler.last_session.root_frame(trim_stem=False)
    stack = [(root, OTHER)]
    while stack:
        frame, current = stack.pop()
        current = _category(frame, current)
        children = frame.children
        own = frame.time - sum(child.time for child in children)
        totals[current] = totals.get(current, 0.0) + own
        stack.extend((child, current) for child in children)
    return {
        name: round(seconds * 1000 / filings, 2)
        for name, seconds in sorted(totals.items(), key=lambda pair: -pair[1])
        if seconds * 1000 / filings >= 0.05
    }


def summary(steps: dict[str, Step]) -> dict:
    return {
        name: {
            "queries": round(statistics.mean(step.queries), 1),
            "wall_ms": round(statistics.mean(step.wall), 2),
            "python_cpu_ms": round(statistics.mean(step.cpu), 2),
            "sql_wall_ms": round(statistics.mean(step.sql_wall), 2),
            "postgres_cpu_ms": round(statistics.mean(step.backend), 2),
        }
        for name, step in steps.items()
    }


def client_for(user):
    from django.test import Client

    from bench.people import session_for

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["sessionid"] = session_for(user)
    return client


def run(filings: int, profile_dir: Path | None, clock: str = "cpu") -> dict:
    from django.urls import reverse

    from accounts.models import User
    from approvals.routing import route_application
    from bench.people import FILING_ITEM

    profilers = {}
    if profile_dir:
        from pyinstrument import Profiler
        from pyinstrument.stack_sampler import get_stack_sampler

        if clock == "cpu":
            # Samples every 0.5 ms of this process's CPU: waits for PostgreSQL, Redis or a core
            # held by another process are not charged, so the categories add up to its CPU.
            get_stack_sampler().timer_func = time.process_time
        profile_dir.mkdir(parents=True, exist_ok=True)
    citizens = itertools.cycle(
        User.objects.filter(kind=User.Kind.CITIZEN, username__startswith="bench-").order_by("pk")[
            :500
        ]
    )
    steps: dict[str, Step] = {}

    def step(name: str, measuring: bool):
        if not measuring:
            return measured(Step())
        if profile_dir and name not in profilers:
            profilers[name] = Profiler(interval=0.0005)
        return measured(steps.setdefault(name, Step()), profilers.get(name))

    def one(item: str, answers: dict, files: bool, measuring: bool) -> None:
        client = client_for(next(citizens))
        with step(f"{item}: start draft", measuring):
            start = client.post(reverse("services:start", args=[item]), {"new": "1"})
        edit = start["Location"]
        assert "/edit/" in edit, start
        with step(f"{item}: open form", measuring):
            assert client.get(edit).status_code == 200
        if files:
            with step(f"{item}: save with files", measuring):
                saved = client.post(edit, {**answers, **startup_uploads(), "save": ""})
            assert saved.status_code == 302 and saved["Location"] == edit, saved
        with step(f"{item}: submit", measuring):
            submitted = client.post(edit, {**answers, "submit": ""})
        assert submitted.status_code == 302 and "/edit/" not in submitted["Location"], submitted
        pk = int(edit.rstrip("/").split("/")[-2])
        with step(f"{item}: route (worker)", measuring):
            route_application(pk)

    for item, answers, files in (
        (FILING_ITEM, BENCH_ANSWERS, False),
        ("business-startup", STARTUP_ANSWERS, True),
    ):
        one(item, answers, files, measuring=False)
        for _ in range(filings):
            one(item, answers, files, measuring=True)
    figures = summary(steps)
    for name, profiler in profilers.items():
        text = profiler.output_text(unicode=True, show_all=False, short_mode=False)
        (profile_dir / f"{name.replace(': ', '-').replace(' ', '_')}.txt").write_text(text)
        figures[name]["wall_ms_by_category"] = charged(profiler, filings)
    return figures


def query_counts() -> dict[str, int]:
    """The queries of one business start-up filed in person, counted as tests/test_query_counts.py
    counts them (CaptureQueriesContext): saving the form with its three files, submitting it,
    and routing it. Files once first, so per-process caches are as on a busy day."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from approvals.routing import route_application

    filer = (
        User.objects.filter(kind=User.Kind.CITIZEN, username__startswith="bench-")
        .order_by("-pk")
        .first()
    )
    client = client_for(filer)
    counts: dict[str, int] = {}
    for _warm_then_count in range(2):
        start = client.post(reverse("services:start", args=["business-startup"]), {"new": "1"})
        edit = start["Location"]
        client.get(edit)
        with CaptureQueriesContext(connection) as save:
            client.post(edit, {**STARTUP_ANSWERS, **startup_uploads(), "save": ""})
        with CaptureQueriesContext(connection) as submit:
            submitted = client.post(edit, {**STARTUP_ANSWERS, "submit": ""})
        assert "/edit/" not in submitted["Location"], submitted
        with CaptureQueriesContext(connection) as route:
            route_application(int(edit.rstrip("/").split("/")[-2]))
        counts = {"save": len(save), "submit": len(submit), "route": len(route)}
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench filing-profile")
    parser.add_argument("--filings", type=int, default=30)
    parser.add_argument("--pyinstrument", type=Path, help="write each step's call tree here")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="profile this process's CPU time (the default) or wall time, waits included",
    )
    args = parser.parse_args(argv)
    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_benchmark_quick", fresh=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    figures = {"queries": query_counts(), **run(args.filings, args.pyinstrument, args.clock)}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0
