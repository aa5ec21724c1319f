"""Reads of the virtual government shared by the staff dashboard, the status page and the API.

Each function fetches its related rows in one place, so a page's query count does not grow
with the number of rows it shows.
"""

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import is_civil_servant
from services.models import Application, ApplicationEvent
from services.permissions import applications_of

from .models import ACCEPTANCE_STAGE, Certificate, Extension, ReviewTask
from .permissions import decidable_extensions, visible_tasks


def queue_for(
    user, *, state: str = "open", item_code: str = "", claimed: str = ""
) -> QuerySet[ReviewTask]:
    """The tasks of the reviewer's departments, most urgent first.

    `claimed` narrows to "mine" (claimed by the user) or "unclaimed" (nobody's yet).

    Listed by department rather than through the object permissions: routing grants every
    task to its department's staff group (permissions.grant_task) and membership keeps that
    group equal to the department's staff, so both say the same; but at a province's scale
    (150,000 open tasks in one department) checking the grant of every open task before
    sorting took seconds, while the department's part of the review_task_open_queue index
    gives the first page in queue order at once. Opening or deciding a task still asks the
    grant (task_for_reviewer, can_review).
    """
    if not is_civil_servant(user):
        return ReviewTask.objects.none()
    departments = list(Membership.objects.filter(user=user).values_list("department", flat=True))
    tasks = ReviewTask.objects.filter(department__in=departments).select_related(
        "application__item", "application__applicant", "department", "claimed_by"
    )
    if claimed == "mine":
        tasks = tasks.filter(claimed_by=user)
    elif claimed == "unclaimed":
        tasks = tasks.filter(claimed_by__isnull=True)
    if state == "open":
        tasks = tasks.filter(state__in=ReviewTask.OPEN_STATES)
    elif state:
        tasks = tasks.filter(state=state)
    if item_code:
        tasks = tasks.filter(application__item__code=item_code)
    # Tasks whose clock runs come first: a stopped one waits on someone else, not on us.
    return tasks.order_by(F("clock_stopped_at").asc(nulls_first=True), "due_at", "id")


def task_for_reviewer(user, task_id: int) -> ReviewTask:
    """A task of one of the reviewer's departments, or 404 for anyone else."""
    return get_object_or_404(
        visible_tasks(user).select_related(
            "application__item",
            "application__item_version",
            "application__applicant",
            "department",
            "decided_by",
        ),
        pk=task_id,
    )


def application_progress(application: Application) -> list[dict]:
    """The stages of a case as the applicant sees them: each department's state and opinion."""
    tasks = {
        (t.stage_order, t.department_id): t
        for t in ReviewTask.objects.filter(application=application)
        .select_related("department", "extension")
        .prefetch_related("clock_stops")
    }
    definition = application.definition
    acceptance = {
        "order": ACCEPTANCE_STAGE,
        "name": "受理",
        "name_en": "Acceptance",
        "departments": [definition["acceptance"]] if definition.get("acceptance") else [],
    }
    stages = []
    for stage in [acceptance, *definition["stages"]]:
        rows = [
            {"department": d, "task": tasks.get((stage["order"], d["id"]))}
            for d in stage["departments"]
        ]
        stages.append(
            {
                "order": stage["order"],
                "name": stage["name"],
                "name_en": stage.get("name_en", ""),
                "departments": rows,
            }
        )
    return stages


def application_for_status_page(applicant, pk: int) -> Application:
    queryset = Application.objects.select_related("item", "item_version").prefetch_related(
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("department")),
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
        .select_related("application__item", "department")
        .order_by("due_at")
    )


def extension_requests_for_head(user) -> QuerySet[Extension]:
    return (
        decidable_extensions(user)
        .filter(state=Extension.State.REQUESTED)
        .select_related("task__application__item", "task__department", "requested_by")
        .order_by("requested_at")
    )
