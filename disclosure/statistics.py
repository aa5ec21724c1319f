"""Public statistics of the virtual government: how many, how fast, how often on time.

Computed in SQL: working days are counted against the working-day calendar
(approvals.calendar's rules — Monday to Friday, minus holidays, plus make-up working days, in
the portal's time zone, the first day not counted), the 90th percentile with percentile_cont.
A row is a dict; `COLUMNS` says which keys a page, the CSV and the charts show, in order.

Adding a column is two steps: an `Annotator` that adds its keys to each row (one query per
table, keyed by department or item id), appended to `ANNOTATORS`, and a `Column` in `COLUMNS`.
Nothing else changes: pages, CSV and charts read the lists. The applicants' ratings (好差评) are
added that way.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.calendar import current_calendar, working_days_between
from approvals.models import ReviewTask

from .models import Publication


@dataclass(frozen=True)
class Period:
    """What the statistics count: [start, end) in the portal's time zone, a calendar year or
    everything (None); of the departments and cases of one region, its districts included
    (`region_prefix`, services.regions.code_prefix), or of every region ("")."""

    year: int | None = None
    region_prefix: str = ""

    @property
    def start(self) -> datetime:
        tz = ZoneInfo(settings.TIME_ZONE)
        return datetime(self.year or 1970, 1, 1, tzinfo=tz)

    @property
    def end(self) -> datetime:
        tz = ZoneInfo(settings.TIME_ZONE)
        return datetime((self.year or 9998) + 1, 1, 1, tzinfo=tz)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count | days | rate


COLUMNS: list[Column] = [
    Column("received", _("Received")),
    Column("decided", _("Decided")),
    Column("approved", _("Approved")),
    Column("rejected", _("Rejected")),
    Column("average_days", _("Average working days to decision"), "days"),
    Column("p90_days", _("90th percentile of working days"), "days"),
    Column("on_time_rate", _("Decided on time"), "rate"),
    Column("deemed_approvals", _("Deemed approvals (silence means consent)")),
    Column("extensions", _("Extensions granted")),
    Column("average_rating", _("Average rating (1–5)"), "days"),
    Column("ratings", _("Ratings given")),
]

# SQL: the working days from the day after `start` to the day of `end` (both timestamptz), on the
# calendar table; the same count as approvals.calendar.working_days_between.
WORKING_DAYS_SQL = """(
    SELECT count(*) FROM generate_series(
        (({start}) AT TIME ZONE %(tz)s)::date + 1, (({end}) AT TIME ZONE %(tz)s)::date,
        interval '1 day') AS d(day)
    WHERE (extract(isodow FROM d.day) < 6
           AND NOT EXISTS (SELECT 1 FROM approvals_calendarday c
                           WHERE c.date = d.day::date AND c.kind = 'holiday'))
       OR EXISTS (SELECT 1 FROM approvals_calendarday c
                  WHERE c.date = d.day::date AND c.kind = 'workday')
)"""

AGGREGATES_SQL = """
    count(*) AS received,
    count(decided_at) AS decided,
    count(*) FILTER (WHERE outcome = 'approved') AS approved,
    count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
    round(avg(working_days)::numeric, 1)::float AS average_days,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY working_days) AS p90_days,
    (count(*) FILTER (WHERE decided_at <= due_at))::float / nullif(count(decided_at), 0)
        AS on_time_rate,
    count(*) FILTER (WHERE deemed) AS deemed_approvals,
    coalesce(sum(extensions), 0)::int AS extensions
