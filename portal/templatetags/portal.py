from django import template
from django.utils import timezone
from django.utils.translation import get_language

from approvals.deadlines import deadline_colour, remaining_days

register = template.Library()


@register.filter
def bilingual(obj) -> str:
    """The English name of a frozen catalogue entry (a dict) when the page is in English."""
    if (get_language() or "").startswith("en") and obj.get("name_en"):
        return obj["name_en"]
    return obj.get("name", "")


@register.filter
def colour(due_at) -> str:
    return deadline_colour(due_at, timezone.now()) if due_at else ""


@register.filter
def days_left(due_at) -> int | None:
    return remaining_days(due_at) if due_at else None
