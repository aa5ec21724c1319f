"""Reads of the permit catalogue shared by pages, the API and filing."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import Department, Region

from .definitions import (
    FieldDefinition,
    GuideTerms,
    ItemDefinition,
    ItemTerms,
    MaterialDefinition,
    RegionTerms,
    StageDefinition,
    StepDefinition,
)
from .models import (
    ItemImplementation,
    ReviewStage,
    ServiceItem,
    ServiceItemVersion,
    StageDepartment,
    TimeoutPolicy,
)


def published_in(region: Region | None) -> QuerySet[ItemImplementation]:
    """The implementations serving `region`: its own and those of the regions it is part of
    (a district without its own is served by its city's), the nearest region's first."""
    if region is None:
        return ItemImplementation.objects.none()
    return ItemImplementation.objects.filter(
        region__in=region.with_ancestors(), is_published=True
    ).order_by("-region__code")


def regions_publishing() -> QuerySet[Region]:
    """The regions with a published implementation, for a reader to choose among."""
    return Region.objects.filter(
        Exists(ItemImplementation.objects.filter(region=OuterRef("pk"), is_published=True))
    ).order_by("code")


def published_items(
    region: Region | None, *, theme: str = "", audience: str = "", query: str = ""
) -> QuerySet[ServiceItem]:
    """The permits with a published implementation in `region`, each annotated with that
    implementation's `fee` and `promised_limit_days` (what a list shows of it)."""
    if region is None:  # no region publishes anything yet
        return ServiceItem.objects.none()
    # Letters are written on their own page (services/letters.py), not applied for.
    here = published_in(region).filter(item=OuterRef("pk"))
    items = ServiceItem.objects.filter(Exists(here), kind=ServiceItem.Kind.PERMIT)
    items = items.select_related("theme").annotate(
        fee=Subquery(here.values("fee")[:1]),
        promised_limit_days=Subquery(here.values("promised_limit_days")[:1]),
    )
    if theme:
        items = items.filter(theme__slug=theme)
    if audience:
        items = items.filter(audience__in=[audience, "both"])
    if query:
        items = items.filter(
            Q(name__icontains=query)
            | Q(name_en__icontains=query)
            | Q(summary__icontains=query)
            | Q(code__iexact=query)
        )
    return items


def implementation_with_guide(code: str, region: Region | None) -> ItemImplementation | None:
    """The published implementation of a permit serving `region`, with everything its service
    guide shows, in a fixed number of queries; None if no implementation serves the region."""
    return (
        published_in(region)
        .filter(item__code=code, item__kind=ServiceItem.Kind.PERMIT)
        .select_related("item__theme", "region", "published_version")
        .prefetch_related(
            Prefetch(
                "stages",
                queryset=ReviewStage.objects.prefetch_related(
                    Prefetch(
                        "departments", queryset=StageDepartment.objects.select_related("department")
                    )
                ),
            ),
        )
        .first()
    )


def accepting_department(implementation: ItemImplementation) -> Department | None:
    """The implementation's accepting department, else its region's service centre."""
    if implementation.accepting_department_id:
        return implementation.accepting_department
    return (
        Department.objects.filter(is_service_centre=True, region_id=implementation.region_id)
        .order_by("code")
        .first()
    )


def acceptance_step(implementation: ItemImplementation) -> StepDefinition | None:
    """Acceptance (受理) is the first step of every case, by the service centre by default."""
    item = implementation.item
    department = accepting_department(implementation)
    if department is None:
        return None
    if item.is_letter:
        # A letter's triage: silence is escalated, never deemed (nobody would answer it).
        time_limit, policy = item.letter_triage_limit_days, TimeoutPolicy.ANSWER_REQUIRED
    else:
        # Art. 32: an application not answered in time counts as accepted on receipt.
        time_limit, policy = item.acceptance_limit_days, TimeoutPolicy.DEEMED_APPROVAL
    return StepDefinition(
        department_id=department.pk,
        code=department.code,
        name=department.name,
        name_en=department.name_en,
        time_limit_days=time_limit,
        timeout_policy=policy.value,
        reminder_days=1,
    )


# Keys of a letter's definition that a permit's never had: left out of a permit's JSON, so
# that adding letters froze no permit anew (services/definitions.py).
LETTER_TERMS = frozenset({"kind"})
LETTER_STAGE_KEYS = frozenset({"assigned_at_triage", "assigned_time_limit_days", "on_request"})


def letter_stages(item: ServiceItem) -> tuple[StageDefinition, ...]:
    """A letter's review: the departments the triage assigns answer in parallel (答复), and,
    only if the writer asks once, answer again (再次答复)."""
    return (
        StageDefinition(
            order=1,
            name="答复",
            name_en="Answer",
            assigned_at_triage=True,
            assigned_time_limit_days=item.letter_answer_limit_days,
        ),
        StageDefinition(
            order=2,
            name="再次答复",
            name_en="Second answer",
            assigned_at_triage=True,
            assigned_time_limit_days=item.letter_answer_limit_days,
            on_request=True,
        ),
    )


def english_left_out(row, names: list[str]) -> frozenset[str]:
    """The English fields of a catalogue row that are empty: they stay out of its frozen JSON."""
    return frozenset(name for name in names if not getattr(row, name))


def item_definition(implementation: ItemImplementation) -> ItemDefinition:
    """Everything about an implementation that a case depends on, as it is now, ready to be
    frozen: the standard item's terms, materials and fields, then the region's own."""
    item = implementation.item
    fields = implementation.fields_in_order()
    materials = implementation.materials_in_order()
    stages = (
        ReviewStage.objects.filter(implementation=implementation)
        .order_by("order")
        .prefetch_related(
            Prefetch(
                "departments",
                queryset=StageDepartment.objects.select_related("department").order_by(
                    "department__code"
                ),
            )
        )
    )
    letter = item.is_letter
    return ItemDefinition(
        item=ItemTerms(
            code=item.code,
            kind=item.kind,
            name=item.name,
            name_en=item.name_en,
            # A letter's overall limit is its answer's: every department answers in parallel.
            statutory_limit_days=item.letter_answer_limit_days
            if letter
            else item.statutory_limit_days,
            promised_limit_days=None if letter else implementation.promised_limit_days,
            max_extension_days=item.max_extension_days,
            acceptance_limit_days=item.letter_triage_limit_days
            if letter
            else item.acceptance_limit_days,
            joint_limit_days=item.joint_limit_days,
            rejection_ends_case=item.rejection_ends_case,
            # Frozen with the case, so a later catalogue edit never changes an issued certificate.
            certificate_scope=item.certificate_scope_or_default,
            certificate_validity_years=item.certificate_validity_years,
            absent_keys=frozenset() if letter else LETTER_TERMS,
        ),
        acceptance_step=acceptance_step(implementation),
        region=RegionTerms(
            code=implementation.region.code,
            name=implementation.region.name,
            name_en=implementation.region.name_en,
            implementation_id=implementation.pk,
        ),
        fields=tuple(
            FieldDefinition(
                name=f.name,
                label=f.label,
                help_text=f.help_text,
                kind=f.kind,
                is_required=f.is_required,
                min_length=f.min_length,
                max_length=f.max_length,
                pattern=f.pattern,
                pattern_message=f.pattern_message,
                choices=tuple(c.strip() for c in f.choices.splitlines() if c.strip()),
                prefill_from=f.prefill_from,
                label_en=f.label_en,
                help_text_en=f.help_text_en,
                choices_en=tuple(c.strip() for c in f.choices_en.splitlines() if c.strip()),
                # English is frozen only where it was written, so every other item's frozen
                # definition keeps the shape it always had (and is not frozen anew for it).
                absent_keys=english_left_out(f, ["label_en", "help_text_en", "choices_en"]),
            )
            for f in fields
        ),
        materials=tuple(
            MaterialDefinition(
                code=m.code,
                name=m.name,
                description=m.description,
                is_required=m.is_required,
                kind=m.kind,
                validity_days=m.validity_days,
                certificate_of=m.certificate_of,
                # Frozen only where an e-certificate may stand for the material, so the JSON of
                # every other item stays what it always was (and is not frozen anew for it).
                name_en=m.name_en,
                description_en=m.description_en,
                absent_keys=frozenset({"certificate_of"} if not m.certificate_of else set())
                | english_left_out(m, ["name_en", "description_en"]),
            )
            for m in materials
        ),
        guide=GuideTerms(
            summary=item.summary,
            summary_en=item.summary_en,
            legal_basis=item.legal_basis,
            legal_basis_en=item.legal_basis_en,
            conditions=item.conditions,
            conditions_en=item.conditions_en,
            process=item.process,
            process_en=item.process_en,
            audience=item.audience,
            fee=None if implementation.fee is None else str(implementation.fee),
            fee_basis=implementation.fee_basis,
        ),
        review_stages=letter_stages(item)
        if letter
        else tuple(
            StageDefinition(
                order=s.order,
                name=s.name,
                name_en=s.name_en,
                absent_keys=LETTER_STAGE_KEYS,
                steps=tuple(
                    StepDefinition(
                        department_id=sd.department_id,
                        code=sd.department.code,
                        name=sd.department.name,
                        name_en=sd.department.name_en,
                        time_limit_days=sd.time_limit_days,
                        timeout_policy=sd.timeout_policy,
                        reminder_days=sd.reminder_days,
                    )
                    for sd in s.departments.all()
                ),
            )
            for s in stages
        ),
    )


def serving_definition(implementation: ItemImplementation) -> ItemDefinition:
    """The definition applicants see and file under: the published version's. An implementation
    published before versions were (none recorded) is served by its rows as they are."""
    if implementation.published_version_id:
        return implementation.published_version.item_definition
    return item_definition(implementation)


def freeze_definition(
    implementation: ItemImplementation, definition: ItemDefinition | None = None
) -> ServiceItemVersion:
    """The version matching the implementation as it is now, created only when it changed.

    `definition` is its definition if the caller has just read it (item_definition).
    """
    definition = (item_definition(implementation) if definition is None else definition).to_json()
    published = implementation.published_version
    if published is not None and published.definition == definition:
        return published  # what applicants file under (services/catalogue_publishing.py)
    versions = ServiceItemVersion.objects.filter(implementation=implementation)
    latest = versions.order_by("-number").first()
    if latest and latest.definition == definition:
        return latest
    number = (latest.number + 1) if latest else 1
    version, _ = ServiceItemVersion.objects.get_or_create(
        implementation=implementation,
        number=number,
        defaults={"definition": definition, "item_id": implementation.item_id},
    )
    if version.definition != definition:
        # Another submission created this number for an older edit: start a new one.
        version = ServiceItemVersion.objects.create(
            item_id=implementation.item_id,
            implementation=implementation,
            number=number + 1,
            definition=definition,
        )
    return version