"""

# The department `d` belongs to the region counted (its code begins with the prefix; "" is all).
DEPARTMENT_IN_REGION_SQL = """starts_with(
    (SELECT r.code FROM accounts_region r WHERE r.id = d.region_id), %(region_prefix)s)"""
# The case `a` was filed under an implementation of the region counted.
APPLICATION_IN_REGION_SQL = """starts_with(
    (SELECT r.code FROM services_itemimplementation i JOIN accounts_region r ON r.id = i.region_id
      WHERE i.id = a.implementation_id), %(region_prefix)s)"""

BY_DEPARTMENT_SQL = f"""
WITH cases AS (
    SELECT t.department_id AS group_id, t.decided_at, t.due_at,
           CASE WHEN t.state IN ('approved', 'deemed_approved') THEN 'approved'
                WHEN t.state = 'rejected' THEN 'rejected' END AS outcome,
           t.state = 'deemed_approved' AS deemed,
           (SELECT count(*) FROM approvals_extension e
             WHERE e.task_id = t.id AND e.state = 'approved') AS extensions,
           CASE WHEN t.decided_at IS NOT NULL
                THEN {WORKING_DAYS_SQL.format(start="t.created_at", end="t.decided_at")} END
                AS working_days
      FROM approvals_reviewtask t
     WHERE t.stage_order > 0 AND t.created_at >= %(start)s AND t.created_at < %(end)s
       AND (t.decided_at IS NOT NULL OR t.state NOT IN ('cancelled'))
       -- letters are answered, not decided: they have a table of their own (LETTERS_…)
       AND NOT EXISTS (SELECT 1 FROM services_letter l WHERE l.application_id = t.application_id)
)
SELECT d.id, d.code, d.name, d.name_en, {AGGREGATES_SQL}
  FROM cases JOIN accounts_department d ON d.id = cases.group_id
 WHERE {DEPARTMENT_IN_REGION_SQL}
 GROUP BY d.id, d.code, d.name, d.name_en
 ORDER BY d.code
"""

BY_ITEM_SQL = f"""
WITH cases AS (
    SELECT a.item_id AS group_id, a.decided_at, a.due_at,
           CASE WHEN a.status IN ('approved', 'rejected') THEN a.status END AS outcome,
           EXISTS (SELECT 1 FROM approvals_reviewtask t
                    WHERE t.application_id = a.id AND t.state = 'deemed_approved') AS deemed,
           (SELECT count(*) FROM approvals_extension e JOIN approvals_reviewtask t
                ON t.id = e.task_id
             WHERE t.application_id = a.id AND e.state = 'approved') AS extensions,
           CASE WHEN a.decided_at IS NOT NULL
                THEN {WORKING_DAYS_SQL.format(start="a.submitted_at", end="a.decided_at")} END
                AS working_days
      FROM services_application a
     WHERE a.submitted_at IS NOT NULL AND a.submitted_at >= %(start)s
       AND a.submitted_at < %(end)s
       AND NOT EXISTS (SELECT 1 FROM services_letter l WHERE l.application_id = a.id)
       AND {APPLICATION_IN_REGION_SQL}
)
SELECT i.id, i.code, i.name, i.name_en, {AGGREGATES_SQL}
  FROM cases JOIN services_serviceitem i ON i.id = cases.group_id
 GROUP BY i.id, i.code, i.name, i.name_en
 ORDER BY i.code
"""


def _rows(sql: str, period: Period, department_ids: list[int] | None = None) -> list[dict]:
    params = {
        "tz": settings.TIME_ZONE,
        "start": period.start,
        "end": period.end,
        "region_prefix": period.region_prefix,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    if department_ids is not None:
        rows = [row for row in rows if row["id"] in department_ids]
    return rows


Annotator = Callable[[list[dict], Period, str], None]
"""Adds keys to the rows in place; the str says what the rows are: "department" or "item"."""

# The ratings of the cases received in the period: by item, and by every department that
# reviewed the case (a department shares the case's rating with the others it worked with).
RATINGS_BY_ITEM_SQL = f"""
SELECT a.item_id AS id, round(avg(r.score)::numeric, 1)::float AS average_rating,
       count(*) AS ratings
  FROM services_rating r JOIN services_application a ON a.id = r.application_id
 WHERE a.submitted_at >= %(start)s AND a.submitted_at < %(end)s
   AND {APPLICATION_IN_REGION_SQL}
 GROUP BY a.item_id
"""
RATINGS_BY_DEPARTMENT_SQL = """
SELECT t.department_id AS id, round(avg(r.score)::numeric, 1)::float AS average_rating,
       count(*) AS ratings
  FROM services_rating r JOIN services_application a ON a.id = r.application_id
  JOIN (SELECT DISTINCT application_id, department_id FROM approvals_reviewtask
         WHERE stage_order > 0) t ON t.application_id = a.id
 WHERE a.submitted_at >= %(start)s AND a.submitted_at < %(end)s
 GROUP BY t.department_id
