"""A province's worth of cases, written by PostgreSQL itself in a few minutes.

Every row is produced by `INSERT … SELECT … FROM generate_series` on the server: nothing
crosses the wire, which is faster still than COPY, and random() gives each case its own
item, applicant, state and dates. The cases follow the demo catalogue (portal/demo.py):
their frozen item versions, stages, departments and time limits, the object permissions
that decide who sees them (django-guardian grants, in the cases' and the tasks' own tables as
filing and routing write them) and the timeline events the status page shows. Without those
grants a reviewer could open no case and the benchmark would measure nothing.

States are those of a real register: most cases decided long ago, a quarter under review
now, a few awaiting acceptance, a supplement or still drafts. Open tasks are due in the
coming days, so nothing is overdue until the sweep benchmark makes some so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.definitions import ItemDefinition

# Share of cases per demo item: business start-up (4 departments in parallel) and the
# two-stage planning permit dominate, as company formation and construction do in a province;
# these shares give about 4 review tasks per case.
ITEM_SHARES = {
    "business-startup": 0.65,
    "construction-planning-permit": 0.20,
    "food-business-licence": 0.03,
    "residence-permit": 0.03,
    "school-enrolment": 0.03,
    "medical-insurance-transfer": 0.03,
    "information-disclosure-request": 0.03,
}
# Cumulative thresholds on one random draw per case.
STATUS_SHARES = [
    ("approved", 0.55),
    ("rejected", 0.06),
    ("withdrawn", 0.03),
    ("in_review", 0.26),
    ("supplement_requested", 0.04),
    ("submitted", 0.03),
    ("draft", 0.03),
]
CASES_PER_APPLICANT = 10
ENTERPRISE_SHARE = 0.3
SAMPLE_ANSWERS = {
    "text": "示例填写内容",
    "long_text": "示例说明：申请人按照办事指南如实填写的内容。",
    "number": 100,
    "date": "2026-01-05",
    "yes_no": True,
}


@dataclass
class SeedReport:
    applications: int = 0
    review_tasks: int = 0
    events: int = 0
    object_permissions: int = 0
    applicants: int = 0
    search: dict | None = None  # bench/search.py's figures, when it seeded the publications
    seconds: dict[str, float] = field(default_factory=dict)


def seed_national_scale(
    applications: int, *, publications: int | None = None, quick: bool = False
) -> SeedReport:
    """Add `applications` cases (about 4 review tasks each) beside the demo catalogue."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import Department
    from portal.demo import DEMO_PASSWORD, load_demo
    from services.catalogue import freeze_definition
    from services.models import ServiceItem
    from services.regions import implementation_for

    load_demo()
    report = SeedReport()
    clock = _Clock(report)
    items = {item.code: item for item in ServiceItem.objects.filter(code__in=ITEM_SHARES)}
    # The demo's first city (services/regions.py default): its implementation of each item.
    versions = {
        code: freeze_definition(implementation_for(item, None)) for code, item in items.items()
    }
    centre = Department.objects.get(code="service-centre")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM services_application")
        first_case = cursor.fetchone()[0] + 1
    with transaction.atomic(), connection.cursor() as cursor:
        # One commit at the end: WAL is flushed once, and a failed seed leaves nothing behind.
        cursor.execute("SET LOCAL synchronous_commit = off")
        citizens, enterprises = _seed_applicants(
            cursor, applications // CASES_PER_APPLICANT + 1, make_password(DEMO_PASSWORD)
        )
        report.applicants = citizens[1] + enterprises[1]
        clock.lap("applicants")
        offset = 0
        for code, share in ITEM_SHARES.items():
            count = round(applications * share)
            if code == list(ITEM_SHARES)[-1]:
                count = applications - offset
            pool = enterprises if items[code].audience == "enterprise" else citizens
            if items[code].audience == "both":
                pool = (citizens[0], citizens[1] + enterprises[1])  # ids are contiguous
            _seed_cases(cursor, items[code], versions[code], count, offset, pool)
            offset += count
        report.applications = applications
        clock.lap("applications")
        for code, version in versions.items():
            report.review_tasks += _seed_tasks(
                cursor, items[code], version.item_definition, first_case
            )
        clock.lap("review tasks")
        report.events = _seed_events(cursor, first_case, centre.pk)
        clock.lap("timeline events")
        report.object_permissions = _seed_grants(cursor, first_case)
        clock.lap("object permissions")
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE accounts_user; ANALYZE services_application; ANALYZE approvals_reviewtask;"
            " ANALYZE services_applicationevent; ANALYZE services_applicationuserobjectpermission;"
        )
    clock.lap("analyze")
    if publications:
        report.search = seed_publications_hook(publications, quick=quick)
        clock.lap("publications and search")
    return report


