"""Routing: an application becomes review tasks, one per department of a stage, all at once."""

import logging

from django.db import transaction
from django.utils import timezone

from services.lifecycle import change_status, record_event
from services.models import Application, ApplicationEvent

from .deadlines import deadline_after
from .models import ReviewTask

logger = logging.getLogger(__name__)
Status = Application.Status
Event = ApplicationEvent.Kind


def stage_definition(application: Application, order: int) -> dict | None:
    return next((s for s in application.definition["stages"] if s["order"] == order), None)


def next_stage_order(application: Application, after: int | None) -> int | None:
    orders = sorted(s["order"] for s in application.definition["stages"])
    return next((o for o in orders if after is None or o > after), None)


def open_stage(application: Application, order: int, now) -> list[ReviewTask]:
    """Create the stage's tasks in parallel; existing ones are left alone (unique constraint)."""
    stage = stage_definition(application, order)
    tasks = [
        ReviewTask(
            application=application,
            stage_order=order,
            stage_name=stage["name"],
            department_id=department["id"],
            time_limit_days=department["time_limit_days"],
            due_at=deadline_after(now, department["time_limit_days"]),
        )
        for department in stage["departments"]
    ]
    ReviewTask.objects.bulk_create(tasks, ignore_conflicts=True)
    return list(
        ReviewTask.objects.filter(application=application, stage_order=order).select_related(
            "department"
        )
    )


def overall_due_date(application: Application):
    limits = application.definition["item"]
    return deadline_after(
        application.submitted_at, limits["promised_limit_days"] or limits["statutory_limit_days"]
    )


@transaction.atomic
def route_application(application_id: int) -> list[ReviewTask]:
    """Send a submitted application to the departments of its first stage. Safe to run twice."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item_version")
        .get(pk=application_id)
    )
    if application.status != Status.SUBMITTED:
        return []
    now = timezone.now()
    first = next_stage_order(application, None)
    tasks = open_stage(application, first, now)
    change_status(
        application,
        Status.IN_REVIEW,
        event=Event.ROUTED,
        note=", ".join(task.department.name for task in tasks),
        routed_at=now,
        current_stage=first,
        due_at=overall_due_date(application),
    )
    logger.info("Routed %s to %d departments", application.tracking_number, len(tasks))
    return tasks


def unrouted_application_ids(older_than, limit: int = 500) -> list[int]:
    """Submitted applications whose routing message never arrived (e.g. Redis was down)."""
    return list(
        Application.objects.filter(
            status=Status.SUBMITTED, routed_at__isnull=True, submitted_at__lte=older_than
        )
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )


def record_stage_opened(application: Application, tasks: list[ReviewTask]) -> None:
    record_event(
        application,
        Event.STAGE_OPENED,
        note=f"{tasks[0].stage_name}: " + ", ".join(t.department.name for t in tasks),
    )
