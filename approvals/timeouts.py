"""The sweeper: what happens when a deadline passes, applied exactly once per task.

Deadlines are rows in PostgreSQL, never Celery ETAs (those are redelivered or lost across
Redis restarts). Every minute beat runs the sweep; after an outage the first sweep handles
everything that fell due meanwhile. Cases are claimed with SELECT … FOR UPDATE SKIP LOCKED
so two sweepers share the work instead of doing it twice, and the query reads a partial index
of the tasks still awaiting their policy, so its cost follows the number of due tasks.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from services.lifecycle import record_event
from services.models import ESCALATING_POLICIES, Application, ApplicationEvent

from .decisions import deem_approved
from .locking import lock_task_row
from .models import ReviewTask, TimeoutPolicy

logger = logging.getLogger(__name__)
BATCH_SIZE = 200


def _awaiting_timeout(now):
    return ReviewTask.objects.filter(
        state=ReviewTask.State.PENDING,
        clock_stopped_at__isnull=True,
        escalated_at__isnull=True,
        due_at__lte=now,
    )


@dataclass
class SweepResult:
    deemed_approved: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.deemed_approved) + len(self.escalated)


def sweep_overdue_tasks(now=None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Apply each overdue task's timeout policy, each exactly once.

    Work is claimed case by case, each in its own short transaction: the application is
    locked with SKIP LOCKED (every writer locks the application before its tasks), so a
    second sweeper takes other cases, a reviewer deciding right now is left alone (the next
    sweep finds the task again if it is still undecided), and no lock — the audit chain's
    included — is held across a whole batch.
    """
    now = now or timezone.now()
    result, passed_over = SweepResult(), set()
    while True:
        due_cases = list(
            dict.fromkeys(
                _awaiting_timeout(now)
                .exclude(application_id__in=passed_over)
                .order_by("due_at")
                .values_list("application_id", flat=True)[:batch_size]
            )
        )
        if not due_cases:
            return result
        for application_id in due_cases:
            passed_over.add(application_id)  # done for this run, whoever handles it
            with transaction.atomic():
                application = (
                    Application.objects.select_for_update(skip_locked=True)
                    .filter(pk=application_id)
                    .first()
                )
                if application is None:
                    continue
                task_ids = (
                    _awaiting_timeout(now)
                    .filter(application=application)
                    .order_by("due_at")
                    .values_list("pk", flat=True)
                )
                for task_id in list(task_ids):
                    outcome = apply_timeout_policy(application, task_id, now)
                    if outcome in ESCALATING_POLICIES:
                        result.escalated.append(task_id)
                    elif outcome == TimeoutPolicy.DEEMED_APPROVAL:
                        result.deemed_approved.append(task_id)


def apply_timeout_policy(application: Application, task_id: int, now) -> str | None:
    """Deem the task approved or escalate it; the caller holds the application's lock."""
    task = lock_task_row(task_id)
    if not _awaiting_timeout(now).filter(pk=task_id).exists():
        return None  # the join of an earlier task of this case already closed it
    # Only the deemed-approval policy ever deems; escalation and a letter's answer_required
    # escalate to the head, once.
    if task.timeout_policy == TimeoutPolicy.DEEMED_APPROVAL:
        deem_approved(application, task, now)
    else:
        ReviewTask.objects.filter(pk=task.pk).update(escalated_at=now)
        record_event(application, ApplicationEvent.Kind.ESCALATED, department=task.department)
    return task.timeout_policy


def claim_due_reminders(now=None, batch_size: int = BATCH_SIZE) -> list[int]:
    """Mark tasks entering their reminder period as reminded; returns their ids (each once)."""
    now = now or timezone.now()
    reminded = []
    while True:
        with transaction.atomic():
            ids = list(
                ReviewTask.objects.filter(
                    state=ReviewTask.State.PENDING,
                    clock_stopped_at__isnull=True,
                    reminded_at__isnull=True,
                    remind_at__lte=now,
                )
                .select_for_update(skip_locked=True)
                .values_list("pk", "due_at")[:batch_size]
            )
            if not ids:
                break
            ReviewTask.objects.filter(pk__in=[pk for pk, _due_at in ids]).update(reminded_at=now)
            # Past its deadline (after an outage, say) a task gets its timeout policy, not a
            # "deadline approaching" reminder; it is still marked so that it is not read again.
            reminded += [pk for pk, due_at in ids if due_at > now]
    return reminded
