"""Query parameters of the catalogue in the API, validated by django-filter."""

import django_filters
from django.db.models import Exists, OuterRef

from .catalogue import published_in, published_items
from .models import Audience, ServiceItem
from .regions import chosen_region, region_by_code


class ServiceItemFilter(django_filters.FilterSet):
    """The catalogue page's search (theme, audience, text) plus the reviewing department."""

    region = django_filters.CharFilter(
        method="noop",
        help_text="A region's GB/T 2260 code: the items it (or a region it is part of) "
        "implements. Default: the caller's account's region, else the portal's.",
    )
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
        region = (
            region_by_code(data["region"]) if data.get("region") else chosen_region(self.request)
        )
        items = published_items(
            region,
            theme=data.get("theme") or "",
            audience=data.get("audience") or "",
            query=(data.get("text") or "").strip(),
        )
        if data.get("department"):
            reviewing = published_in(region).filter(
                item=OuterRef("pk"), stages__departments__department__code=data["department"]
            )
            items = items.filter(Exists(reviewing))
        return items.distinct()
