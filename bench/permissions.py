"""What object permissions cost at scale (issue 20 §5): bytes per case, and one check's time.

Bytes per case: every table (with its indexes and TOAST, pg_total_relation_size) that holds
grants on applications and review tasks, divided by the applications. Review tasks hold none
since approvals 0083 (access derived from the task's department and the person's department
groups, approvals/permissions.py), so those are the applications' two direct tables
(accounts/permission_tables.py); guardian's generic tables hold only what other models are
granted and are reported apart, not counted.

The check: can_review(reviewer, task), the question every task page and decision asks, for one
market reviewer on seeded tasks of the market department drawn at random, p95 of `samples` checks.
Each check is the first of a request: the reviewer is a fresh user object, so it reads the
person's department groups (one query; held_departments) as a request does. The task is in hand,
as it is in every caller (locked for a decision, fetched for a page); fetching it is not the
check. A second check in the same request is a set lookup, reported as `p95_next_ms`.
"""

from __future__ import annotations

import random
import time
from copy import copy

CHECK_TARGET_MS = 1.0
CHECK_DEPARTMENT = "market"
DIRECT_TABLES = (
    "services_applicationuserobjectpermission",
    "services_applicationgroupobjectpermission",
)
GENERIC_TABLES = ("guardian_userobjectpermission", "guardian_groupobjectpermission")


def measure_permissions(samples: int = 2_000) -> dict:
    """Return {"permissions_bytes_per_case": …, "permission_check": {…}} for the results."""
    from django.db import connection

    from accounts.models import Membership
    from approvals.models import ReviewTask
    from approvals.permissions import can_review

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(DIRECT_TABLES))
        cursor.execute("SELECT count(*) FROM services_application")
        applications = cursor.fetchone()[0]
        sizes = {}
        for table in DIRECT_TABLES + GENERIC_TABLES:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = cursor.fetchone()[0]
    granted_bytes = sum(sizes[table] for table in DIRECT_TABLES)
    reviewer = (
        Membership.objects.filter(department__code=CHECK_DEPARTMENT, role=Membership.Role.REVIEWER)
        .select_related("user")
        .first()
        .user
    )
    # The seed's cases (bench/seed.py), not the sweep's bare ones.
    task_ids = list(
        ReviewTask.objects.filter(
            department__code=CHECK_DEPARTMENT,
            stage_order__gt=0,
            application__applicant__username__startswith="bench-",
        ).values_list("pk", flat=True)
    )
    sample = random.sample(task_ids, min(samples, len(task_ids)))
    tasks = list(ReviewTask.objects.filter(pk__in=sample).only("department_id", "stage_order"))
    can_review(copy(reviewer), tasks[0])  # the first query of a connection pays for its set-up
    seconds, next_seconds = [], []
    for task in tasks:
        in_this_request = copy(reviewer)  # nothing read yet, as at the start of a request
        in_this_request.__dict__.pop("_held_departments", None)
        started = time.perf_counter()
        allowed = can_review(in_this_request, task)
        seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        can_review(in_this_request, task)
        next_seconds.append(time.perf_counter() - started)
        assert allowed, f"the market reviewer may not decide market task {task.pk}"
    seconds.sort()
    next_seconds.sort()
    p95_ms = seconds[int(0.95 * (len(seconds) - 1))] * 1000
    return {
        "permissions_bytes_per_case": round(granted_bytes / max(applications, 1), 1),
        "permission_tables_bytes": sizes,
        "permission_check": {
            "check": "approvals.permissions.can_review(reviewer, task)",
            "tasks": ReviewTask.objects.count(),
            "samples": len(seconds),
            "p50_ms": round(seconds[len(seconds) // 2] * 1000, 3),
            "p95_ms": round(p95_ms, 3),
            "p95_next_ms": round(next_seconds[int(0.95 * (len(next_seconds) - 1))] * 1000, 4),
            "target_ms": CHECK_TARGET_MS,
            "met": p95_ms < CHECK_TARGET_MS,
        },
    }


def markdown(figures: dict) -> str:
    check = figures["permission_check"]
    met = "yes" if check["met"] else "**no**"
    return "\n".join(
        [
            "| object permissions (bench/permissions.py) | figure | target | met |",
            "|---|---:|---:|---|",
            f"| bytes per case, grants on applications and tasks | "
            f"{figures['permissions_bytes_per_case']:,.0f} | | |",
            "| p95 of a reviewer's first check in a request, one task in hand "
            f"({check['tasks']:,} tasks) | "
            f"{check['p95_ms']:.3f} ms | < {check['target_ms']:.0f} ms | {met} |",
            f"| p95 of a further check in the same request | "
            f"{check.get('p95_next_ms', 0):.4f} ms | | |",
        ]
    )
