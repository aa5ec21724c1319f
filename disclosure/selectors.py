"""What the public may read from the disclosure section, in one place.

Every public page, feed, the sitemap, the search and the API read publications through
`public_publications()`: only what is graded public AND published ever leaves through them
(分级管理). A publication graded "on request", "internal" or "confidential", a draft and a
withdrawn publication are invisible to all of them by construction.
"""

from django.db.models import Q, QuerySet

from services.models import ServiceItem

from .models import CatalogueSearchEntry, DecisionRecord, Publication


def public_publications() -> QuerySet[Publication]:
    return Publication.objects.public().select_related("department")


def public_publication(number: str) -> Publication | None:
    return public_publications().filter(number=number).first()


def withdrawn_publication(number: str) -> Publication | None:
    """A publication that was public and has been withdrawn: its permalink says so, and why."""
    return (
        Publication.objects.filter(
            number=number,
            state=Publication.State.WITHDRAWN,
            classification=Publication.Classification.PUBLIC,
        )
        .select_related("department")
        .first()
    )


def public_decisions() -> QuerySet[DecisionRecord]:
    """The decision register holds only masked data by construction; all of it is public."""
    return DecisionRecord.objects.all()


def search_decisions(records: QuerySet[DecisionRecord], text: str) -> QuerySet[DecisionRecord]:
    """The register's search, on the page and in the API: a tracking number exactly, or part of
    an item's name or of the (masked) applicant's."""
    text = text.strip()
    if not text:
        return records
    return records.filter(
        Q(tracking_number=text)
        | Q(item_name__icontains=text)
        | Q(applicant_display__icontains=text)
    )


def public_service_items() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(is_published=True)


def searchable_guides(*, department_id: int | None = None) -> QuerySet[CatalogueSearchEntry]:
    entries = CatalogueSearchEntry.objects.filter(item__is_published=True).select_related("item")
    if department_id:
        entries = entries.filter(
            item__in=ServiceItem.objects.filter(stages__departments__department_id=department_id)
        )
    return entries
