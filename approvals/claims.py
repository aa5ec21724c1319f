"""Claiming a task: a reviewer says "I am working on this one" so colleagues pick another.

A claim does not grant anything: only reviewers of the task's department may claim, and the
claim keeps colleagues from deciding the task underneath the claimant. The claimant releases
it, or the department head does (a colleague fell ill, say). Claims are locked like every other
write (approvals/locking.py), so two reviewers claiming at once produce one claim.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Membership

from .locking import lock_task
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
    task.claimed_at = timezone.now() if claimant else None
    task.save(update_fields=["claimed_by", "claimed_at"])
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
