"""Query parameters of the disclosure section in the API, validated by django-filter."""

import django_filters

from common.api_access import MomentFilter
from services.regions import within

from .forms import RegionField
from .models import Consultation, ConsultationComment, DecisionRecord, Publication
from .search import matching, parse_query
from .selectors import consultations_in_phase, search_decisions


class RegionFilter(django_filters.Filter):
    """`?region=` a GB/T 2260 code: that region's rows and those of the regions within it (a
    city's districts); an unknown code is refused (400), not answered with an empty list."""

    field_class = RegionField

    def filter(self, queryset, value):
        return within(queryset, self.field_name, value)


REGION_HELP = (
    "A region's GB/T 2260 code (340100): its rows and those of the regions within it "
    "(a city's districts). Default: every region."
)


class PublicationFilter(django_filters.FilterSet):
    region = RegionFilter(field_name="department__region__code", help_text=REGION_HELP)
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
    region = RegionFilter(field_name="region_code", help_text=REGION_HELP)
    outcome = django_filters.ChoiceFilter(choices=DecisionRecord.Outcome.choices)
    item = django_filters.CharFilter(field_name="item_code", help_text="A service item's code.")
    decided_after = MomentFilter(field_name="decided_at", lookup_expr="gte")
    decided_before = MomentFilter(field_name="decided_at", lookup_expr="lt")

    class Meta:
        model = DecisionRecord
        fields: list[str] = []

    def search(self, queryset, name, value):
        return search_decisions(queryset, value)


class ConsultationFilter(django_filters.FilterSet):
    phase = django_filters.ChoiceFilter(
        choices=Consultation.Phase.choices, method="in_phase", help_text="By the period, now."
    )
    department = django_filters.CharFilter(
        field_name="publication__department__code", help_text="A department's code."
    )

    class Meta:
        model = Consultation
        fields: list[str] = []

    def in_phase(self, queryset, name, value):
        return consultations_in_phase(queryset, value)


class CommentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ConsultationComment.State.choices)
    consultation = django_filters.NumberFilter(field_name="consultation_id")

    class Meta:
        model = ConsultationComment
        fields: list[str] = []
