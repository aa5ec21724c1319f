"""Claiming a task: a reviewer says "I am working on this one" so colleagues pick another.

A claim does not grant anything: only reviewers of the task's department may claim, and the
claim keeps colleagues from deciding the task underneath the claimant. The claimant releases
it, or the department head does (a colleague fell ill, say), or the head reassigns it to
another reviewer of the department. A claim nobody works on for CLAIM_LAPSE_WORKING_HOURS
working hours lapses: the sweeper puts the task back in the queue. Claims are locked like every
other write (approvals/locking.py), so two reviewers claiming at once produce one claim.
"""

import functools
import inspect
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Membership
from services.lifecycle import official_language, record_event
from services.models import Application, ApplicationEvent

from .calendar import working_time_before
from .locking import lock_task, lock_task_row
from .models import ReviewTask
from .permissions import can_review


def claimed_by_someone_else(task: ReviewTask, user) -> bool:
    return task.claimed_by_id is not None and task.claimed_by_id != user.pk


def _is_head_of(user, task: ReviewTask) -> bool:
    return Membership.objects.filter(
        user=user, department_id=task.department_id, role=Membership.Role.HEAD
    ).exists()


def _set_claim(task: ReviewTask, claimant, actor) -> ReviewTask:
    task.claimed_by = claimant
    task.claimed_at = task.claim_active_at = timezone.now() if claimant else None
    task.save(update_fields=["claimed_by", "claimed_at", "claim_active_at"])
    record(
        "task.claim",
        obj=task,
        actor=actor,
        detail={
            "tracking_number": task.application.tracking_number,
            "released": claimant is None,
        },
    )
    return task


@transaction.atomic
def claim_task(task_id: int, reviewer) -> ReviewTask:
    """Mark an open task as the reviewer's; claiming one's own claim again changes nothing."""
    application, task = lock_task(task_id)
    if not can_review(reviewer, task):
        raise PermissionDenied(_("You do not review for this department."))
    if not task.is_open:
        raise ValidationError(_("This task has already been decided."))
    if task.claimed_by_id == reviewer.pk:
        return task
    if task.claimed_by_id is not None:
        raise ValidationError(
            _("%(name)s is already working on this task.") % {"name": task.claimed_by}
        )
    task.application = application
    return _set_claim(task, reviewer, reviewer)


@transaction.atomic
def release_task(task_id: int, user) -> ReviewTask:
    """Give a claimed task back to the department's queue: by the claimant or the head."""
    application, task = lock_task(task_id)
    if not can_review(user, task):
        raise PermissionDenied(_("You do not review for this department."))
    if task.claimed_by_id is None:
        return task
    if claimed_by_someone_else(task, user) and not _is_head_of(user, task):
        raise PermissionDenied(
            _("Only %(name)s or the department head can release this task.")
            % {"name": task.claimed_by}
        )
    task.application = application
    return _set_claim(task, None, user)


def note_claim_activity(task: ReviewTask, user) -> None:
    """The claimant worked on the task (a clock stop, an extension request): the claim's idle
    time starts again. The caller holds the task's lock."""
    if task.claimed_by_id is not None and task.claimed_by_id == user.pk:
        ReviewTask.objects.filter(pk=task.pk).update(claim_active_at=timezone.now())


def audit_refusals(*codes: str, actor: str):
    """Log, in the audit log, the refusals of the decorated write whose error carries one of
    `codes` (issue 17 item 7: bad input changes nothing and leaves an audit entry).

    Put above `@transaction.atomic`: the entry is written after the write rolled back, so the
    refusal is all that remains of it. `actor` names the argument holding who asked.
    """

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except ValidationError as error:
                code = getattr(error, "code", None)
                if code in codes:
                    arguments = signature.bind(*args, **kwargs).arguments
                    record(
                        "staff.refused",
                        actor=arguments[actor],
                        detail={
                            "reason": code,
                            "action": function.__name__,
                            "task_id": arguments.get("task_id"),
                        },
                    )
                raise

        return wrapper

    return decorate


