"""Who may see and decide review tasks and extensions, as department groups say.

A task's department staff may see it; its reviewers (and heads) may decide it, or, for an
acceptance task, any of the accepting department's staff (clerks accept); the department's
heads decide its extensions. Views, downloads and the domain functions all ask these same
questions, and superusers get no shortcut: administrators configure, they do not decide.

Tasks are not granted row by row. Routing used to give every task a grant per group
(view to department-<id>-staff; decide to department-<id>-reviewers, or to the staff for
acceptance): about eight rows a case, most of what object permissions cost at a province's
scale (issue 20 §5). Those rows said nothing the task's department did not say already, so the
same answers are now derived from the task's department and the person's department groups:
for a list, one query with `department_id IN (the person's departments of that kind)`
(accounts.permissions.group_departments); for one task in hand, a set lookup in the person's
departments, read once per request (held_departments). Leaving a department takes the access
away at the person's next request. Guardian's
`user.has_perm(…, task)` still answers through approvals.backends.DepartmentTaskBackend.
Extensions are few and keep guardian's grants (grant_extension).
"""

from django.db.models import Q, QuerySet
from guardian.shortcuts import assign_perm

from accounts.permissions import (
    department_group,
    group_departments,
    held_departments,
    objects_permitted,
)

from .models import ACCEPTANCE_STAGE, Extension, ReviewTask

VIEW_TASK = "approvals.view_reviewtask"
DECIDE_TASK = "approvals.change_reviewtask"
DECIDE_EXTENSION = "approvals.change_extension"


def grant_extension(extension: Extension, department_id: int) -> None:
    assign_perm(DECIDE_EXTENSION, department_group(department_id, "heads"), extension)


def _asks_nothing(user) -> bool:
    """The public and deactivated accounts may see and decide nothing."""
    return not (user.is_authenticated and user.is_active)


def visible_tasks(user, queryset: QuerySet | None = None) -> QuerySet[ReviewTask]:
    """The tasks of `queryset` (all by default) of departments whose staff group holds `user`."""
    queryset = ReviewTask.objects.all() if queryset is None else queryset
    if _asks_nothing(user):
        return queryset.none()
    return queryset.filter(department_id__in=group_departments(user, "staff"))


def decidable_tasks(user, queryset: QuerySet | None = None) -> QuerySet[ReviewTask]:
    """The tasks of `queryset` `user` may decide: acceptance tasks of departments whose staff
    group holds them, other tasks of departments whose reviewers group does."""
    queryset = ReviewTask.objects.all() if queryset is None else queryset
    if _asks_nothing(user):
        return queryset.none()
    return queryset.filter(
        Q(stage_order=ACCEPTANCE_STAGE, department_id__in=group_departments(user, "staff"))
        | (
            ~Q(stage_order=ACCEPTANCE_STAGE)
            & Q(department_id__in=group_departments(user, "reviewers"))
        )
    )


def can_see_task(user, task: ReviewTask) -> bool:
    """visible_tasks for one task in hand: no query beyond reading the person's groups once."""
    return not _asks_nothing(user) and task.department_id in held_departments(user, "staff")


def can_review(user, task: ReviewTask) -> bool:
    """decidable_tasks for one task in hand, as can_see_task."""
    if _asks_nothing(user):
        return False
    kind = "staff" if task.stage_order == ACCEPTANCE_STAGE else "reviewers"
    return task.department_id in held_departments(user, kind)


def decidable_extensions(user, queryset: QuerySet | None = None) -> QuerySet[Extension]:
    # Extensions are granted to department groups only (grant_extension).
    return objects_permitted(
        user,
        DECIDE_EXTENSION,
        Extension.objects.all() if queryset is None else queryset,
        granted_to="groups",
    )


def can_decide_extension(user, extension: Extension) -> bool:
    return decidable_extensions(user, Extension.objects.filter(pk=extension.pk)).exists()