def seed_publications_hook(count: int, *, quick: bool = False) -> dict:
    """Publications are the disclosure search's data; bench/search.py (issue 6) seeds them.

    Its run_search_benchmark() seeds 10,000 then `count` publications and times the search
    function at both sizes, which is the search ratio of issue 6 at this scale; the pages
    measured afterwards then search a million publications.
    """
    from bench.search import run_search_benchmark

    return run_search_benchmark(sizes=(10_000, count), quick=quick)


class _Clock:
    def __init__(self, report: SeedReport):
        self.report, self.last = report, time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.report.seconds[what] = round(now - self.last, 1)
        print(f"seed: {what:<20} {now - self.last:6.1f} s", flush=True)
        self.last = now


def _seed_applicants(cursor, count: int, password: str) -> tuple[tuple[int, int], ...]:
    """Citizens then enterprises, contiguous ids: (first id, count) of each.

    One shared password hash (of the demo password): hashing a million times would measure
    Argon2, not the portal. Identifiers are left empty; bench users never log in by ID number.
    """
    enterprises = max(1, int(count * ENTERPRISE_SHARE))
    citizens = max(1, count - enterprises)
    cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM accounts_user")
    first = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, kind, real_name, resident_id, mobile,
            enterprise_name, credit_code, credit_code_override_reason, session_salt, address,
            resident_id_index, preferred_language, claim_code, elderly_mode)
        OVERRIDING SYSTEM VALUE
        SELECT %(first)s + g, %(password)s, false, 'bench-' || (%(first)s + g), '', '',
            '', false, true, now() - interval '3 years',
            CASE WHEN g < %(citizens)s THEN 'citizen' ELSE 'enterprise' END,
            CASE WHEN g < %(citizens)s THEN '市民' || g ELSE '法人' || g END, '', '',
            CASE WHEN g < %(citizens)s THEN '' ELSE '合肥示范企业' || g || '有限公司' END,
            '', '', md5(g::text), '', '', '', '', false
        FROM generate_series(0, %(total)s - 1) g
        """,
        {"first": first, "password": password, "citizens": citizens, "total": count},
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), max(id)) FROM accounts_user"
    )
    return (first, citizens), (first + citizens, enterprises)


def _status_case() -> str:
    parts, cumulative = [], 0.0
    for status, share in STATUS_SHARES:
        cumulative += share
        parts.append(f"WHEN r < {cumulative:.4f} THEN '{status}'")
    return "CASE " + " ".join(parts) + " ELSE 'approved' END"


def _sample_answers(definition: ItemDefinition) -> dict:
    answers = {}
    for question in definition.fields:
        if question.kind == "choice":
            answers[question.name] = question.choices[0] if question.choices else ""
        else:
            answers[question.name] = SAMPLE_ANSWERS[question.kind]
    return answers


def _seed_cases(cursor, item, version, count: int, offset: int, pool: tuple[int, int]) -> None:
    """Open cases were filed in the last 30 days, decided ones over the last two years."""
    import json

    last_stage = max(s.order for s in version.item_definition.review_stages)
    cursor.execute(
        f"""
        INSERT INTO services_application (item_id, implementation_id, item_version_id, applicant_id,
            tracking_number, status, answers, current_stage, created_at, updated_at,
            submitted_at, routed_at, accepted_at, due_at, decided_at, clock_stopped_at,
            decision_reason, filing_capacity, subject_name, subject_credit_code)
        SELECT %(item)s, %(implementation)s,
            CASE WHEN status = 'draft' THEN NULL ELSE %(version)s END,
            %(first_applicant)s + ((g::bigint * 7919) %% %(applicants)s),
            CASE WHEN status = 'draft' THEN NULL
                 ELSE 'B' || to_char(filed, 'YYYYMMDD') || lpad(g::text, 9, '0') END,
            status, %(answers)s::jsonb,
            CASE status WHEN 'draft' THEN NULL WHEN 'submitted' THEN 0
                 WHEN 'in_review' THEN 1 WHEN 'supplement_requested' THEN 1
                 ELSE %(last_stage)s END,
            filed - interval '1 hour', filed + interval '3 days',
            CASE WHEN status = 'draft' THEN NULL ELSE filed END,
            CASE WHEN status = 'draft' THEN NULL ELSE filed + interval '2 seconds' END,
            CASE WHEN status IN ('draft', 'submitted') THEN NULL ELSE filed + interval '1 day' END,
            CASE WHEN status IN ('draft', 'submitted') THEN NULL ELSE filed + interval '45 days' END,
            CASE WHEN status IN ('approved', 'rejected', 'withdrawn')
                 THEN filed + interval '5 days' END,
            CASE WHEN status = 'supplement_requested' THEN filed + interval '2 days' END,
            CASE WHEN status = 'rejected' THEN '材料不符合法定条件。' ELSE '' END,
            'in_person', '', ''
        FROM (
            SELECT g, status,
                CASE WHEN status IN ('approved', 'rejected', 'withdrawn')
                     THEN now() - interval '30 days' - random() * interval '700 days'
                     ELSE now() - random() * interval '30 days' END AS filed
            FROM (SELECT g, {_status_case()} AS status
                  FROM (SELECT g, random() AS r
                        FROM generate_series(%(start)s::bigint, %(stop)s) g) drawn) statuses
        ) cases
        ORDER BY filed
        """,
        {
            "item": item.pk,
            "implementation": version.implementation_id,
            "version": version.pk,
            "first_applicant": pool[0],
            "applicants": pool[1],
            "answers": json.dumps(_sample_answers(version.item_definition), ensure_ascii=False),
            "last_stage": last_stage,
            "start": offset + 1,
            "stop": offset + count,
        },
    )


def _seed_tasks(cursor, item, definition: ItemDefinition, first_case: int) -> int:
    """One task per department per stage the case reached, in the state its case implies."""
    stages = definition.stages
    last = stages[-1]
    created = 0
    for stage in stages:
        order = stage.order
        if order == 0:
            reached = "a.status <> 'draft'"
            state = "CASE WHEN a.status = 'submitted' THEN 'pending' ELSE 'approved' END"
        else:
            reached = "a.status IN ('approved', 'rejected', 'withdrawn'" + (
                ", 'in_review', 'supplement_requested')" if order == 1 else ")"
            )
            state = """CASE a.status
                WHEN 'approved' THEN CASE WHEN random() < 0.05 THEN 'deemed_approved'
                                          ELSE 'approved' END
                WHEN 'rejected' THEN CASE WHEN %(rejects)s THEN 'rejected' ELSE 'approved' END
                WHEN 'withdrawn' THEN 'cancelled'
                WHEN 'supplement_requested' THEN CASE WHEN %(first)s THEN 'supplement_requested'
                                                      ELSE 'pending' END
                ELSE CASE WHEN random() < 0.3 THEN 'approved' ELSE 'pending' END END"""
        for position, step in enumerate(stage.steps):
            params = {
                "item": item.pk,
                "first_case": first_case,
                "order": order,
                "stage_name": stage.name,
                "department": step.department_id,
                "days": step.time_limit_days,
                "policy": step.timeout_policy,
                "reminder": step.reminder_days,
                "rejects": stage is last and position == 0,
                "first": position == 0,
                "opened": f"{max(order, 0) + 1} days",
            }
            cursor.execute(
                f"""
                INSERT INTO approvals_reviewtask (application_id, stage_order, stage_name,
                    department_id, state, time_limit_days, timeout_policy, due_at,
                    reminder_days, remind_at, opinion, decided_at, created_at, clock_stopped_at)
                SELECT id, %(order)s, %(stage_name)s, %(department)s, state, %(days)s,
                    %(policy)s, due, %(reminder)s, due - %(reminder)s * interval '1 day',
                    CASE state WHEN 'approved' THEN '同意。' WHEN 'rejected' THEN '不符合条件。'
                         ELSE '' END,
                    CASE WHEN state IN ('approved', 'deemed_approved', 'rejected')
                         THEN opened + interval '1 day' END,
                    opened,
                    CASE WHEN state = 'supplement_requested' THEN opened + interval '1 day' END
                FROM (
                    SELECT a.id, ({state}) AS state,
                        a.submitted_at + %(opened)s::interval AS opened,
                        CASE WHEN a.status IN ('approved', 'rejected', 'withdrawn')
                             THEN a.submitted_at + %(days)s * interval '1.4 days'
                             ELSE now() + interval '1 day' + random() * interval '9 days' END AS due
                    FROM services_application a
                    WHERE a.item_id = %(item)s AND a.id >= %(first_case)s AND {reached}
                ) cases
                """,
                params,
            )
            created += cursor.rowcount
    return created


def _seed_events(cursor, first_case: int, centre: int) -> int:
    """The lines of the timeline every case has: submitted, routed, accepted, the outcome."""
    cursor.execute(
        """
        INSERT INTO services_applicationevent (application_id, kind, note, created_at,
            actor_id, department_id)
        SELECT a.id, e.kind, '', e.at, e.actor, e.department
        FROM services_application a
        CROSS JOIN LATERAL (VALUES
            ('created', a.created_at, a.applicant_id, NULL::bigint, true),
            ('submitted', a.submitted_at, a.applicant_id, NULL, a.status <> 'draft'),
            ('routed', a.routed_at, NULL, %(centre)s, a.status <> 'draft'),
            ('accepted', a.accepted_at, NULL, %(centre)s, a.accepted_at IS NOT NULL),
            ('stage_opened', a.accepted_at, NULL, NULL, a.accepted_at IS NOT NULL),
            ('supplement_requested', a.clock_stopped_at, NULL, NULL,
                a.status = 'supplement_requested'),
            (a.status, a.decided_at, NULL, NULL, a.status IN ('approved', 'rejected', 'withdrawn'))
        ) AS e(kind, at, actor, department, happened)
        WHERE a.id >= %(first_case)s AND e.happened
        """,
        {"first_case": first_case, "centre": centre},
    )
    return cursor.rowcount


def _seed_grants(cursor, first_case: int) -> int:
    """The object permissions filing grants (services/parties.grant_filing), in the
    applications' direct table (accounts/permission_tables.py)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from services.models import Application

    def permission(model, codename: str) -> tuple[int, int]:
        content_type = ContentType.objects.get_for_model(model)
        return content_type.pk, Permission.objects.get(
            content_type=content_type, codename=codename
        ).pk

    _, view_application = permission(Application, "view_application")
    _, change_application = permission(Application, "change_application")
    cursor.execute(
        """
        INSERT INTO services_applicationuserobjectpermission (content_object_id, user_id,
            permission_id)
        SELECT a.id, a.applicant_id, p
        FROM services_application a CROSS JOIN unnest(ARRAY[%(view)s, %(change)s]) p
        WHERE a.id >= %(first_case)s
        """,
        {"view": view_application, "change": change_application, "first_case": first_case},
    )
    granted = cursor.rowcount
    # None on review tasks: who may see and decide them follows from their department
    # (approvals/permissions.py).
    return granted