@audit_refusals("other_department", actor="head")
@transaction.atomic
def reassign_task(task_id: int, head, reviewer) -> ReviewTask:
    """Move a task's claim to another reviewer of its department: by a head of it only."""
    application, task = lock_task(task_id)
    if not _is_head_of(head, task):
        raise PermissionDenied(_("Only the department head can reassign a task."))
    if not task.is_open:
        raise ValidationError(_("This task has already been decided."), code="decided")
    if reviewer is None or not _is_reviewer_of(reviewer, task):
        raise ValidationError(
            _(
                "%(name)s does not review for %(department)s: a task can be reassigned only to"
                " a reviewer of its own department."
            )
            % {"name": reviewer, "department": task.department.display_name},
            code="other_department",
        )
    if task.claimed_by_id == reviewer.pk:
        return task
    previous = task.claimed_by
    task.application = application
    task.claimed_by = reviewer
    task.claimed_at = task.claim_active_at = timezone.now()
    task.save(update_fields=["claimed_by", "claimed_at", "claim_active_at"])
    record(
        "task.reassign",
        obj=task,
        actor=head,
        detail={
            "tracking_number": application.tracking_number,
            "from": previous.username if previous else None,
            "to": reviewer.username,
        },
    )
    record_event(
        application, ApplicationEvent.Kind.REASSIGNED, actor=head, department=task.department
    )
    return task


def _is_reviewer_of(user, task: ReviewTask) -> bool:
    """A reviewer or head of the task's department, who may decide it (can_review)."""
    return Membership.objects.filter(
        user=user,
        department_id=task.department_id,
        role__in=[Membership.Role.REVIEWER, Membership.Role.HEAD],
    ).exists() and can_review(user, task)


def _idle_claims(cutoff):
    return ReviewTask.objects.filter(
        state=ReviewTask.State.PENDING,
        clock_stopped_at__isnull=True,
        claimed_by__isnull=False,
        claim_active_at__lte=cutoff,
    )


def lapse_idle_claims(now=None) -> list[int]:
    """Put back in their queue the claimed tasks nobody worked on for the lapse's working hours.

    Each task once: the application is taken with SKIP LOCKED like the sweeper's (a reviewer
    acting on the case right now is left alone), and the condition is read again under the
    lock, so a claim renewed meanwhile stays.
    """
    now = now or timezone.now()
    cutoff = working_time_before(now, timedelta(hours=settings.CLAIM_LAPSE_WORKING_HOURS))
    lapsed = []
    for task_id, application_id in list(_idle_claims(cutoff).values_list("pk", "application_id")):
        with transaction.atomic():
            application = (
                Application.objects.select_for_update(skip_locked=True)
                .filter(pk=application_id)
                .first()
            )
            if application is None:
                continue
            task = lock_task_row(task_id)
            if not _idle_claims(cutoff).filter(pk=task_id).exists():
                continue
            claimant = task.claimed_by
            task.application = application
            _set_claim(task, None, None)
            record_event(
                application,
                ApplicationEvent.Kind.CLAIM_LAPSED,
                department=task.department,
                note=_lapse_note(claimant),
            )
            record(
                "task.claim_lapsed",
                obj=task,
                detail={
                    "tracking_number": application.tracking_number,
                    "claimant": claimant.username,
                    "working_hours": settings.CLAIM_LAPSE_WORKING_HOURS,
                },
            )
            lapsed.append(task_id)
    return lapsed


def _lapse_note(claimant) -> str:
    # Stored in the portal's official language, like every note of the timeline.
    with official_language():
        return _("Claimed by %(name)s, with no activity for %(hours)s working hours.") % {
            "name": claimant,
            "hours": f"{settings.CLAIM_LAPSE_WORKING_HOURS:g}",
        }