"""


def add_ratings(rows: list[dict], period: "Period", of: str) -> None:
    sql = RATINGS_BY_DEPARTMENT_SQL if of == "department" else RATINGS_BY_ITEM_SQL
    found = {row["id"]: row for row in _rows(sql, period)}
    for row in rows:
        rated = found.get(row["id"], {})
        row["average_rating"] = rated.get("average_rating")
        row["ratings"] = rated.get("ratings", 0)


ANNOTATORS: list[Annotator] = [add_ratings]


def statistics_by_department(period: Period, department_ids: list[int] | None = None) -> list[dict]:
    rows = _rows(BY_DEPARTMENT_SQL, period, department_ids)
    for annotate in ANNOTATORS:
        annotate(rows, period, "department")
    return rows


def statistics_by_item(period: Period) -> list[dict]:
    rows = _rows(BY_ITEM_SQL, period)
    for annotate in ANNOTATORS:
        annotate(rows, period, "item")
    return rows


def display_name(row: dict) -> str:
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and row.get("name_en"):
        return row["name_en"]
    return row["name"]


def format_value(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.0f}%"
    if kind == "days":
        return f"{value:.1f}"
    return str(value)


def table(rows: list[dict], columns: list[Column] | None = None) -> list[dict]:
    """Rows as a page shows them: the name, then each column's formatted value."""
    columns = COLUMNS if columns is None else columns
    return [
        {
            "row": row,
            "name": display_name(row),
            "cells": [format_value(row.get(c.key), c.kind) for c in columns],
        }
        for row in rows
    ]


def as_csv(rows: list[dict], name_header: str, columns: list[Column] | None = None) -> str:
    """CSV with raw numbers (not rounded for display), for spreadsheets."""
    columns = COLUMNS if columns is None else columns
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", str(name_header), *[str(c.label) for c in columns]])
    for row in rows:
        writer.writerow(
            [
                row["code"],
                display_name(row),
                *["" if row.get(c.key) is None else row.get(c.key) for c in columns],
            ]
        )
    return out.getvalue()


# --- consultations on drafts (征求意见) -----------------------------------------------------------

CONSULTATION_COLUMNS: list[Column] = [
    Column("consultations", _("Consultations")),
    Column("comments_received", _("Comments received")),
    Column("comments_published", _("Comments published")),
    Column("comments_adopted", _("Comments adopted (fully or in part)")),
    Column("reports_published", _("Feedback reports published")),
    Column("reports_on_time", _("Feedback reports on time")),
    Column("reports_late", _("Feedback reports late and still owed")),
]

# Consultations published in the period, by department; comments counted per consultation
# first, so that a consultation's figures are not multiplied by its number of comments.
CONSULTATIONS_BY_DEPARTMENT_SQL = f"""
WITH comments AS (
    SELECT consultation_id, count(*) AS received,
           count(*) FILTER (WHERE state = 'published') AS published
      FROM disclosure_consultationcomment
     GROUP BY consultation_id
)
SELECT d.id, d.code, d.name, d.name_en,
       count(*) AS consultations,
       coalesce(sum(cm.received), 0)::int AS comments_received,
       coalesce(sum(cm.published), 0)::int AS comments_published,
       coalesce(sum(c.adopted_count) FILTER (WHERE c.report_published_at IS NOT NULL), 0)::int
           AS comments_adopted,
       count(c.report_published_at) AS reports_published,
       count(*) FILTER (WHERE c.report_published_at <= c.report_due_at) AS reports_on_time,
       count(*) FILTER (WHERE c.report_published_at IS NULL AND c.report_due_at < %(now)s)
           AS reports_late
  FROM disclosure_consultation c
  JOIN disclosure_publication p ON p.id = c.publication_id
  JOIN accounts_department d ON d.id = p.department_id
  LEFT JOIN comments cm ON cm.consultation_id = c.id
 WHERE p.state = 'published' AND p.classification = 'public'
   AND p.published_at >= %(start)s AND p.published_at < %(end)s
   AND {DEPARTMENT_IN_REGION_SQL}
 GROUP BY d.id, d.code, d.name, d.name_en
 ORDER BY d.code
"""


# --- letters to the government (政民互动) ----------------------------------------------------------

