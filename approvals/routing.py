"""Routing: an application becomes review tasks, one per department of a stage, all at once.

Stage 0 is acceptance (受理) by the service centre; once accepted, the review stages of the
item's definition follow in order, the departments of each stage in parallel.
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.audit import appended_together
from services.letters import assigned_steps
from services.lifecycle import change_status, record_event
from services.models import Application, ApplicationEvent

from .calendar import one_calendar
from .deadlines import deadline_after, reminder_time
from .models import ACCEPTANCE_STAGE, ReviewTask
from .notifications import tell_department_new_tasks

logger = logging.getLogger(__name__)
Status = Application.Status
Event = ApplicationEvent.Kind


def next_stage_order(application: Application, after: int) -> int | None:
    stage = application.definition.next_stage(after)
    return stage.order if stage else None


def open_stage(application: Application, order: int, now) -> list[ReviewTask]:
    """Create the stage's tasks in parallel; existing ones are left alone (unique constraint)."""
    stage = application.definition.stage(order)
    tasks = []
    # A letter's answering departments are the triage's; every other stage's, the catalogue's.
    for step in assigned_steps(application, stage):
        due_at = deadline_after(now, step.time_limit_days)
        tasks.append(
            ReviewTask(
                application=application,
                stage_order=order,
                stage_name=stage.name,
                department_id=step.department_id,
                time_limit_days=step.time_limit_days,
                timeout_policy=step.timeout_policy,
                due_at=due_at,
                reminder_days=step.reminder_days,
                remind_at=reminder_time(due_at, step.reminder_days),
            )
        )
    ReviewTask.objects.bulk_create(tasks, ignore_conflicts=True)
    stage_tasks = list(
        ReviewTask.objects.filter(application=application, stage_order=order).select_related(
            "department"
        )
    )
    for task in stage_tasks:
        task.application = application  # what the notifications read: not loaded again
    # No grants: who may see and decide them follows from their department (permissions.py).
    tell_department_new_tasks(stage_tasks)  # keyed by task: told once, however often opened
    return stage_tasks


@transaction.atomic
@appended_together()
@one_calendar()
def route_application(application_id: int) -> list[ReviewTask]:
    """Send a submitted application to acceptance (受理). Safe to run twice.

    The calendar is read once for all the deadlines it counts, and the item with the case (the
    audit log's chain is its lead department's)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item_version", "item")
        .get(pk=application_id)
    )
    if application.status != Status.SUBMITTED or application.routed_at:
        return []
    now = timezone.now()
    tasks = open_stage(application, ACCEPTANCE_STAGE, now)
    Application.objects.filter(pk=application.pk).update(
        routed_at=now, current_stage=ACCEPTANCE_STAGE
    )
    application.routed_at, application.current_stage = now, ACCEPTANCE_STAGE
    record_event(application, Event.ROUTED, department=tasks[0].department)
    logger.info("Routed %s to acceptance", application.tracking_number)
    return tasks


def accept_and_open_review(application: Application, *, deemed: bool, actor=None) -> None:
    """Acceptance done: the overall limit starts and the first review stage opens.

    Art. 32: an application not answered within the acceptance limit counts as accepted
    from the day it was received, so the overall limit then runs from submission.
    """
    now = timezone.now()
    accepted_at = application.submitted_at if deemed else now
    first = next_stage_order(application, ACCEPTANCE_STAGE)
    change_status(
        application,
        Status.IN_REVIEW,
        event=Event.DEEMED_ACCEPTED if deemed else Event.ACCEPTED,
        actor=actor,
        department=application.review_tasks.get(stage_order=ACCEPTANCE_STAGE).department,
        accepted_at=accepted_at,
        current_stage=first,
        due_at=deadline_after(accepted_at, application.definition.overall_limit_days()),
    )
    record_stage_opened(application, open_stage(application, first, now))


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
        note=f"{tasks[0].stage_name}：" + "、".join(t.department.name for t in tasks),
    )
