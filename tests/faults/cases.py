"""Many cases at once for the fault tests: one through the real pipeline, the rest copies.

Filing thousands of cases through the pages would take minutes; the copies share the model
case's frozen definition, applicant and answers, which is all routing and the sweeper read.
"""

from django.utils import timezone

from approvals.models import ReviewTask, TimeoutPolicy
from services.models import Application


def copies_of(model: Application, count: int, **fields) -> list[Application]:
    values = {
        "item": model.item,
        "implementation": model.implementation,
        "item_version": model.item_version,
        "applicant": model.applicant,
        "answers": model.answers,
        "status": model.status,
        "submitted_at": model.submitted_at,
        "routed_at": model.routed_at,
        "accepted_at": model.accepted_at,
        "current_stage": model.current_stage,
        "due_at": model.due_at,
        **fields,
    }
    return Application.objects.bulk_create(
        [
            Application(tracking_number=f"{model.tracking_number}-{n:05d}", **values)
            for n in range(1, count + 1)
        ],
        batch_size=1000,
    )


def overdue_tasks(applications, departments, due) -> None:
    ReviewTask.objects.bulk_create(
        [
            ReviewTask(
                application=application,
                stage_order=1,
                stage_name="第1环节",
                department=department,
                time_limit_days=5,
                timeout_policy=TimeoutPolicy.DEEMED_APPROVAL,
                due_at=due,
                remind_at=due,
                reminded_at=timezone.now(),
            )
            for application in applications
            for department in departments
        ],
        batch_size=2000,
    )
