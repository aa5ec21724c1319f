"""Reads of the virtual government shared by the staff dashboard, the status page and the API.

Each function fetches its related rows in one place, so a page's query count does not grow
with the number of rows it shows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Department, Membership, User
from accounts.permissions import is_civil_servant
from common.bilingual import in_reader_language, text_in_reader_language
from services.models import Application, ApplicationEvent, Attachment, ServiceItem
from services.permissions import applications_of

from .calendar import current_calendar, official_date, working_days_between
from .deadlines import remaining_working_days
from .models import Certificate, ClockStop, CommonOpinion, Extension, ReviewTask, Substitution
from .permissions import decidable_extensions, visible_tasks

WORKLOAD_PERIOD_DAYS = 30


def _end_of_day(day: date) -> datetime:
    """The first moment after `day` on the portal's clock (Asia/Shanghai)."""
    return timezone.make_aware(
        datetime.combine(day + timedelta(days=1), time.min), timezone.get_default_timezone()
    )


# What a queue's row shows beside the task. The frozen definition comes along: it holds the
# stage's English name the rows show.
QUEUE_ROW_READS = (
    "application__item",
    "application__item_version",
    "application__applicant",
    "department",
    "claimed_by",
)
# The queue's order: tasks whose clock runs come first (a stopped one waits on someone else,
# not on us), then the nearest deadline. The index review_task_open_queue holds it.
QUEUE_ORDER = (F("clock_stopped_at").asc(nulls_first=True), "due_at", "id")


def queue_for(
    user,
    *,
    state: str = "open",
    item_code: str = "",
    claimed: str = "",
    due_by: date | None = None,
    department_ids: Iterable[int] | None = None,
) -> QuerySet[ReviewTask]:
    """The tasks of the reviewer's departments, most urgent first.

    `claimed` narrows to "mine" (claimed by the user), "covering" (claimed by the reviewers the
    user substitutes for today, approvals/substitutes.py) or "unclaimed" (nobody's yet); `due_by`
    to the tasks whose deadline falls on or before that day (overdue ones included).

    Listed by the user's memberships rather than through visible_tasks: a task is visible to
    its department's staff group (permissions.visible_tasks) and membership keeps that group
    equal to the department's staff, so both say the same, and the department's part of the
    review_task_open_queue index gives the first page in queue order at once. Opening or
    deciding a task still asks permissions.py (task_for_reviewer, can_review).
    `department_ids`: the user's departments when the caller has read them already
    (approvals/queue_page.queue_front).
    """
    if not is_civil_servant(user):
        return ReviewTask.objects.none()
    if department_ids is None:
        department_ids = Membership.objects.filter(user=user).values_list("department", flat=True)
    departments = list(department_ids)
    tasks = ReviewTask.objects.filter(department__in=departments).select_related(*QUEUE_ROW_READS)
    if claimed == "mine":
        tasks = tasks.filter(claimed_by=user)
    elif claimed == "covering":
        tasks = tasks.filter(claimed_by__in=covered_reviewers(user))
    elif claimed == "unclaimed":
        tasks = tasks.filter(claimed_by__isnull=True)
    if state == "open":
        tasks = tasks.filter(state__in=ReviewTask.OPEN_STATES)
    elif state:
        tasks = tasks.filter(state=state)
    if item_code:
        tasks = tasks.filter(application__item__code=item_code)
    if due_by:
        tasks = tasks.filter(due_at__lt=_end_of_day(due_by))
    return tasks.order_by(*QUEUE_ORDER)


def active_substitutions(on: date | None = None) -> QuerySet[Substitution]:
    """The substitutions in force on the day (today, the portal's date, by default)."""
    on = on or official_date(timezone.now())
    return Substitution.objects.filter(starts_on__lte=on, ends_on__gte=on, ended_at__isnull=True)


def covered_reviewers(user) -> QuerySet:
    """The ids of the reviewers `user` substitutes for today."""
    return active_substitutions().filter(substitute=user).values("reviewer_id")


def task_for_reviewer(user, task_id: int) -> ReviewTask:
    """A task of one of the reviewer's departments, or 404 for anyone else."""
    return get_object_or_404(
        visible_tasks(user).select_related(
            "application__item",
            "application__item_version",
            "application__applicant",
            "department",
            "decided_by",
            "claimed_by",
        ),
        pk=task_id,
    )


