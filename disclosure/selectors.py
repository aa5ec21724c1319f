"""What the public may read from the disclosure section, in one place.

Every public page, feed, the sitemap, the search and the API read publications through
`public_publications()`: only what is graded public AND published ever leaves through them
(分级管理). A publication graded "on request", "internal" or "confidential", a draft and a
withdrawn publication are invisible to all of them by construction.
"""

from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Region
from services.models import ServiceItem
from services.regions import within

from .models import (
    CatalogueSearchEntry,
    Consultation,
    ConsultationAnswer,
    ConsultationComment,
    DecisionRecord,
    Publication,
)


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


def public_decisions(region: Region | None = None) -> QuerySet[DecisionRecord]:
    """The decision register holds only masked data by construction; all of it is public.

    `region`: only the decisions of that region's implementations, a city's districts
    included (docs/regions.md); None for every region."""
    return within(DecisionRecord.objects.all(), "region_code", region)


def public_publications_of(region: Region | None) -> QuerySet[Publication]:
    """The public publications of the departments of `region` and of the regions within it."""
    return within(public_publications(), "department__region__code", region)


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
    # A letter item has no guide: letters are written on their own page.
    return ServiceItem.objects.published().filter(kind=ServiceItem.Kind.PERMIT)


def searchable_guides(*, department_id: int | None = None) -> QuerySet[CatalogueSearchEntry]:
    entries = CatalogueSearchEntry.objects.filter(item__in=public_service_items()).select_related(
        "item"
    )
    if department_id:
        entries = entries.filter(
            item__in=ServiceItem.objects.filter(
                implementations__stages__departments__department_id=department_id
            )
        )
    return entries


# --- consultations: read through their publication, so grading and withdrawal apply ----------


def public_consultations() -> QuerySet[Consultation]:
    """Consultations whose draft is public and published, with the count of public comments."""
    return (
        Consultation.objects.filter(publication__in=Publication.objects.public())
        .select_related("publication__department", "report")
        .annotate(
            public_comments=Count(
                "comments", filter=Q(comments__state=ConsultationComment.State.PUBLISHED)
            )
        )
        .order_by("-publication__published_at", "-id")
    )


def consultations_in_phase(consultations: QuerySet[Consultation], phase: str, now=None):
    """Those not open yet, open now, or closed, by their period."""
    now = now or timezone.now()
    if phase == Consultation.Phase.UPCOMING:
        return consultations.filter(opens_at__gt=now)
    if phase == Consultation.Phase.OPEN:
        return consultations.filter(opens_at__lte=now, closes_at__gte=now)
    if phase == Consultation.Phase.CLOSED:
        return consultations.filter(closes_at__lt=now)
    return consultations


def public_consultation(number: str) -> Consultation | None:
    return (
        Consultation.objects.filter(
            publication__in=Publication.objects.public(), publication__number=number
        )
        .select_related("publication__department", "report")
        .first()
    )


class ConsultationPeriod(NamedTuple):
    id: int
    opens_at: object
    closes_at: object
    report_published_at: object


def public_consultation_period(number: str) -> ConsultationPeriod | None:
    """What the page cache's version of a public consultation's page depends on, read with one
    plain statement: on a cached page, the ORM's compiling of public_consultation() cost more
    than serving the page itself. The same conditions as Publication.objects.public()."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, c.opens_at, c.closes_at, c.report_published_at
              FROM disclosure_consultation c
              JOIN disclosure_publication p ON p.id = c.publication_id
             WHERE p.number = %s AND p.state = %s AND p.classification = %s
            """,
            [number, Publication.State.PUBLISHED, Publication.Classification.PUBLIC],
        )
        row = cursor.fetchone()
    return ConsultationPeriod(*row) if row else None


def published_comments(consultation: Consultation) -> QuerySet[ConsultationComment]:
    """A consultation's public comments, newest first, with their answers (two queries a page)."""
    return (
        consultation.comments.filter(state=ConsultationComment.State.PUBLISHED)
        .order_by("-created_at", "-id")
        .only("pk", "consultation_id", "author_display", "public_body", "created_at")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=ConsultationAnswer.objects.select_related("question")
                .only("comment_id", "public_text", "question__order", "question__text")
                .order_by("question__order"),
            )
        )
    )