LETTER_COLUMNS: list[Column] = [
    Column("assigned", _("Letters assigned")),
    Column("answered", _("Answered")),
    Column("average_days", _("Average working days to answer"), "days"),
    Column("on_time_rate", _("Answered on time"), "rate"),
    Column("escalated", _("Escalated to the head (no answer in time)")),
    Column("second_answers", _("Second answers asked for")),
    Column("satisfied", _("Satisfied")),
    Column("basically_satisfied", _("Basically satisfied")),
    Column("unsatisfied", _("Unsatisfied")),
    Column("satisfaction_rate", _("Satisfied or basically satisfied"), "rate"),
]

# Every department's answering tasks of letters created in the period (a second answer is a
# task of its own), with the writer's rating of that answer.
LETTERS_BY_DEPARTMENT_SQL = f"""
WITH answers AS (
    SELECT t.department_id, t.stage_order, t.decided_at, t.due_at, t.escalated_at,
           CASE WHEN t.stage_order = 1 THEN l.satisfaction ELSE l.second_satisfaction END
               AS satisfaction,
           CASE WHEN t.decided_at IS NOT NULL
                THEN {WORKING_DAYS_SQL.format(start="t.created_at", end="t.decided_at")} END
                AS working_days
      FROM approvals_reviewtask t
      JOIN services_letter l ON l.application_id = t.application_id
     WHERE t.stage_order > 0 AND t.state <> 'cancelled'
       AND t.created_at >= %(start)s AND t.created_at < %(end)s
)
SELECT d.id, d.code, d.name, d.name_en,
       count(*) AS assigned,
       count(decided_at) AS answered,
       round(avg(working_days)::numeric, 1)::float AS average_days,
       (count(*) FILTER (WHERE decided_at <= due_at))::float / nullif(count(decided_at), 0)
           AS on_time_rate,
       count(escalated_at) AS escalated,
       count(*) FILTER (WHERE stage_order = 2) AS second_answers,
       count(*) FILTER (WHERE satisfaction = 'satisfied') AS satisfied,
       count(*) FILTER (WHERE satisfaction = 'basically_satisfied') AS basically_satisfied,
       count(*) FILTER (WHERE satisfaction = 'unsatisfied') AS unsatisfied,
       (count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')))::float
           / nullif(count(*) FILTER (WHERE satisfaction <> ''), 0) AS satisfaction_rate
  FROM answers JOIN accounts_department d ON d.id = answers.department_id
 WHERE {DEPARTMENT_IN_REGION_SQL}
 GROUP BY d.id, d.code, d.name, d.name_en
 ORDER BY d.code
"""


def letters_by_department(period: Period) -> list[dict]:
    """Letters by answering department: how many, how fast, how often late, how satisfied."""
    return _rows(LETTERS_BY_DEPARTMENT_SQL, period)