@dataclass(frozen=True)
class CaseFile:
    """What a reviewer reads to decide a task: the one read behind the task page and the API's
    task detail (approvals/views.py, approvals/serializers.TaskDetailSerializer)."""

    task: ReviewTask
    answers: list[dict]  # name, label, value: the frozen form's fields in order
    attachments: list[Attachment]  # current ones, each with `material_name` and `preview`
    clock_stops: list[ClockStop]
    extension: Extension | None
    certificate: Certificate | None
    stages: list[dict]  # application_progress(), as staff see it
    events: list[ApplicationEvent]

    @property
    def application(self) -> Application:
        return self.task.application

    @property
    def acceptance_notice_sent(self) -> bool:
        """Art. 32: the acceptance notice (一次性告知) goes once; the form then offers no other."""
        return self.task.is_acceptance and any(
            stop.reason == ClockStop.Reason.SUPPLEMENT for stop in self.clock_stops
        )


PREVIEWABLE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def case_file(task: ReviewTask) -> CaseFile:
    """Read a task's case in a fixed number of queries, whatever its departments, materials
    and events (tests/test_query_counts.py). `task`: from task_for_reviewer()."""
    application = task.application
    definition = application.definition
    return CaseFile(
        task=task,
        answers=[
            {
                "name": field.name,
                # Plain text for the API; the page marks a Chinese fallback as Chinese.
                "label": text_in_reader_language(field.label, field.label_en),
                "label_html": in_reader_language(field.label, field.label_en),
                "value": application.answers.get(field.name),
            }
            for field in definition.fields
        ],
        attachments=attachments_with_material_names(application),
        clock_stops=list(task.clock_stops.all()),
        extension=Extension.objects.filter(task=task).first(),
        certificate=Certificate.objects.filter(application=application).first(),
        stages=application_progress(application),
        events=list(application.events.select_related("department", "actor", "acting_for")),
    )


def attachments_with_material_names(application: Application) -> list[Attachment]:
    """The current files, each with the name of the material it is for, in the guide's order."""
    materials = application.definition.materials
    names = {m.code: in_reader_language(m.name, m.name_en) for m in materials}
    order = {m.code: position for position, m in enumerate(materials)}
    attachments = sorted(
        application.attachments.filter(is_current=True),
        key=lambda attachment: (order.get(attachment.material_code, len(order)), attachment.pk),
    )
    for attachment in attachments:
        attachment.material_name = names.get(attachment.material_code, attachment.material_code)
        attachment.preview = (
            "pdf"
            if attachment.content_type == "application/pdf"
            else "image"
            if attachment.content_type in PREVIEWABLE_TYPES
            else ""
        )
    return attachments


class Progress:
    """Where one department, or one stage, stands in the progress picture of a case.

    The applicant reads these words (and an icon), never a colour alone."""

    DONE = "done"
    DEEMED_APPROVED = "deemed_approved"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    CLOCK_STOPPED = "clock_stopped"
    WAITING = "waiting"
    CLOSED = "closed"


def task_progress(task: ReviewTask | None) -> str:
    if task is None:
        return Progress.WAITING
    if task.state == ReviewTask.State.APPROVED:
        return Progress.DONE
    if task.state == ReviewTask.State.DEEMED_APPROVED:
        return Progress.DEEMED_APPROVED
    if task.state == ReviewTask.State.REJECTED:
        return Progress.REJECTED
    if task.state == ReviewTask.State.CANCELLED:
        return Progress.CLOSED
    return Progress.CLOCK_STOPPED if task.clock_stopped_at else Progress.IN_PROGRESS


def stage_progress(rows: list[dict]) -> str:
    """A stage is done when every department has approved (or is deemed to), waiting until it
    opens, rejected when a department refused, and in progress otherwise."""
    states = [row["progress"] for row in rows]
    if not states or all(s == Progress.WAITING for s in states):
        return Progress.WAITING
    if Progress.REJECTED in states:
        return Progress.REJECTED
    if all(s in (Progress.DONE, Progress.DEEMED_APPROVED) for s in states):
        return Progress.DONE
    if all(s in (Progress.DONE, Progress.DEEMED_APPROVED, Progress.CLOSED) for s in states):
        return Progress.CLOSED
    if Progress.IN_PROGRESS not in states and Progress.CLOCK_STOPPED in states:
        return Progress.CLOCK_STOPPED  # nothing runs: every department still open is paused
    return Progress.IN_PROGRESS


