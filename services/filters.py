"""Query parameters of the catalogue in the API, validated by django-filter."""

import django_filters

from .catalogue import published_items
from .models import Audience, ServiceItem


class ServiceItemFilter(django_filters.FilterSet):
    """The catalogue page's search (theme, audience, text) plus the reviewing department."""

    theme = django_filters.CharFilter(method="noop", help_text="A theme's code (slug).")
    audience = django_filters.ChoiceFilter(
        choices=[(Audience.CITIZEN, "citizen"), (Audience.ENTERPRISE, "enterprise")],
        method="noop",
        help_text="Items open to citizens or to enterprises (items open to both included).",
    )
    text = django_filters.CharFilter(
        method="noop", max_length=100, help_text="Words of the name or summary, or an item code."
    )
    department = django_filters.CharFilter(
        method="noop", help_text="A department's code: items one of whose stages it reviews."
    )

    class Meta:
        model = ServiceItem
        fields: list[str] = []

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        """The catalogue's own selector does the searching, as on the page."""
        data = self.form.cleaned_data
        items = published_items(
            theme=data.get("theme") or "",
            audience=data.get("audience") or "",
            query=(data.get("text") or "").strip(),
        )
        if data.get("department"):
            items = items.filter(stages__departments__department__code=data["department"])
        return items.distinct()
