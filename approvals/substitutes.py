"""Leave cover (代理审批): a head names a substitute for an absent reviewer, for a range of days.

The substitute is a reviewer of the same department, so the department's reviewers group
(approvals/permissions.py) already lets them see and decide its tasks; what the substitution
adds is the right to decide the tasks the absent reviewer claimed, which their claim otherwise
keeps from colleagues (approvals/claims.py). Every decision so made records "X for Y": on the
task (decided_for), on the timeline event (acting_for), in the audit log, and in the published
decision's departments (disclosure/publishing.py).
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Department, Membership

from .calendar import official_date
from .claims import audit_refusals
from .models import ReviewTask, Substitution
from .queues import active_substitutions, headed_departments

DECIDING_ROLES = (Membership.Role.REVIEWER, Membership.Role.HEAD)


def today() -> date:
    return official_date(timezone.now())


def _reviews_for(user, department: Department) -> bool:
    return Membership.objects.filter(
        user=user, department=department, role__in=DECIDING_ROLES
    ).exists()


def reviewers_of(departments) -> QuerySet:
    """The people who may be named (reviewers and heads of these departments), by name."""
    return (
        get_user_model()
        .objects.filter(
            memberships__department__in=departments, memberships__role__in=DECIDING_ROLES
        )
        .distinct()
        .order_by("username")
    )


def _dates(starts_on: date, ends_on: date) -> dict:
    return {
        "from": date_format(starts_on, "DATE_FORMAT"),
        "until": date_format(ends_on, "DATE_FORMAT"),
    }


@audit_refusals("substitute_other_department", "past_range", "for_oneself", actor="head")
@transaction.atomic
def name_substitute(
    *, head, department: Department, reviewer, substitute, starts_on: date, ends_on: date
) -> Substitution:
    """Let `substitute` decide `reviewer`'s claimed tasks from `starts_on` to `ends_on`."""
    if not headed_departments(head).filter(pk=department.pk).exists():
        raise PermissionDenied(_("Only the department head can name a substitute."))
    if not _reviews_for(reviewer, department):
        raise ValidationError(
            _("%(name)s does not review for %(department)s.")
            % {"name": reviewer, "department": department.display_name},
            code="substitute_other_department",
        )
    if not _reviews_for(substitute, department):
        raise ValidationError(
            _(
                "%(name)s does not review for %(department)s: a substitute must be a reviewer"
                " of the same department."
            )
            % {"name": substitute, "department": department.display_name},
            code="substitute_other_department",
        )
    if substitute.pk == reviewer.pk:
        raise ValidationError(_("A reviewer cannot substitute for themself."), code="for_oneself")
    if ends_on < starts_on or ends_on < today():
        raise ValidationError(
            _("The range must end on or after its start, and not in the past."), code="past_range"
        )
    substitution = Substitution(
        department=department,
        reviewer=reviewer,
        substitute=substitute,
        starts_on=starts_on,
        ends_on=ends_on,
        named_by=head,
    )
    substitution.full_clean()
    substitution.save()
    record(
        "substitution.named",
        obj=substitution,
        actor=head,
        detail={
            "department": department.code,
            "reviewer": reviewer.username,
            "substitute": substitute.username,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    return substitution


@transaction.atomic
def end_substitution(substitution_id: int, head) -> Substitution:
    """End a substitution now (the reviewer is back early); ending it twice changes nothing."""
    substitution = Substitution.objects.select_for_update().get(pk=substitution_id)
    if not headed_departments(head).filter(pk=substitution.department_id).exists():
        raise PermissionDenied(_("Only the department head can end a substitution."))
    if substitution.ended_at is None:
        substitution.ended_at, substitution.ended_by = timezone.now(), head
        substitution.save(update_fields=["ended_at", "ended_by"])
        record("substitution.ended", obj=substitution, actor=head, detail={})
    return substitution


def covering_for(user, task: ReviewTask):
    """The absent claimant `user` decides `task` for, today; None when nobody is absent.

    A substitution for the claimant that is not in force today (not begun, over, or ended
    early) is refused with a clear message rather than the claim's usual one.
    """
    if task.claimed_by_id is None or task.claimed_by_id == user.pk:
        return None
    named = Substitution.objects.filter(
        substitute=user, reviewer_id=task.claimed_by_id, department_id=task.department_id
    )
    if active_substitutions().filter(pk__in=named.values("pk")).exists():
        return task.claimed_by
    latest = named.order_by("-ends_on").first()
    if latest is not None:
        raise ValidationError(
            _(
                "You substitute for %(name)s only from %(from)s to %(until)s: today their"
                " tasks are not yours to decide."
            )
            % {"name": task.claimed_by, **_dates(latest.starts_on, latest.ends_on)},
            code="substitute_out_of_range",
        )
    return None


def substitutions_for_head(head) -> QuerySet[Substitution]:
    return (
        Substitution.objects.filter(department__in=headed_departments(head))
        .select_related("department", "reviewer", "substitute", "named_by")
        .order_by("-ends_on", "-id")
    )


def covering_for_quietly(user, task: ReviewTask):
    """`covering_for` for a page: the absent claimant, or None (a lapsed range included)."""
    try:
        return covering_for(user, task)
    except ValidationError:
        return None