def consultations_by_department(period: Period) -> list[dict]:
    """Public consultations per department: comments received, published and adopted, and
    whether the feedback reports came on time (disclosure/consultations.py)."""
    params = {
        "start": period.start,
        "end": period.end,
        "now": timezone.now(),
        "region_prefix": period.region_prefix,
    }
    with connection.cursor() as cursor:
        cursor.execute(CONSULTATIONS_BY_DEPARTMENT_SQL, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


# --- charts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn on the server as SVG, readable without JavaScript.

    The template gives it a <title> and <desc> and the numbers as text beside each bar, and the
    same figures are in the table under it, so a screen reader loses nothing.
    """

    title: str
    description: str
    bars: list[Bar]
    height: int
    label_width: int = 260
    bar_area: int = 300
    row_height: int = 28


def bar_chart(rows: list[dict], key: str, kind: str, title: str, description: str) -> BarChart:
    values = [(display_name(r), r.get(key)) for r in rows if r.get(key) is not None]
    largest = max((v for _, v in values), default=0) or 1
    chart = BarChart(title=title, description=description, bars=[], height=0)
    bars = [
        Bar(
            label=label,
            value=value,
            value_text=format_value(value, kind),
            y=i * chart.row_height,
            width=round(chart.bar_area * value / largest, 1),
        )
        for i, (label, value) in enumerate(values)
    ]
    return BarChart(
        title=title,
        description=description,
        bars=bars,
        height=max(len(bars), 1) * chart.row_height,
    )


# --- a department head's view --------------------------------------------------------------------


def open_work_of(department_id: int) -> dict:
    """What the public page does not show: today's open and overdue tasks of the department."""
    now = timezone.now()
    tasks = ReviewTask.objects.filter(department_id=department_id, state__in=ReviewTask.OPEN_STATES)
    return {
        "open": tasks.count(),
        "overdue": tasks.filter(clock_stopped_at__isnull=True, due_at__lt=now).count(),
        "clock_stopped": tasks.filter(clock_stopped_at__isnull=False).count(),
        "extensions_awaiting": tasks.filter(extension__state="requested").count(),
    }


# --- the annual report (政府信息公开年度报告) ----------------------------------------------------


@dataclass
class ReportSection:
    title: str
    rows: list[tuple[str, object]]


def annual_report(year: int) -> list[ReportSection]:
    """The annual report on government information disclosure for `year` (Regulations Art. 49-50).

    Its sections follow the national template: proactive disclosure, disclosure requests and
    how they were answered, permits decided. Administrative reconsiderations and lawsuits are
    not handled in this portal and are therefore not reported from it.
    """
    from .requests import disclosure_request_item_codes

    period = Period(year)
    published = Publication.objects.public().filter(
        published_at__gte=period.start, published_at__lt=period.end
    )
    withdrawn = Publication.objects.filter(
        classification=Publication.Classification.PUBLIC,
        state=Publication.State.WITHDRAWN,
        withdrawn_at__gte=period.start,
        withdrawn_at__lt=period.end,
    )
    proactive = [
        (str(label), published.filter(kind=value).count())
        for value, label in Publication.Kind.choices
    ]
    proactive.append((str(_("Withdrawn during the year")), withdrawn.count()))

    codes = disclosure_request_item_codes()
    requests = [row for row in statistics_by_item(period) if row["code"] in codes]
    received = sum(r["received"] for r in requests)
    decided = sum(r["decided"] for r in requests)
    disclosed = sum(r["approved"] for r in requests)
    refused = sum(r["rejected"] for r in requests)
    from services.models import Application

    carried_over = (
        Application.objects.filter(item__code__in=codes, submitted_at__lt=period.start)
        .exclude(decided_at__lt=period.start)
        .exclude(status=Application.Status.WITHDRAWN)
        .count()
    )
    still_open = (
        Application.objects.filter(item__code__in=codes, submitted_at__lt=period.end)
        .exclude(decided_at__lt=period.end)
        .exclude(status__in=[Application.Status.WITHDRAWN, Application.Status.DRAFT])
        .count()
    )
    on_request = [
        (str(_("Requests received during the year")), received),
        (str(_("Requests carried over from the previous year")), carried_over),
        (str(_("Answered: information disclosed")), disclosed),
        (str(_("Answered: not disclosed")), refused),
        (str(_("Answered in total")), decided),
        (str(_("Still being handled at the end of the year")), still_open),
        (
            str(_("Extensions granted")),
            sum(r["extensions"] for r in requests),
        ),
    ]

    permits = statistics_by_item(period)
    permit_rows = [
        (
            str(_("Applications received")),
            sum(r["received"] for r in permits if r["code"] not in codes),
        ),
        (str(_("Permits granted")), sum(r["approved"] for r in permits if r["code"] not in codes)),
        (str(_("Permits refused")), sum(r["rejected"] for r in permits if r["code"] not in codes)),
        (
            str(_("Deemed approvals (silence means consent)")),
            sum(r["deemed_approvals"] for r in permits if r["code"] not in codes),
        ),
    ]
    return [
        ReportSection(str(_("I. Proactive disclosure (publications during the year)")), proactive),
        ReportSection(str(_("II. Disclosure on request")), on_request),
        ReportSection(str(_("III. Administrative permits")), permit_rows),
    ]


def annual_report_csv(year: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "indicator", "value"])
    for section in annual_report(year):
        for label, value in section.rows:
            writer.writerow([section.title, label, value])
    return out.getvalue()


def working_days_python(start: datetime, end: datetime) -> int:
    """The same count in Python, for checking the SQL against approvals.calendar."""
    return working_days_between(start, end, current_calendar())


def years_with_data() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - 5, -1))


def today() -> date:
    return timezone.localdate()
