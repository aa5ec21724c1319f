"""The catalogue's exchange format (docs/catalogue.md): its keys, its JSON Schema, and the entry
of each catalogue row, the same for the export and for comparing an import with the database.

The keys and their limits are read from the models, so the schema follows every change of a
field's length, range or choices. A new key that has a default is compatible (version 1 still);
a key renamed or removed, or a meaning changed, is a new version (FORMAT_VERSION).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from accounts.models import Department, Region

from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
    Theme,
)

FORMAT_NAME = "catalogue"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

# The keys copied as they are from each model's fields; references to other rows (by code) and
# the lists of child rows are added below, key by key.
REGION_KEYS = ("code", "name", "name_en", "level")
THEME_KEYS = ("slug", "name", "name_en", "order")
DEPARTMENT_KEYS = ("code", "name", "name_en", "is_service_centre")
ITEM_KEYS = (
    "code",
    "kind",
    "name",
    "name_en",
    "audience",
    "summary",
    "summary_en",
    "legal_basis",
    "legal_basis_en",
    "conditions",
    "conditions_en",
    "process",
    "process_en",
    "statutory_limit_days",
    "max_extension_days",
    "acceptance_limit_days",
    "joint_limit_days",
    "rejection_ends_case",
    "certificate_scope",
    "certificate_validity_years",
    "letter_triage_limit_days",
    "letter_answer_limit_days",
    "subject_rule",
    "subject_name_field",
)
# A material's sample file is not exchanged: files stay where the admin uploaded them.
MATERIAL_KEYS = (
    "code",
    "name",
    "name_en",
    "description",
    "description_en",
    "is_required",
    "kind",
    "validity_days",
    "certificate_of",
    "order",
)
FIELD_KEYS = (
    "name",
    "label",
    "label_en",
    "help_text",
    "help_text_en",
    "kind",
    "is_required",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "choices",
    "choices_en",
    "prefill_from",
    "order",
)
# Publication is not in the file: an imported change is a draft that a second administrator
# approves and publishes (services/catalogue_publishing.py), as an edit in the admin is.
IMPLEMENTATION_KEYS = ("promised_limit_days", "fee_basis")
STAGE_KEYS = ("order", "name", "name_en")
STAGE_DEPARTMENT_KEYS = ("time_limit_days", "timeout_policy", "reminder_days")

# What names a child row within its parent's list (what a diff and an error message call it).
MATERIAL_KEY, FIELD_KEY, STAGE_KEY, STAGE_DEPARTMENT_KEY = "code", "name", "order", "department"

FEE_PATTERN = r"^\d{1,8}(\.\d{1,2})?$"  # DecimalField(max_digits=10, decimal_places=2), never < 0
REFERENCE = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_REFERENCE = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}

INTEGER_LIMITS = {
    models.PositiveSmallIntegerField: (0, 32767),
    models.PositiveIntegerField: (0, 2147483647),
    models.SmallIntegerField: (-32768, 32767),
    models.IntegerField: (-2147483648, 2147483647),
}


def field_schema(model: type[models.Model], name: str) -> dict:
    """The JSON Schema of one model field: its type, length, range, choices and pattern."""
    field = model._meta.get_field(name)
    if isinstance(field, models.BooleanField):
        schema: dict = {"type": "boolean"}
    elif isinstance(field, models.IntegerField):
        low, high = next(
            limits for kind, limits in INTEGER_LIMITS.items() if isinstance(field, kind)
        )
        for validator in field.validators:
            if isinstance(validator, MinValueValidator):
                low = max(low, validator.limit_value)
            if isinstance(validator, MaxValueValidator):
                high = min(high, validator.limit_value)
        schema = {"type": "integer", "minimum": low, "maximum": high}
    else:
        schema = {"type": "string"}
        if field.max_length:
            schema["maxLength"] = field.max_length
        if not field.blank:
            schema["minLength"] = 1
        patterns = [
            # Python's \Z (the very end) is written so that Rust's regex engine (jsonschema-rs)
            # reads it the same: nothing at all may follow.
            validator.regex.pattern.replace("\\Z", "(?![\\s\\S])")
            for validator in field.validators
            if isinstance(validator, RegexValidator) and not validator.inverse_match
        ]
        if field.blank:  # Django runs no validator on the empty value of a field that allows it
            patterns = [f"^$|{pattern}" for pattern in patterns]
        if len(patterns) == 1:
            schema["pattern"] = patterns[0]
        elif patterns:  # a slug that is also lower case (a form field's key)
            schema["allOf"] = [{"pattern": pattern} for pattern in patterns]
    if field.choices:
        schema["enum"] = [value for value, _label in field.flatchoices]
    if field.null:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def object_schema(
    model: type[models.Model], keys: tuple[str, ...], *, required: tuple[str, ...], **more
) -> dict:
    properties = {name: field_schema(model, name) for name in keys} | more
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def list_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def catalogue_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a catalogue file of FORMAT_VERSION."""
    material = object_schema(Material, MATERIAL_KEYS, required=("code", "name"))
    form_field = object_schema(FormField, FIELD_KEYS, required=("name", "label"))
    stage_department = object_schema(
        StageDepartment,
        STAGE_DEPARTMENT_KEYS,
        required=("department",),
        department=REFERENCE,
    )
    stage = object_schema(
        ReviewStage,
        STAGE_KEYS,
        required=("order", "name", "departments"),
        # A stage reviews through at least one department (as the admin's form insists).
        departments=list_of(stage_department) | {"minItems": 1},
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Catalogue of service items",
        "type": "object",
        "required": ["format", "version"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT_NAME},
            "version": {"enum": sorted(SUPPORTED_VERSIONS)},
            "exported_at": {"type": "string"},
            "regions": list_of(
                object_schema(
                    Region,
                    REGION_KEYS,
                    required=("code", "name", "level"),
                    parent={"type": ["string", "null"], "pattern": r"^[1-9]\d{5}$"},
                )
            ),
            "themes": list_of(object_schema(Theme, THEME_KEYS, required=("slug", "name"))),
            "departments": list_of(
                object_schema(
                    Department,
                    DEPARTMENT_KEYS,
                    required=("code", "name", "region"),
                    region=REFERENCE,
                )
            ),
            "items": list_of(
                object_schema(
                    ServiceItem,
                    ITEM_KEYS,
                    required=("code", "name", "theme", "legal_basis"),
                    theme=REFERENCE,
                    materials=list_of(material),
                    fields=list_of(form_field),
                )
            ),
            "implementations": list_of(
                object_schema(
                    ItemImplementation,
                    IMPLEMENTATION_KEYS,
                    required=("item", "region"),
                    item=REFERENCE,
                    region=REFERENCE,
                    fee={"type": ["string", "null"], "pattern": FEE_PATTERN},
                    accepting_department=NULLABLE_REFERENCE,
                    stages=list_of(stage),
                    materials=list_of(material),
                    fields=list_of(form_field),
                )
            ),
        },
    }


