"""E-mails the virtual government sends to civil servants about their deadlines."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership

from .models import ReviewTask


def _emails(department_id: int, roles) -> list[str]:
    return list(
        Membership.objects.filter(department_id=department_id, role__in=roles, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def _line(task: ReviewTask) -> str:
    return _("%(number)s · %(item)s · deadline %(deadline)s") % {
        "number": task.application.tracking_number,
        "item": task.application.item.name,
        "deadline": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
    }


def _tasks(ids):
    return ReviewTask.objects.filter(pk__in=ids).select_related("application__item")


def email_reminders(task_ids: list[int]) -> int:
    """Tell each department's staff which of its tasks entered the reminder period (amber)."""
    messages = []
    for task in _tasks(task_ids):
        recipients = _emails(
            task.department_id,
            [Membership.Role.REVIEWER, Membership.Role.HEAD, Membership.Role.CLERK],
        )
        if recipients:
            messages.append(
                (
                    _("Deadline approaching: %(number)s")
                    % {"number": task.application.tracking_number},
                    _line(task),
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
            )
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def email_escalations(task_ids: list[int]) -> int:
    """Tell the heads which of their department's tasks went past the deadline."""
    messages = []
    for task in _tasks(task_ids):
        recipients = _emails(task.department_id, [Membership.Role.HEAD])
        if recipients:
            messages.append(
                (
                    _("Overdue and escalated to you: %(number)s")
                    % {"number": task.application.tracking_number},
                    _line(task),
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
            )
    return send_mass_mail(messages, fail_silently=False) if messages else 0