def application_progress(application: Application, now: datetime | None = None) -> list[dict]:
    """The stages of a case as the applicant sees them: each department's state and opinion,
    where it stands in words (`progress`), and the working days left to an open task."""
    now = now or timezone.now()
    tasks = {
        (t.stage_order, t.department_id): t
        for t in ReviewTask.objects.filter(application=application)
        .select_related("department", "extension")
        .prefetch_related("clock_stops")
    }
    stages = []
    for stage in application.definition.stages:
        rows = []
        for step in stage.steps:
            task = tasks.get((stage.order, step.department_id))
            progress = task_progress(task)
            rows.append(
                {
                    "department": step,
                    "task": task,
                    "progress": progress,
                    # A stopped clock does not run down; its days left are frozen, not shown.
                    "days_left": remaining_working_days(task.due_at, now)
                    if progress == Progress.IN_PROGRESS
                    else None,
                }
            )
        stages.append(
            {
                "order": stage.order,
                "name": stage.name,
                "name_en": stage.name_en,
                "departments": rows,
                "progress": stage_progress(rows),
                "done_count": sum(
                    r["progress"] in (Progress.DONE, Progress.DEEMED_APPROVED) for r in rows
                ),
            }
        )
    return stages


def clock_stops_of(stages: list[dict]) -> list[dict]:
    """Every clock stop of a case with its department, oldest first, read from its progress
    (already fetched). A task that closes ends its stop (approvals/task_states.py), so a stop
    without an end is one that runs."""
    stops = [
        {
            "department": row["department"],
            "stop": stop,
            "running": stop.ended_at is None,
        }
        for stage in stages
        for row in stage["departments"]
        if row["task"] is not None
        for stop in row["task"].clock_stops.all()
    ]
    return sorted(stops, key=lambda entry: entry["stop"].started_at)


def tasks_of(stages: list[dict]) -> list[ReviewTask]:
    """The tasks of a case's progress (already fetched with their stops and extension)."""
    return [row["task"] for stage in stages for row in stage["departments"] if row["task"]]


def application_for_status_page(applicant, pk: int) -> Application:
    queryset = Application.objects.select_related("item", "item_version").prefetch_related(
        Prefetch(
            "events",
            queryset=ApplicationEvent.objects.select_related("department", "actor", "acting_for"),
        ),
        "attachments",
    )
    return get_object_or_404(applications_of(applicant, queryset=queryset), pk=pk)


def certificate_for_applicant(applicant, pk: int) -> Certificate:
    """The e-certificate of one of the applicant's own applications, or 404 for anyone else."""
    application = application_for_status_page(applicant, pk)
    return get_object_or_404(
        Certificate.objects.select_related("application"), application=application
    )


def overdue_tasks_for_head(user) -> QuerySet[ReviewTask]:
    """Open tasks of the head's departments past their deadline, escalated ones included."""
    return (
        visible_tasks(user)
        .filter(
            department__memberships__user=user,
            department__memberships__role=Membership.Role.HEAD,
            state__in=ReviewTask.OPEN_STATES,
            clock_stopped_at__isnull=True,
            due_at__lt=timezone.now(),
        )
        .select_related("application__item", "department", "claimed_by")
        .order_by("due_at")
    )


def extension_requests_for_head(user) -> QuerySet[Extension]:
    return (
        decidable_extensions(user)
        .filter(state=Extension.State.REQUESTED)
        .select_related("task__application__item", "task__department", "requested_by")
        .order_by("requested_at")
    )


def common_opinions_for(task: ReviewTask) -> QuerySet[CommonOpinion]:
    """The stock opinions of the task's own department for the task's item (or for every item).

    A reviewer never sees another department's opinions, nor those written for another item.
    """
    return (
        CommonOpinion.objects.filter(department_id=task.department_id)
        .filter(Q(items=None) | Q(items=task.application.item_id))
        .distinct()
    )


