"""The applicant's status page, served from the page cache under versions PostgreSQL keeps.

A live page (the person's own case) cannot be cached under a token that code must remember to
change: too many writers touch a case. Its key is read from the database in one query that
also asks whether the person may see the case at all:

- the application's `page_version`, which triggers raise in the same transaction as every
  change the page shows (services migration 0087, approvals 0081): its status, events, tasks,
  clock stops, extensions, certificate, instruments, files, rating, the names on it;
- the number of the person's unread notifications (the header's badge);
- the working-day calendar's version (the days left, the deadlines explained);
- the person (id, kind, name in the header, whether they may withdraw the case), the date,
  the language and the display mode (common/page_cache.py adds the last two).

An entry is only served under the version it was rendered at: a version is never lowered
(the trigger sets one more than the row held), so an entry of an older state is never served
for a newer one, whatever Redis kept through an outage. The page's words also change with the
clock alone: "due today" becomes "overdue" when a deadline passes, a written instrument stops
being "in preparation" after the reconciler's window (the instruments panel says so itself,
common.page_cache.page_changes_at); the entry is served only until the first such moment, and
never past midnight. The catalogue's names (the item, the
departments) come with the catalogue pages' token (services/receivers.py).
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, time, timedelta

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.counter import is_service_centre_staff
from accounts.models import Notification, User
from services.models import Application
from services.parties import may_withdraw
from services.permissions import VIEW_APPLICATION

from .calendar import official_date
from .models import CalendarVersion, Certificate


def status_page_key(request: HttpRequest, pk: int) -> str | None:
    """The cache key of the person's status page of case `pk`; None if they may not see it."""
    user = request.user
    if not user.is_active:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), {"user": user.pk, "case": pk, **_grant_params()})
        row = cursor.fetchone()
    if row is None:
        return None
    version, applicant_id, unread_count, calendar_token = row
    if applicant_id == user.pk:
        withdraws = True
    else:  # an enterprise's overseer or member, an agent: the role is read now, not cached
        withdraws = may_withdraw(user, Application(applicant=User.objects.get(pk=applicant_id)))
    counter = is_service_centre_staff(user) if user.kind == User.Kind.STAFF else False
    name = hashlib.sha256((user.applicant_name or user.username).encode()).hexdigest()[:12]
    viewer = f"{user.pk}.{user.kind}.{name}.{int(withdraws)}.{int(counter)}.{unread_count}"
    today = official_date(timezone.now()).isoformat()
    return f"status:{pk}:{version}:{calendar_token}:{today}:{viewer}"


@functools.cache
def _key_sql() -> str:
    """One statement: the version, the applicant, the unread count and the calendar's version,
    of a case the person may see. Its permission test is accounts.permissions.objects_permitted's
    (the view grant held in person or through a group), written out: built by the ORM on every
    request it cost more than the rest of a cached page (tests/test_status_page_cache.py checks
    that both answer alike)."""
    from django.contrib.auth.models import Permission

    from services.models import ApplicationGroupObjectPermission, ApplicationUserObjectPermission

    groups = User.groups.through._meta.db_table
    # The applications' own grant tables (accounts/permission_tables.py), keyed by the case.
    grant = (
        f"JOIN {Permission._meta.db_table} p ON p.id = g.permission_id "
        "WHERE p.content_type_id = %(content_type)s "
        "AND p.codename = %(codename)s AND g.content_object_id = a.id"
    )
    return f"""
        SELECT a.page_version, a.applicant_id,
            (SELECT count(*) FROM {Notification._meta.db_table} n
             WHERE n.recipient_id = %(user)s AND n.read_at IS NULL),
            (SELECT token FROM {CalendarVersion._meta.db_table} WHERE id = {CalendarVersion.SINGLETON})
        FROM {Application._meta.db_table} a
        WHERE a.id = %(case)s AND (
            EXISTS (SELECT 1 FROM {ApplicationUserObjectPermission._meta.db_table} g {grant}
                    AND g.user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {ApplicationGroupObjectPermission._meta.db_table} g
                       JOIN {groups} ug ON ug.group_id = g.group_id AND ug.user_id = %(user)s
                       {grant}))
    """  # noqa: S608 - table names from the models, values as parameters


def _grant_params() -> dict:
    from django.contrib.contenttypes.models import ContentType

    return {
        "content_type": ContentType.objects.get_for_model(Application).pk,
        "codename": VIEW_APPLICATION.split(".", 1)[1],
    }


def status_page_context(request: HttpRequest, pk: int) -> dict:
    from .explanation import explain_case
    from .queues import (
        application_for_status_page,
        application_progress,
        attachments_with_material_names,
        clock_stops_of,
        tasks_of,
    )

    application = application_for_status_page(request.user, pk)
    stages = application_progress(application)
    return {
        "application": application,
        "stages": stages,
        "clock_stops": clock_stops_of(stages),
        "deadlines": explain_case(application, tasks_of(stages)),
        "departments_done": sum(stage["done_count"] for stage in stages),
        "departments_total": sum(len(stage["departments"]) for stage in stages),
        "certificate": Certificate.objects.filter(application=application).first(),
        "attachments": attachments_with_material_names(application),
        # The principal and an enterprise's overseers; not the agent who filed it.
        "may_withdraw": may_withdraw(request.user, application),
    }


def render_status_page(request: HttpRequest, pk: int) -> tuple[HttpResponse, float]:
    """The page, and until when its words hold without any write (a POSIX timestamp)."""
    now = timezone.now()
    context = status_page_context(request, pk)
    response = render(request, "approvals/application_status.html", context)
    return response, valid_until(context, now).timestamp()


def valid_until(context: dict, now: datetime) -> datetime:
    """The first moment the page would read differently with nothing written: midnight (the
    days left) or a deadline passing (due today → overdue). Parts drawn by other apps' template
    tags add their own moments (common.page_cache.page_changes_at: the instruments panel)."""
    application = context["application"]
    tomorrow = official_date(now) + timedelta(days=1)
    moments = [
        timezone.make_aware(datetime.combine(tomorrow, time.min), timezone.get_default_timezone())
    ]
    moments.append(application.due_at)
    for stage in context["stages"]:
        for row in stage["departments"]:
            if row["task"] is not None:
                moments += [row["task"].due_at, row["task"].remind_at]
    return min(moment for moment in moments if moment is not None and moment > now)
