"""Who may do what: the questions every view and task asks about a person."""

from django.db.models import QuerySet

from .models import Department, User


def is_civil_servant(user: User) -> bool:
    return user.is_authenticated and user.kind == User.Kind.STAFF and user.is_active


def departments_of(user: User) -> QuerySet[Department]:
    """The departments whose work this person may see (none for the public and applicants)."""
    if not is_civil_servant(user):
        return Department.objects.none()
    return Department.objects.filter(memberships__user=user)