def items_in_queue(user, department_ids: Iterable[int] | None = None) -> list[tuple[str, str]]:
    """(code, name) of the service items whose tasks reach the reviewer's departments.

    Read from the catalogue (its size), not from the tasks (a province's millions): the items
    with a review stage in one of the user's departments, or that one of them accepts: for a
    service centre, every item implemented in its region. The queue's item filter itself works
    on any code. `department_ids`: the user's departments as the caller read them (the kept
    queue page draws everything from one read, approvals/queue_page.py).
    """
    if not is_civil_servant(user):
        return []
    if department_ids is None:
        departments = Membership.objects.filter(user=user).values("department")
    else:
        departments = list(department_ids)
    # A service centre accepts the items implemented in its own region, not another city's.
    centre_regions = Department.objects.filter(pk__in=departments, is_service_centre=True).values(
        "region"
    )
    items = ServiceItem.objects.filter(
        Q(implementations__stages__departments__department__in=departments)
        | Q(implementations__accepting_department__in=departments)
        | Q(implementations__region__in=centre_regions)
    )
    # Named as the rows name them: in English on English pages, where the item has an English name.
    rows = items.values_list("code", "name", "name_en").distinct().order_by("code")
    return [(code, text_in_reader_language(name, name_en)) for code, name, name_en in rows]


def claim_rights(user) -> dict[str, set[int]]:
    """The departments whose tasks the user may claim (any they belong to: the domain checks
    the task's own rule) and those whose claims they may release (the ones they head)."""
    rows = Membership.objects.filter(user=user).values_list("department_id", "role")
    return {
        "reviewing_department_ids": {department for department, _ in rows},
        "headed_department_ids": {d for d, role in rows if role == Membership.Role.HEAD},
    }


def headed_departments(user) -> QuerySet[Department]:
    return Department.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.HEAD
    ).distinct()


def workload_for_head(user, now: datetime | None = None) -> list[dict]:
    """Per reviewer of the departments the user heads: open tasks they claimed, tasks they
    decided in the last 30 days, the average working days those took, and their overdue tasks.

    Two queries over the departments' tasks, whatever their number: one grouped by claimant
    for the open work, one for the last 30 days' decisions (with the working days their clocks
    stood still summed in), whose durations are counted on the working-day calendar here,
    because the calendar is not in SQL. Clock stops do not count against the reviewer either.
    """
    now = now or timezone.now()
    departments = list(headed_departments(user).values_list("pk", flat=True))
    if not departments:
        return []
    tasks = ReviewTask.objects.filter(department_id__in=departments)
    open_by_claimant = {
        row["claimed_by"]: row
        for row in tasks.filter(state__in=ReviewTask.OPEN_STATES)
        .values("claimed_by")
        .annotate(
            open_claimed=Count("pk"),
            overdue=Count("pk", filter=Q(clock_stopped_at__isnull=True, due_at__lt=now)),
        )
        .order_by()
    }
    decided = (
        tasks.filter(
            decided_by__isnull=False,
            decided_at__gte=now - timedelta(days=WORKLOAD_PERIOD_DAYS),
            state__in=[ReviewTask.State.APPROVED, ReviewTask.State.REJECTED],
        )
        .annotate(stopped=Coalesce(Sum("clock_stops__stopped_working_days"), 0))
        .values_list("decided_by", "created_at", "decided_at", "stopped")
    )
    durations: dict[int, list[int]] = {}
    calendar = current_calendar()
    for reviewer_id, opened_at, decided_at, stopped in decided:
        days = max(working_days_between(opened_at, decided_at, calendar) - stopped, 0)
        durations.setdefault(reviewer_id, []).append(days)
    reviewers = (
        # Clerks included: they decide the acceptance tasks of the service centre.
        User.objects.filter(memberships__department_id__in=departments)
        .distinct()
        .order_by("real_name", "username")
    )
    figures = []
    for reviewer in reviewers:
        open_row = open_by_claimant.get(reviewer.pk, {})
        days = durations.get(reviewer.pk, [])
        figures.append(
            {
                "reviewer": reviewer,
                "open_claimed": open_row.get("open_claimed", 0),
                "decided": len(days),
                "average_days": round(sum(days) / len(days), 1) if days else None,
                "overdue": open_row.get("overdue", 0),
            }
        )
    unclaimed = open_by_claimant.get(None, {})
    figures.append(
        {
            "reviewer": None,
            "open_claimed": unclaimed.get("open_claimed", 0),
            "decided": None,
            "average_days": None,
            "overdue": unclaimed.get("overdue", 0),
        }
    )
    return figures
