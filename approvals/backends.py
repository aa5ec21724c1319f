"""Guardian's question about a review task, answered without a grant row per task.

Review tasks hold no object permissions of their own (approvals/permissions.py derives who may
see and decide them from the task's department and the person's department groups). This
backend, listed after guardian's in AUTHENTICATION_BACKENDS, gives `user.has_perm(
"approvals.view_reviewtask", task)` and `"approvals.change_reviewtask"` the answers the grants
gave, by the same derivation as visible_tasks and can_review. Anything else it does not know
(False, and the other backends decide). guardian's own ObjectPermissionChecker and
get_objects_for_user read grant tables only, so for tasks they find nothing: ask
visible_tasks / can_review, as the portal does.
"""

from django.contrib.auth.backends import BaseBackend

from .models import ReviewTask
from .permissions import DECIDE_TASK, VIEW_TASK, can_review, can_see_task

CHECKS = {VIEW_TASK: can_see_task, DECIDE_TASK: can_review}


class DepartmentTaskBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if not isinstance(obj, ReviewTask):
            return False
        # Guardian accepts the codename alone ("view_reviewtask"): so does this.
        check = CHECKS.get(perm if "." in perm else f"approvals.{perm}")
        return check is not None and check(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not isinstance(obj, ReviewTask):
            return set()
        return {perm for perm, check in CHECKS.items() if check(user_obj, obj)}
