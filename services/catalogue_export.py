"""The catalogue written out: the whole province's, or one region's and the regions under it,
as a JSON file of the exchange format (docs/catalogue.md), or its flat parts as CSV."""

from collections.abc import Iterable

import tablib
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Department, Region

from .catalogue_format import (
    DEPARTMENT_KEYS,
    FORMAT_NAME,
    FORMAT_VERSION,
    IMPLEMENTATION_KEYS,
    ITEM_KEYS,
    department_entry,
    implementation_entry,
    item_entry,
    region_entry,
    theme_entry,
)
from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
    Theme,
)

CSV_TABLES = ("items", "implementations", "departments")


def region_and_below(region: Region) -> list[Region]:
    """The region and every region under it (a province's cities and their districts)."""
    regions, level = [region], [region]
    while level:
        level = list(Region.objects.filter(parent__in=level))
        regions += level
    return regions


def items_with_standard_rows(items: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return items.select_related("theme").prefetch_related(
        Prefetch(
            "materials",
            queryset=Material.objects.filter(implementation=None).order_by("order", "id"),
            to_attr="standard_materials",
        ),
        Prefetch(
            "fields",
            queryset=FormField.objects.filter(implementation=None).order_by("order", "id"),
            to_attr="standard_fields",
        ),
    )


def implementations_with_rows(
    implementations: QuerySet[ItemImplementation],
) -> list[ItemImplementation]:
    """The implementations, each with its `stage_rows` (each with its `step_rows`, the
    StageDepartment rows), `local_material_rows` and `local_field_rows`: four queries in all,
    grouped here rather than by nested prefetches, which cost a queryset per stage."""
    rows = list(implementations.select_related("item", "region"))
    by_id = {implementation.pk: implementation for implementation in rows}
    for implementation in rows:
        implementation.stage_rows = []
        implementation.local_material_rows = []
        implementation.local_field_rows = []
    stages = {}
    for stage in ReviewStage.objects.filter(implementation__in=implementations).order_by(
        "implementation_id", "order"
    ):
        stage.step_rows = []
        stages[stage.pk] = stage
        by_id[stage.implementation_id].stage_rows.append(stage)
    steps = StageDepartment.objects.filter(stage__implementation__in=implementations)
    for step in steps.order_by("pk"):
        stages[step.stage_id].step_rows.append(step)
    local = {"implementation__in": implementations}
    for material in Material.objects.filter(**local).order_by("order", "id"):
        by_id[material.implementation_id].local_material_rows.append(material)
    for form_field in FormField.objects.filter(**local).order_by("order", "id"):
        by_id[form_field.implementation_id].local_field_rows.append(form_field)
    return rows


def item_entries(items: Iterable[ServiceItem]) -> list[dict]:
    """`items` from items_with_standard_rows()."""
    return [
        item_entry(
            item,
            theme_slug=item.theme.slug,
            materials=item.standard_materials,
            fields=item.standard_fields,
        )
        for item in items
    ]


def implementation_entries(
    implementations: Iterable[ItemImplementation], department_codes: dict[int, str]
) -> list[dict]:
    """`implementations` from implementations_with_rows()."""
    return [
        implementation_entry(
            implementation,
            item_code=implementation.item.code,
            region_code=implementation.region.code,
            department_codes=department_codes,
            stages=implementation.stage_rows,
            materials=implementation.local_material_rows,
            fields=implementation.local_field_rows,
        )
        for implementation in implementations
    ]


def all_department_codes() -> dict[int, str]:
    return dict(Department.objects.values_list("pk", "code"))


def export_catalogue(region: Region | None = None) -> dict:
    """The catalogue as a file of the exchange format: everything, or what `region` and the
    regions under it implement (with the regions above them, so that every parent is named)."""
    if region is None:
        regions = list(Region.objects.select_related("parent").order_by("code"))
        implementations = ItemImplementation.objects.all()
        items = ServiceItem.objects.all()
        departments = Department.objects.all()
    else:
        scope = region_and_below(region)
        regions = sorted(
            {r.pk: r for r in region.with_ancestors() + scope}.values(), key=lambda r: r.code
        )
        implementations = ItemImplementation.objects.filter(region__in=scope)
        items = ServiceItem.objects.filter(implementations__region__in=scope).distinct()
        departments = Department.objects.filter(region__in=scope)
    region_codes = {r.pk: r.code for r in Region.objects.all()}
    items = list(items_with_standard_rows(items.order_by("code")))
    themes = Theme.objects.filter(pk__in={item.theme_id for item in items}).order_by("slug")
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "regions": [region_entry(r, parent_code=region_codes.get(r.parent_id)) for r in regions],
        "themes": [theme_entry(theme) for theme in themes],
        "departments": [
            department_entry(department, region_code=region_codes[department.region_id])
            for department in departments.order_by("code")
        ],
        "items": item_entries(items),
        "implementations": implementation_entries(
            implementations_with_rows(implementations.order_by("item__code", "region__code")),
            all_department_codes(),
        ),
    }


def catalogue_table(catalogue: dict, table: str) -> tablib.Dataset:
    """One flat part of an exported catalogue as a table (for CSV): the standard items, the
    implementations (without their stages, materials and fields), or the departments."""
    if table == "items":
        headers = ["code", *[key for key in ITEM_KEYS if key != "code"], "theme"]
    elif table == "implementations":
        headers = ["item", "region", *IMPLEMENTATION_KEYS, "fee", "accepting_department"]
    elif table == "departments":
        headers = [*DEPARTMENT_KEYS, "region"]
    else:
        raise ValueError(f"No table {table!r}: one of {', '.join(CSV_TABLES)}")
    dataset = tablib.Dataset(headers=headers, title=table)
    for entry in catalogue[table]:
        dataset.append(["" if entry[key] is None else entry[key] for key in headers])
    return dataset
