"""Sweep cost with 1,000 due tasks among few and among very many open tasks (issue: time).

The sweeper reads a partial index of the tasks still awaiting their timeout policy, so its
time should follow the number of due tasks, not of open ones. Target: ratio ≤ 1.5.
bench/__main__.py times one sweep with 10,000 open tasks, then again after the national-scale
seed (bench/seed.py) has added millions.
"""

import time

DEPARTMENTS_PER_CASE = 4  # the demo "business start-up" item: four departments in parallel


class SweepSeed:
    """Open review tasks inserted by SQL (generate_series), a few seconds per million."""

    def __init__(self):
        from portal.demo import load_demo
        from services.catalogue import freeze_definition
        from services.models import Application, ServiceItem

        load_demo()
        self.item = ServiceItem.objects.get(code="business-startup")
        self.version = freeze_definition(self.item)
        from accounts.models import User

        self.applicant = User.objects.get(username="hefei-demo-tech")
        self.department_ids = self.version.item_definition.review_stages[0].department_ids
        # A reused database already holds some: new ones are numbered after them.
        self.cases = Application.objects.filter(tracking_number__startswith="BENCH").count()

    def grow_to(self, open_tasks: int) -> None:
        """Open tasks of business start-up cases, four per case, up to `open_tasks` of them."""
        from django.db import connection

        cases = open_tasks // DEPARTMENTS_PER_CASE
        if cases <= self.cases:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO services_application (item_id, item_version_id, applicant_id, tracking_number,
                    status, answers, current_stage, created_at, updated_at, submitted_at, routed_at,
                    accepted_at, due_at, decision_reason, filing_capacity,
                    subject_name, subject_credit_code)
                SELECT %s, %s, %s, 'BENCH' || g, 'in_review', '{}', 1, now(), now(), now(), now(), now(),
                    now() + interval '60 days', '', 'in_person', '', ''
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
        """Make one task of each of `due` untouched cases overdue, then time one sweep over them.

        Untouched: none of the case's tasks decided or due yet, so every timed sweep does the
        same work (the first deemed approval of a case, never the last one that decides it)
        and sweeps of different runs compare like with like.
        """
        from django.db import connection

        from approvals.timeouts import sweep_overdue_tasks

        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE approvals_reviewtask SET due_at = now() - interval '1 hour'
                WHERE id IN (
                    SELECT DISTINCT ON (t.application_id) t.id FROM approvals_reviewtask t
                    JOIN services_application a ON a.id = t.application_id
                    WHERE a.tracking_number LIKE 'BENCH%%' AND NOT EXISTS (
                        SELECT 1 FROM approvals_reviewtask o WHERE o.application_id = a.id
                        AND (o.state <> 'pending' OR o.due_at < now()))
                    ORDER BY t.application_id, random() LIMIT %s)
                """,
                [due],
            )
        started = time.perf_counter()
        result = sweep_overdue_tasks()
        return time.perf_counter() - started, result.handled