# --- entries: a row as the file writes it -------------------------------------------------------


def copied(row: models.Model, keys: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in keys}


def fee_text(fee: Decimal | str | None) -> str | None:
    """A fee as the file writes it: a string with two decimals ("12.50"), or None for free."""
    if fee is None:
        return None
    return str(Decimal(fee).quantize(Decimal("0.01")))


def region_entry(region: Region, *, parent_code: str | None) -> dict:
    return copied(region, REGION_KEYS) | {"parent": parent_code}


def theme_entry(theme: Theme) -> dict:
    return copied(theme, THEME_KEYS)


def department_entry(department: Department, *, region_code: str) -> dict:
    return copied(department, DEPARTMENT_KEYS) | {"region": region_code}


def material_entry(material: Material) -> dict:
    return copied(material, MATERIAL_KEYS)


def field_entry(form_field: FormField) -> dict:
    return copied(form_field, FIELD_KEYS)


def item_entry(
    item: ServiceItem, *, theme_slug: str, materials: list[Material], fields: list[FormField]
) -> dict:
    return copied(item, ITEM_KEYS) | {
        "theme": theme_slug,
        "materials": [material_entry(material) for material in materials],
        "fields": [field_entry(form_field) for form_field in fields],
    }


def implementation_entry(
    implementation: ItemImplementation,
    *,
    item_code: str,
    region_code: str,
    department_codes: dict[int, str],
    stages: list[ReviewStage],
    materials: list[Material],
    fields: list[FormField],
) -> dict:
    """`stages` each with its `step_rows`, its StageDepartment rows (implementations_with_rows)."""
    return {
        "item": item_code,
        "region": region_code,
        **copied(implementation, IMPLEMENTATION_KEYS),
        "fee": fee_text(implementation.fee),
        "accepting_department": department_codes.get(implementation.accepting_department_id),
        "stages": [
            copied(stage, STAGE_KEYS)
            | {
                "departments": sorted(
                    (
                        {"department": department_codes[step.department_id]}
                        | copied(step, STAGE_DEPARTMENT_KEYS)
                        for step in stage.step_rows
                    ),
                    key=lambda step: step["department"],
                )
            }
            for stage in stages
        ],
        "materials": [material_entry(material) for material in materials],
        "fields": [field_entry(form_field) for form_field in fields],
    }


