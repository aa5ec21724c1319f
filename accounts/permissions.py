"""Who may do what: the questions every view and task asks about a person.

Object permissions are django-guardian's, granted to groups rather than to people: each
department has a staff group (every member: may see its tasks), a reviewers group (reviewers
and heads: may decide them) and a heads group (may decide extensions, see statistics).
Membership keeps a person's groups in step, so joining or leaving a department grants or
withdraws everything at once, and each object (task, extension) is granted once, to groups.
"""

from django.contrib.auth.models import Group
from django.db.models import QuerySet

from .models import Department, Membership, User


def is_civil_servant(user: User) -> bool:
    return user.is_authenticated and user.kind == User.Kind.STAFF and user.is_active


def departments_of(user: User) -> QuerySet[Department]:
    """The departments whose work this person may see (none for the public and applicants)."""
    if not is_civil_servant(user):
        return Department.objects.none()
    return Department.objects.filter(memberships__user=user)


GROUPS_OF_ROLE = {
    Membership.Role.CLERK: ("staff",),
    Membership.Role.REVIEWER: ("staff", "reviewers"),
    Membership.Role.HEAD: ("staff", "reviewers", "heads"),
}


def department_group(department_id: int, kind: str) -> Group:
    """kind: "staff", "reviewers" or "heads"."""
    return Group.objects.get_or_create(name=f"department-{department_id}-{kind}")[0]


def sync_department_groups(user: User) -> None:
    """Make the user's department groups match their memberships (called on every change)."""
    memberships = Membership.objects.filter(user=user).values_list("department_id", "role")
    wanted = {
        department_group(department, kind).pk
        for department, role in memberships
        for kind in GROUPS_OF_ROLE[role]
    }
    current = set(user.groups.filter(name__regex=r"^department-\d+-").values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
