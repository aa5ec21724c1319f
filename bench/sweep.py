"""Sweep cost with 1,000 due tasks among few and among very many open tasks (issue: time).

The sweeper reads a partial index of the tasks still awaiting their timeout policy, so its
time should follow the number of due tasks, not of open ones. Target: ratio ≤ 1.5.
"""

import argparse
import json
import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEPARTMENTS_PER_CASE = 4  # the demo "business start-up" item: four departments in parallel


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--quick", action="store_true", help="100,000 instead of 1,000,000 open tasks"
    )
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    large = 100_000 if args.quick else args.large

    from bench.database import use_scratch_database

    use_scratch_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed = _Seed()
    rows = []
    for open_tasks in (args.small, large):
        started = time.perf_counter()
        seed.grow_to(open_tasks)
        seeded_in = time.perf_counter() - started
        seconds, handled = seed.sweep(args.due)
        rows.append(
            {
                "open_tasks": open_tasks,
                "due_tasks": handled,
                "sweep_seconds": round(seconds, 3),
                "seed_seconds": round(seeded_in, 1),
            }
        )
        print(
            f"sweep: {handled:>6} due among {open_tasks:>9,} open tasks: {seconds:7.3f} s (seeded in {seeded_in:.0f} s)",
            flush=True,
        )
    ratio = rows[1]["sweep_seconds"] / rows[0]["sweep_seconds"]
    print(f"sweep: ratio large/small = {ratio:.2f} (target ≤ 1.5)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sweep.json").write_text(
        json.dumps({"runs": rows, "ratio": round(ratio, 2)}, indent=2) + "\n"
    )
    return 0


class _Seed:
    """Open review tasks inserted by SQL (generate_series), a few seconds per million."""

    def __init__(self):
        from portal.demo import load_demo
        from services.catalogue import freeze_definition
        from services.models import ServiceItem

        load_demo()
        self.item = ServiceItem.objects.get(code="business-startup")
        self.version = freeze_definition(self.item)
        from accounts.models import User

        self.applicant = User.objects.get(username="hefei-demo-tech")
        self.department_ids = [d["id"] for d in self.version.definition["stages"][0]["departments"]]
        self.cases = 0

    def grow_to(self, open_tasks: int) -> None:
        from django.db import connection

        cases = open_tasks // DEPARTMENTS_PER_CASE
        if cases <= self.cases:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO services_application (item_id, item_version_id, applicant_id, tracking_number,
                    status, answers, current_stage, created_at, updated_at, submitted_at, routed_at,
                    accepted_at, due_at, decision_reason)
                SELECT %s, %s, %s, 'BENCH' || g, 'in_review', '{}', 1, now(), now(), now(), now(), now(),
                    now() + interval '60 days', ''
                FROM generate_series(%s, %s) g
                """,
                [self.item.pk, self.version.pk, self.applicant.pk, self.cases + 1, cases],
            )
            cursor.execute(
                """
                INSERT INTO approvals_reviewtask (application_id, stage_order, stage_name, department_id, state,
                    time_limit_days, timeout_policy, due_at, reminder_days, remind_at, opinion, created_at)
                SELECT a.id, 1, '并联审查', d, 'pending', 3, 'deemed_approval',
                    now() + interval '30 days', 2, now() + interval '28 days', '', now()
                FROM services_application a CROSS JOIN unnest(%s::bigint[]) d
                WHERE a.tracking_number LIKE 'BENCH%%' AND a.id > (
                    SELECT coalesce(max(application_id), 0) FROM approvals_reviewtask)
                """,
                [self.department_ids],
            )
            cursor.execute("ANALYZE services_application; ANALYZE approvals_reviewtask;")
        self.cases = cases

    def sweep(self, due: int) -> tuple[float, int]:
        """Make `due` tasks of distinct cases overdue, then time one sweep over them."""
        from django.db import connection

        from approvals.timeouts import sweep_overdue_tasks

        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE approvals_reviewtask SET due_at = now() - interval '1 hour'
                WHERE id IN (
                    SELECT DISTINCT ON (application_id) id FROM approvals_reviewtask
                    WHERE state = 'pending' ORDER BY application_id, random() LIMIT %s)
                """,
                [due],
            )
        started = time.perf_counter()
        result = sweep_overdue_tasks()
        return time.perf_counter() - started, result.handled
