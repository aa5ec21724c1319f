"""The reviewer's queue page: each row from the page cache under the task's own version.

The queue of a department changes all day (every decision, claim and filing moves it), so the
page as a whole is rendered for each request; its rows are not. A row shows one task, its
case (tracking number, item, applicant) and who claimed it; PostgreSQL raises the task's
`page_version` with every change to it, its clock stops and its extension (approvals migration
0081), and the application's with every change to the case and to the names on it (services
0087). A row's key is those two versions, the viewer (the row says "You" for their own claim
and offers the buttons they may press), the date; the catalogue's names come with the
catalogue token. A row is served until its deadline's colour or words would change (the
reminder, the deadline, midnight).

The claim and release buttons of every row belong to one form at the foot of the page
(`form="queue-claims"`, each with its own `formaction`): one CSRF token a page, none in a row.

The first page as a reviewer opens it (no filter, no page number) is kept whole. What it shows
that can change is read in one statement (`queue_front`): the reviewer's departments and roles,
whom they substitute for, the first 20 open tasks in the queue's order with the versions of
each task and its case, the open tasks counted up to the paginator's bound, the unread
notifications of the header and the working-day calendar's version. The page is drawn from
those values (not read again), and its key is their digest with the viewer, the date, the
language and the display mode: a kept page is a function of its key, so whatever is written,
no request is served a page its own read does not describe. What else the page shows is the
catalogue's (the departments', items' names, the items of the filter: the catalogue token)
or the rows' (their versions only rise, so an older key never comes back); it is served
until the first row's reminder or deadline, or midnight. A hit costs that statement and one
Redis read; a filtered page or any other page is rendered each time, its rows from the cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import Department, Membership, Notification, User
from common.page_cache import cached_fragments
from common.pagination import COUNTED_UP_TO
from services.models import Application
from services.receivers import CATALOGUE_PAGES

from .calendar import official_date
from .models import CalendarVersion, ReviewTask, Substitution
from .queues import QUEUE_ROW_READS

CLAIMS_FORM = "queue-claims"


class Covering(NamedTuple):
    """A substitution in force for the viewer: whose claimed tasks they may decide, until when."""

    reviewer_name: str
    ends_on: date


@dataclass(frozen=True)
class QueueFront:
    """What the reviewer's page shows that can change, besides the rows' contents and the
    catalogue: read in one statement by queue_front(), drawn as read, digested into the key."""

    memberships: tuple[tuple[int, str, bool], ...]  # department, role, is a service centre
    covering: tuple[Covering, ...]
    first_page: tuple[tuple[int, int, int], ...]  # task, its version, its case's version
    counted: int  # the open tasks, counted up to COUNTED_UP_TO + 1
    unread: int  # the header's badge
    calendar: str  # the working-day calendar's version: the rows' "n working days left"
    today: date  # the day the substitutions were read for
    # When it was read: the page's words are true from then (not part of the key).
    read_at: datetime = field(compare=False, repr=False)

    @property
    def reviewing_department_ids(self) -> set[int]:
        return {department for department, _, _ in self.memberships}

    @property
    def headed_department_ids(self) -> set[int]:
        return {department for department, role, _ in self.memberships if role == HEAD}

    @property
    def is_counter_staff(self) -> bool:
        """accounts.counter.is_service_centre_staff, of the memberships read here."""
        return any(is_centre for _, _, is_centre in self.memberships)

    def desk(self) -> dict:
        """The departments the reviewer works in, with what claim_rights says of them, of the
        memberships read here: the page lists them, their tasks and the buttons offered."""
        ids = self.reviewing_department_ids
        return {
            "departments": list(Department.objects.filter(pk__in=ids)) if ids else [],
            "reviewing_department_ids": ids,
            "headed_department_ids": self.headed_department_ids,
        }

    def first_page_tasks(self) -> list[ReviewTask]:
        """The tasks of the first page, in the order read (fetched as queue_for fetches them)."""
        ids = [task for task, _, _ in self.first_page]
        found = ReviewTask.objects.select_related(*QUEUE_ROW_READS).in_bulk(ids)
        return [found[task] for task in ids if task in found]


HEAD = Membership.Role.HEAD


def queue_front(user: User, *, rows: int) -> QueueFront:
    """The reviewer's QueueFront, its first page `rows` long, in one statement."""
    now = timezone.now()
    today = official_date(now)
    with connection.cursor() as cursor:
        cursor.execute(
            _front_sql(),
            {
                "user": user.pk,
                "today": today,
                "open": tuple(ReviewTask.OPEN_STATES),
                "rows": rows,
                "bound": COUNTED_UP_TO + 1,
            },
        )
        memberships, covering, first_page, counted, unread, calendar = cursor.fetchone()
    return QueueFront(
        memberships=tuple((d, role, centre) for d, role, centre in _json(memberships)),
        covering=tuple(Covering(name, date.fromisoformat(ends)) for name, ends in _json(covering)),
        first_page=tuple(tuple(row) for row in _json(first_page)),
        counted=counted,
        unread=unread,
        calendar=str(calendar),
        today=today,
        read_at=now,
    )


def _json(value) -> list:
    # psycopg2 decodes json itself; a driver that does not hands over the text.
    return json.loads(value) if isinstance(value, str) else value


