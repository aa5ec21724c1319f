"""Who may act on a review task: members of its department; heads for extensions."""

from accounts.models import Membership

from .models import ReviewTask


def can_review(user, task: ReviewTask) -> bool:
    """Clerks, reviewers and heads may accept; only reviewers and heads decide a review task."""
    roles = [Membership.Role.REVIEWER, Membership.Role.HEAD]
    if task.is_acceptance:
        roles.append(Membership.Role.CLERK)
    return (
        user.is_authenticated
        and user.is_active
        and Membership.objects.filter(
            user=user, department_id=task.department_id, role__in=roles
        ).exists()
    )


def is_head_of(user, department_id: int) -> bool:
    return Membership.objects.filter(
        user=user, department_id=department_id, role=Membership.Role.HEAD, user__is_active=True
    ).exists()
