"""Object permissions of the virtual government (django-guardian), granted to department groups.

A task's department staff may see it; its reviewers (and heads) may decide it, or, for an
acceptance task, any of the accepting department's staff (clerks accept); the department's
heads decide its extensions. Views, downloads and the domain functions all ask these same
questions, and superusers get no shortcut: administrators configure, they do not decide.
"""

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm

from accounts.permissions import (
    Grant,
    department_group,
    department_groups,
    grant_all,
    objects_permitted,
)

from .models import Extension, ReviewTask

VIEW_TASK = "approvals.view_reviewtask"
DECIDE_TASK = "approvals.change_reviewtask"
DECIDE_EXTENSION = "approvals.change_extension"


def grant_task(task: ReviewTask) -> None:
    grant_tasks([task])


def grant_tasks(tasks: list[ReviewTask]) -> None:
    """Grant a stage's tasks to their departments' groups, in one statement (grant_all)."""
    groups = department_groups(
        (task.department_id, kind)
        for task in tasks
        for kind in (("staff",) if task.is_acceptance else ("staff", "reviewers"))
    )
    grants = []
    for task in tasks:
        staff = groups[task.department_id, "staff"]
        if task.is_acceptance:
            grants.append(Grant(staff, [VIEW_TASK, DECIDE_TASK], task))
        else:
            grants.append(Grant(staff, [VIEW_TASK], task))
            grants.append(Grant(groups[task.department_id, "reviewers"], [DECIDE_TASK], task))
    grant_all(grants)


def grant_extension(extension: Extension, department_id: int) -> None:
    assign_perm(DECIDE_EXTENSION, department_group(department_id, "heads"), extension)


def _objects(user, permission: str, queryset: QuerySet) -> QuerySet:
    # Tasks and extensions are granted to department groups only (grant_task, grant_extension).
    return objects_permitted(user, permission, queryset, granted_to="groups")


def visible_tasks(user, queryset: QuerySet | None = None) -> QuerySet[ReviewTask]:
    return _objects(user, VIEW_TASK, ReviewTask.objects.all() if queryset is None else queryset)


def can_review(user, task: ReviewTask) -> bool:
    return _objects(user, DECIDE_TASK, ReviewTask.objects.filter(pk=task.pk)).exists()


def decidable_extensions(user, queryset: QuerySet | None = None) -> QuerySet[Extension]:
    return _objects(
        user, DECIDE_EXTENSION, Extension.objects.all() if queryset is None else queryset
    )


def can_decide_extension(user, extension: Extension) -> bool:
    return decidable_extensions(user, Extension.objects.filter(pk=extension.pk)).exists()
