"""Query parameters of the staff queue in the API, validated by django-filter."""

import django_filters

from common.api_access import MomentFilter

from .models import ReviewTask
from .queues import queue_for

STATE_CHOICES = [("open", "open"), *((state, state) for state in ReviewTask.State.values)]


class TaskFilter(django_filters.FilterSet):
    """The queue page's filters (state, item), plus claimed and a deadline bound."""

    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES,
        method="noop",
        help_text="open (the default: pending or waiting for supplements) or one state.",
    )
    item = django_filters.CharFilter(method="noop", help_text="A service item's code.")
    claimed = django_filters.ChoiceFilter(
        choices=[("mine", "mine"), ("covering", "covering"), ("unclaimed", "unclaimed")],
        method="noop",
        help_text="mine: claimed by the caller; covering: claimed by the reviewers the caller "
        "substitutes for today; unclaimed: nobody's yet.",
    )
    deadline_before = MomentFilter(
        method="noop", help_text="Only tasks due before this moment (ISO 8601)."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("due_at", "due_at"), ("created_at", "created_at"), ("id", "id")),
        help_text="Default: running clocks first, then by deadline.",
    )

    class Meta:
        model = ReviewTask
        fields: list[str] = []

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        """The queue is the page's selector, `queue_for`; the deadline bound narrows it."""
        data = self.form.cleaned_data
        tasks = queue_for(
            self.request.user,
            state=data.get("state") or "open",
            item_code=data.get("item") or "",
            claimed=data.get("claimed") or "",
        )
        if data.get("deadline_before"):
            tasks = tasks.filter(due_at__lt=data["deadline_before"])
        if data.get("ordering"):
            tasks = self.filters["ordering"].filter(tasks, data["ordering"])
        return tasks