def implementation_code(entry: dict) -> str:
    """How an implementation is named in a diff or an error: its item's code @ its region's."""
    return f"{entry.get('item')}@{entry.get('region')}"


# --- defaults: a file may leave out what has the model's default --------------------------------


def defaults_of(model: type[models.Model], keys: tuple[str, ...]) -> dict:
    defaults = {}
    for name in keys:
        field = model._meta.get_field(name)
        if field.has_default() or field.null or field.blank:
            default = field.get_default()
            defaults[name] = None if (field.null and default in ("", None)) else default
    return defaults


def completed(entry: dict, model: type[models.Model], keys: tuple[str, ...], **more) -> dict:
    """The entry with every key the file left out set to the model's default."""
    return defaults_of(model, keys) | more | entry


def complete_item(entry: dict) -> dict:
    entry = completed(entry, ServiceItem, ITEM_KEYS, materials=[], fields=[])
    entry["materials"] = [completed(m, Material, MATERIAL_KEYS) for m in entry["materials"]]
    entry["fields"] = [completed(f, FormField, FIELD_KEYS) for f in entry["fields"]]
    return entry


def complete_implementation(entry: dict) -> dict:
    entry = completed(
        entry,
        ItemImplementation,
        IMPLEMENTATION_KEYS,
        fee=None,
        accepting_department=None,
        stages=[],
        materials=[],
        fields=[],
    )
    entry["fee"] = fee_text(entry["fee"])
    entry["stages"] = [
        completed(stage, ReviewStage, STAGE_KEYS)
        | {
            "departments": sorted(
                (
                    completed(step, StageDepartment, STAGE_DEPARTMENT_KEYS)
                    for step in stage["departments"]
                ),
                key=lambda step: step["department"],
            )
        }
        for stage in entry["stages"]
    ]
    entry["materials"] = [completed(m, Material, MATERIAL_KEYS) for m in entry["materials"]]
    entry["fields"] = [completed(f, FormField, FIELD_KEYS) for f in entry["fields"]]
    return entry


def complete_region(entry: dict) -> dict:
    return completed(entry, Region, REGION_KEYS, parent=None)


def complete_theme(entry: dict) -> dict:
    return completed(entry, Theme, THEME_KEYS)


def complete_department(entry: dict) -> dict:
    return completed(entry, Department, DEPARTMENT_KEYS)
