"""What the virtual government tells applicants and civil servants, through accounts' notifications.

Each function is called inside the transaction of the event it announces; the inbox line
commits with it and the e-mail goes out after commit (accounts/notifications.py). Keys name
the event, so a retried task or a second sweep announces nothing twice.
"""

from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.notifications import (
    Message,
    active_staff_of,
    department_staff,
    notify,
    notify_each,
)
from services.models import Application
from services.parties import case_recipients, subject_of

from .models import Extension, ReviewTask

# A department told that 3,000 deadlines moved reads the first of them; the queue has the rest.
RECOUNT_CASES_LISTED = 20


def _moment(value) -> str:
    # Dates in e-mails are the same in both languages: Asia/Shanghai, ISO order.
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _case(application: Application) -> dict:
    item = application.definition.item
    return {
        "tracking_number": application.tracking_number,
        # The licensed party, which the applicant may not be (a company being founded).
        "subject_name": subject_of(application).name,
        "item_name": item.name,
        "item_name_en": item.name_en,
    }


def _task(task: ReviewTask) -> dict:
    return {
        **_case(task.application),
        "department_name": task.department.name,
        "department_name_en": task.department.name_en,
        "stage_name": task.stage_name,
        "due": _moment(task.due_at),
    }


# --- to the applicant ------------------------------------------------------------------------------


def tell_applicant_supplement_requested(application: Application, task: ReviewTask, note: str):
    notify(
        case_recipients(application),
        "supplement_requested",
        f"supplement:{task.pk}:{task.clock_stops.count()}",
        {
            **_task(task),
            "note": note,
            "edit_path": reverse("services:edit", args=[application.pk]),
        },
        url=application.get_absolute_url(),
    )


def tell_applicant_time_limit_extended(extension: Extension):
    task = extension.task
    notify(
        case_recipients(task.application),
        "time_limit_extended",
        f"extension:{extension.pk}",
        {**_task(task), "working_days": extension.working_days, "reason": extension.reason},
        url=task.application.get_absolute_url(),
    )


def tell_applicants_deadlines_recounted(applications: list[Application], calendar_version: str):
    """The calendar changed under these open cases and their dates moved: once per case and edit."""
    notify_each(
        "deadlines_recounted",
        [
            Message(
                application.applicant_id,
                f"recount:{application.pk}:{calendar_version}",
                {**_case(application), "due": _moment(application.due_at)},
                application.get_absolute_url(),
            )
            for application in applications
        ],
    )


def tell_applicant_decided(application: Application, certificate=None):
    notify(
        case_recipients(application),
        "application_decided",
        f"decision:{application.pk}",
        {
            **_case(application),
            "approved": application.status == Application.Status.APPROVED,
            "reasons": application.decision_reason,
            "certificate_path": reverse("application_certificate", args=[application.pk])
            if certificate
            else "",
        },
        url=application.get_absolute_url(),
    )


def tell_writer_answered(application: Application):
    """A letter's writer: every department has answered (a second answer is told again), or
    the service centre did not take the letter up, with its reasons. No appeal rights and no
    certificate: a reply to a letter is not an administrative decision."""
    notify(
        [application.applicant],
        "letter_answered",
        f"letter-answered:{application.pk}:{application.current_stage}",
        {
            **_case(application),
            "answered": application.status == Application.Status.APPROVED,
            "reasons": application.decision_reason,
        },
        url=reverse("letter", args=[application.pk]),
    )


# --- to civil servants -----------------------------------------------------------------------------


def tell_department_new_tasks(tasks: list[ReviewTask]):
    """Every member of the department learns that a case is waiting for it.

    A stage's departments in one go: one read of their staff and one INSERT, however many
    departments review in parallel."""
    staff: dict[int, set[int]] = {}
    for department_id, user_id in active_staff_of({task.department_id for task in tasks}):
        staff.setdefault(department_id, set()).add(user_id)
    notify_each(
        "task_assigned",
        [
            Message(
                person,
                f"task:{task.pk}:assigned",
                _task(task),
                reverse("approvals:task", args=[task.pk]),
            )
            for task in tasks
            for person in sorted(staff.get(task.department_id, ()))
        ],
        recipients_active=True,
    )


def tell_department_deadlines_recounted(
    department_id: int, tasks: list[ReviewTask], calendar_version: str
):
    """One message per department and calendar edit, however many of its tasks moved."""
    first = tasks[0]
    notify(
        department_staff(department_id),
        "department_deadlines_recounted",
        f"recount:department:{department_id}:{calendar_version}",
        {
            "department_name": first.department.name,
            "department_name_en": first.department.name_en,
            "count": len(tasks),
            "cases": [
                {"tracking_number": task.application.tracking_number, "due": _moment(task.due_at)}
                for task in tasks[:RECOUNT_CASES_LISTED]
            ],
        },
        url=reverse("approvals:queue"),
    )


def _tasks(ids):
    return ReviewTask.objects.filter(pk__in=ids).select_related(
        "application__item_version", "department"
    )


def tell_reminders(task_ids: list[int]) -> int:
    """The department's staff: these tasks entered their reminder period (amber)."""
    sent = 0
    for task in _tasks(task_ids):
        # Keyed by the deadline: after an extension the new deadline earns a new reminder.
        sent += len(
            notify(
                department_staff(task.department_id),
                "task_reminder",
                f"task:{task.pk}:reminder:{task.due_at.isoformat()}",
                _task(task),
                url=reverse("approvals:task", args=[task.pk]),
            )
        )
    return sent


def tell_escalations(task_ids: list[int]) -> int:
    """The heads: these tasks of their department went past the deadline (red)."""
    sent = 0
    for task in _tasks(task_ids):
        sent += len(
            notify(
                department_staff(task.department_id, roles=[Membership.Role.HEAD]),
                "task_overdue",
                f"task:{task.pk}:overdue:{task.due_at.isoformat()}",
                _task(task),
                url=reverse("approvals:task", args=[task.pk]),
            )
        )
    return sent
