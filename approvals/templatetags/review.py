"""How a review task's state and deadline read on the staff pages, and a case's progress on the
status page, written in Python because these pages show them once per row.

As templates (each an {% include %} of a few {% if %}s, date filters and {% blocktranslate %}s)
they cost a third of a millisecond a row: half of the queue page's fifty rows. The words are the
templates' own message ids, so their translations are unchanged.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from approvals.deadlines import deadline_colour, remaining_working_days
from approvals.models import ReviewTask
from approvals.queues import Progress

register = template.Library()

STATE_NAMES = dict(ReviewTask.State.choices)
# An acceptance task (stage 0) speaks of acceptance (受理); other states read as in any stage.
ACCEPTANCE_STATE_NAMES = {
    ReviewTask.State.PENDING: _("Awaiting acceptance"),
    ReviewTask.State.APPROVED: _("Accepted"),
    ReviewTask.State.DEEMED_APPROVED: _("Deemed accepted (no answer in time)"),
    ReviewTask.State.REJECTED: _("Not accepted"),
}


@register.filter
def task_state(task: ReviewTask) -> str:
    """The state of a review task in words."""
    if task.is_acceptance and task.state in ACCEPTANCE_STATE_NAMES:
        return str(ACCEPTANCE_STATE_NAMES[task.state])
    return str(STATE_NAMES.get(task.state, task.state))


def local_datetime(moment, format_name: str = "DATETIME_FORMAT") -> str:
    """What {{ moment|date:format_name }} shows: in the current time zone and language.

    Remembered, because a queue's rows share their deadlines (the end of office hours of a
    few days) and formatting one costs more than the rest of its badge."""
    language, zone = get_language(), timezone.get_current_timezone_name()
    return formatted_moment(moment, format_name, language, zone)


@lru_cache(maxsize=4096)
def formatted_moment(moment, format_name: str, language: str, zone: str) -> str:
    return format_date(timezone.localtime(moment), format_name)


@receiver(setting_changed)
def forget_formatted_moments(**kwargs) -> None:
    """Formats are settings too (tests override them), as Django's own format cache knows."""
    formatted_moment.cache_clear()


@register.simple_tag
def task_deadline(task: ReviewTask) -> str:
    """A review task's deadline: a badge that says in words how urgent it is while it runs,
    "clock stopped" while it stands still, the bare date once decided."""
    due = local_datetime(task.due_at)
    if not task.is_open:
        return due
    moment = format_html('<time datetime="{}">{}</time>', local_datetime(task.due_at, "c"), due)
    if task.clock_stopped_at:
        badge = ("grey", _("Clock stopped"))
    elif task.escalated_at:
        badge = ("red", _("Overdue — escalated"))
    else:
        return running_deadline(task, moment)
    return format_html(
        '<span class="deadline">{} <span class="badge badge-{}">{}</span></span>', moment, *badge
    )


def running_deadline(task: ReviewTask, moment: str) -> str:
    """Green, amber (the task's reminder period) or red, each also said in words."""
    colour = deadline_colour(task.due_at, task.remind_at)
    if colour == "red":
        words = _("Overdue")
    else:
        left = remaining_working_days(task.due_at)
        if colour == "amber" and left == 0:
            words = _("Due today")
        elif colour == "amber":
            words = ngettext(
                "Due in %(days)s working day", "Due in %(days)s working days", left
            ) % {"days": left}
        else:
            words = ngettext("%(days)s working day left", "%(days)s working days left", left) % {
                "days": left
            }
    badge = format_html('<span class="badge badge-{}">{}</span>\n', colour, words)
    return format_html('\n\n<span class="deadline">{}\n{}</span>\n\n', moment, badge)


PROGRESS_WORDS = {
    Progress.DONE: _("Done"),
    Progress.DEEMED_APPROVED: _("Deemed approved"),
    Progress.REJECTED: _("Rejected"),
    Progress.IN_PROGRESS: _("In progress"),
    Progress.CLOCK_STOPPED: _("In progress, clock stopped"),
    Progress.CLOSED: _("Closed"),
}
PROGRESS_ICONS = {
    Progress.DONE: "✓",
    Progress.DEEMED_APPROVED: "✓",
    Progress.REJECTED: "✗",
    Progress.IN_PROGRESS: "●",
    Progress.CLOCK_STOPPED: "❚❚",
    Progress.CLOSED: "–",
}


@register.filter
def progress_word(progress: str) -> str:
    """A stage's or department's progress (approvals.queues.Progress) in words."""
    return str(PROGRESS_WORDS.get(progress, _("Waiting")))


@register.filter
def progress_icon(progress: str) -> str:
    """The shape that goes with a progress state; decorative: the words beside it say the same."""
    return format_html(
        '<span class="progress-icon icon-{}" aria-hidden="true">{}</span>',
        progress,
        PROGRESS_ICONS.get(progress, "○"),
    )
