from django import template
from django.utils.translation import get_language

from approvals.deadlines import deadline_colour, remaining_working_days

register = template.Library()


@register.filter
def bilingual(obj) -> str:
    """The English name of a catalogue entry (one with a display_name, such as a frozen stage
    or step, or a dict) when the page is in English."""
    if hasattr(obj, "display_name"):
        return obj.display_name
    if (get_language() or "").startswith("en") and obj.get("name_en"):
        return obj["name_en"]
    return obj.get("name", "")


@register.filter
def colour(task_or_deadline) -> str:
    """green / amber / red for a review task (its own reminder period) or a bare deadline."""
    if task_or_deadline is None:
        return ""
    if hasattr(task_or_deadline, "due_at"):
        return deadline_colour(task_or_deadline.due_at, task_or_deadline.remind_at)
    return deadline_colour(task_or_deadline)


@register.filter
def days_left(due_at) -> int | None:
    """Working days left before a deadline (negative once it has passed)."""
    return remaining_working_days(due_at) if due_at else None