@functools.cache
def _front_sql() -> str:
    """The statement behind queue_front. Per department (LATERAL), so each reads its part of
    the review_task_open_queue index in the queue's order and stops at the page, or at the
    bound when counting, whatever its number of open tasks; written out, because built by the
    ORM on every request it cost more than the rest of a kept page."""
    task, case = ReviewTask._meta.db_table, Application._meta.db_table
    # approvals.queues.QUEUE_ORDER
    order = "clock_stopped_at ASC NULLS FIRST, due_at, id"
    order_of_t = "t.clock_stopped_at ASC NULLS FIRST, t.due_at, t.id"
    open_tasks = f"FROM {task} WHERE department_id = desk.department_id AND state IN %(open)s"
    return f"""
        WITH desk AS MATERIALIZED (
            SELECT m.department_id, m.role, d.is_service_centre
            FROM {Membership._meta.db_table} m
            JOIN {Department._meta.db_table} d ON d.id = m.department_id
            WHERE m.user_id = %(user)s
        )
        SELECT
            (SELECT coalesce(json_agg(json_build_array(department_id, role, is_service_centre)
                                      ORDER BY department_id), '[]')
             FROM desk),
            (SELECT coalesce(json_agg(json_build_array(
                        coalesce(nullif(r.real_name, ''), r.username), s.ends_on) ORDER BY s.id),
                    '[]')
             FROM {Substitution._meta.db_table} s
             JOIN {User._meta.db_table} r ON r.id = s.reviewer_id
             WHERE s.substitute_id = %(user)s AND s.starts_on <= %(today)s
                   AND s.ends_on >= %(today)s AND s.ended_at IS NULL),
            (SELECT coalesce(json_agg(json_build_array(t.id, t.page_version, a.page_version)
                                      ORDER BY {order_of_t}), '[]')
             FROM (SELECT t.* FROM desk, LATERAL (
                       SELECT id, page_version, application_id, clock_stopped_at, due_at
                       {open_tasks} ORDER BY {order} LIMIT %(rows)s) t
                   ORDER BY {order_of_t} LIMIT %(rows)s) t
             JOIN {case} a ON a.id = t.application_id),
            (SELECT least(coalesce(sum(n), 0), %(bound)s)::integer
             FROM desk, LATERAL (SELECT count(*) AS n FROM (
                 SELECT 1 {open_tasks} ORDER BY {order} LIMIT %(bound)s) bounded) counted),
            (SELECT count(*) FROM {Notification._meta.db_table}
             WHERE recipient_id = %(user)s AND read_at IS NULL),
            (SELECT token FROM {CalendarVersion._meta.db_table}
             WHERE id = {CalendarVersion.SINGLETON})
    """  # noqa: S608 - table names from the models, values as parameters


def queue_page_key(user: User, front: QueueFront) -> str:
    """The key of the reviewer's first page: the front read, the viewer's name in the header,
    the date (the days left; substitutions begin and end with it)."""
    name = hashlib.sha256((user.applicant_name or user.username).encode()).hexdigest()[:12]
    state = hashlib.sha256(repr(front).encode()).hexdigest()[:32]
    return f"queue:{user.pk}.{name}:{front.today.isoformat()}:{state}"


def page_valid_until(tasks: list[ReviewTask], now: datetime) -> datetime:
    """The first moment one of the rows reads differently with nothing written (or midnight)."""
    return min([row_valid_until(task, now) for task in tasks] or [_midnight_after(now)])


def queue_rows(user, tasks: list[ReviewTask], desk: dict) -> list[SafeString]:
    """The rows of the page's tasks (fetched with their case, department and claimant)."""
    now = timezone.now()
    today = official_date(now)
    heads, reviews = desk["headed_department_ids"], desk["reviewing_department_ids"]

    def key_of(task: ReviewTask) -> str:
        rights = f"{int(task.department_id in heads)}{int(task.department_id in reviews)}"
        return (
            f"queue-row:{task.pk}:{task.page_version}:{task.application.page_version}:"
            f"{user.pk}.{rights}:{today.isoformat()}"
        )

    def render_one(task: ReviewTask) -> tuple[SafeString, float]:
        html = render_to_string(
            "approvals/includes/queue_row.html",
            {
                "task": task,
                "user": user,
                "headed_department_ids": heads,
                "reviewing_department_ids": reviews,
                "claims_form": CLAIMS_FORM,
            },
        )
        return SafeString(html), row_valid_until(task, now).timestamp()

    return cached_fragments(tasks, key_of=key_of, render_one=render_one, version=CATALOGUE_PAGES)


def queue_filters(request, filter_form, *, state: str, filtered: bool) -> SafeString:
    """The filter form as the query string and the items offered make it: rendered once per
    combination (a select of every item of the catalogue costs more than the rows)."""
    offered = filter_form.fields["item"].choices
    inputs = f"{sorted(request.GET.lists())!r}{offered!r}{state}{filtered}"
    digest = hashlib.sha256(inputs.encode()).hexdigest()[:32]
    context = {"filter_form": filter_form, "state": state, "filtered": filtered}

    def render_one(_form) -> tuple[SafeString, float]:
        html = render_to_string("approvals/includes/queue_filters.html", context)
        return SafeString(html), time.time() + settings.PAGE_CACHE_SECONDS

    [html] = cached_fragments(
        [filter_form], key_of=lambda _form: f"queue-filters:{digest}", render_one=render_one
    )
    return html


def row_valid_until(task: ReviewTask, now: datetime) -> datetime:
    """The first moment the row reads differently with nothing written: its reminder (amber),
    its deadline (red, "overdue"), or midnight (the working days left)."""
    moments = [_midnight_after(now), task.due_at, task.remind_at]
    return min(moment for moment in moments if moment is not None and moment > now)


def _midnight_after(now: datetime) -> datetime:
    tomorrow = official_date(now) + timedelta(days=1)
    return timezone.make_aware(
        datetime.combine(tomorrow, clock_time.min), timezone.get_default_timezone()
    )
