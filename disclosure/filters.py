"""Query parameters of the disclosure section in the API, validated by django-filter."""

import django_filters

from common.api_access import MomentFilter

from .models import DecisionRecord, Publication
from .search import matching, parse_query
from .selectors import search_decisions


class PublicationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Publication.Kind.choices)
    department = django_filters.CharFilter(
        field_name="department__code", help_text="A department's code."
    )
    text = django_filters.CharFilter(
        method="search",
        max_length=100,
        help_text="Words of the title or the text, in Chinese or English (full-text search).",
    )
    published_after = MomentFilter(field_name="published_at", lookup_expr="gte")
    published_before = MomentFilter(field_name="published_at", lookup_expr="lt")

    class Meta:
        model = Publication
        fields: list[str] = []

    def search(self, queryset, name, value):
        # The same full-text matching as the search page (Chinese bigrams, English stems).
        query = parse_query(value)
        if query.is_empty:
            return queryset
        return matching(queryset, query, table=Publication._meta.db_table)


class DecisionRecordFilter(django_filters.FilterSet):
    """The register page's search (tracking number, item, applicant) and more."""

    text = django_filters.CharFilter(
        method="search",
        max_length=100,
        help_text="A tracking number, or words of the item or of the (masked) applicant.",
    )
    outcome = django_filters.ChoiceFilter(choices=DecisionRecord.Outcome.choices)
    item = django_filters.CharFilter(field_name="item_code", help_text="A service item's code.")
    decided_after = MomentFilter(field_name="decided_at", lookup_expr="gte")
    decided_before = MomentFilter(field_name="decided_at", lookup_expr="lt")

    class Meta:
        model = DecisionRecord
        fields: list[str] = []

    def search(self, queryset, name, value):
        return search_decisions(queryset, value)
