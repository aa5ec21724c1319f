"""The one order in which the virtual government locks rows: the application, then its task.

Every writer (decisions, clock stops, extensions, claims, and change_task_state's callers:
filing's supplement and withdrawal lock the application, then the case's tasks in id order)
uses it, so two of them never deadlock; the sweeper, which must claim tasks first, takes the
application without waiting instead.
"""

from services.models import Application

from .models import ReviewTask


def lock_task(task_id: int) -> tuple[Application, ReviewTask]:
    application_id = ReviewTask.objects.values_list("application_id", flat=True).get(pk=task_id)
    application = Application.objects.select_for_update().get(pk=application_id)
    return application, lock_task_row(task_id)


def lock_task_row(task_id: int) -> ReviewTask:
    """The task, locked after its application (the caller holds that lock)."""
    # The task's row only: locking the joined department would block other cases' events.
    return (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=task_id)
    )
