"""Reads of the permit catalogue shared by pages, the API and filing."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Department

from .definitions import (
    FieldDefinition,
    ItemDefinition,
    ItemTerms,
    MaterialDefinition,
    StageDefinition,
    StepDefinition,
)
from .models import (
    FormField,
    Material,
    ReviewStage,
    ServiceItem,
    ServiceItemVersion,
    StageDepartment,
    TimeoutPolicy,
)


def published_items(
    *, theme: str = "", audience: str = "", query: str = ""
) -> QuerySet[ServiceItem]:
    # Letters are written on their own page (services/letters.py), not applied for.
    items = ServiceItem.objects.filter(is_published=True, kind=ServiceItem.Kind.PERMIT)
    items = items.select_related("theme")
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


def item_with_guide(code: str) -> ServiceItem:
    """A published item with everything its service guide shows, in a fixed number of queries."""
    return (
        ServiceItem.objects.filter(is_published=True, kind=ServiceItem.Kind.PERMIT)
        .select_related("theme")
        .prefetch_related(
            "materials",
            "fields",
            Prefetch(
                "stages",
                queryset=ReviewStage.objects.prefetch_related(
                    Prefetch(
                        "departments", queryset=StageDepartment.objects.select_related("department")
                    )
                ),
            ),
        )
        .get(code=code)
    )


def accepting_department(item: ServiceItem) -> Department | None:
    if item.accepting_department_id:
        return item.accepting_department
    return Department.objects.filter(is_service_centre=True).order_by("code").first()


def acceptance_step(item: ServiceItem) -> StepDefinition | None:
    """Acceptance (受理) is the first step of every case, by the service centre by default."""
    department = accepting_department(item)
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


def item_definition(item: ServiceItem) -> ItemDefinition:
    """Everything about an item that a case depends on, as it is now, ready to be frozen."""
    fields = FormField.objects.filter(item=item).order_by("order", "id")
    materials = Material.objects.filter(item=item).order_by("order", "id")
    stages = (
        ReviewStage.objects.filter(item=item)
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
            promised_limit_days=None if letter else item.promised_limit_days,
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
        acceptance_step=acceptance_step(item),
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


def freeze_definition(
    item: ServiceItem, definition: ItemDefinition | None = None
) -> ServiceItemVersion:
    """The version matching the item as it is now, created only when the item changed.

    `definition` is the item's definition if the caller has just read it (item_definition).
    """
    definition = (item_definition(item) if definition is None else definition).to_json()
    latest = ServiceItemVersion.objects.filter(item=item).order_by("-number").first()
    if latest and latest.definition == definition:
        return latest
    number = (latest.number + 1) if latest else 1
    version, _ = ServiceItemVersion.objects.get_or_create(
        item=item, number=number, defaults={"definition": definition}
    )
    if version.definition != definition:
        # Another submission created this number for an older edit: start a new one.
        version = ServiceItemVersion.objects.create(
            item=item, number=number + 1, definition=definition
        )
    return version
