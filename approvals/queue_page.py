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
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from datetime import time as clock_time

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from common.page_cache import cached_fragments
from services.receivers import CATALOGUE_PAGES

from .calendar import official_date
from .models import ReviewTask

CLAIMS_FORM = "queue-claims"


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
    tomorrow = official_date(now) + timedelta(days=1)
    midnight = timezone.make_aware(
        datetime.combine(tomorrow, clock_time.min), timezone.get_default_timezone()
    )
    moments = [midnight, task.due_at, task.remind_at]
    return min(moment for moment in moments if moment is not None and moment > now)
