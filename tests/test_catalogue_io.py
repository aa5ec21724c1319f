"""Import and export of the catalogue (issue 16 items 2 and 6, docs/catalogue.md): a dry run that
shows each entry's change, an import that writes only a file without a single error, and an
export that an import reads back without changing anything."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Department, Region
from services import catalogue_publishing
from services.catalogue import freeze_definition
from services.catalogue_export import catalogue_table, export_catalogue
from services.catalogue_import import Status, import_catalogue
from services.models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    ServiceItemVersion,
    StageDepartment,
)
from tests.factories import (
    DepartmentFactory,
    FormFieldFactory,
    ItemImplementationFactory,
    MaterialFactory,
    ReviewStageFactory,
    StaffFactory,
    StageDepartmentFactory,
    implementation_of,
    item_with_stages,
    second_city,
)

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "catalogue-example.json"
CATALOGUE_TABLES = (
    "accounts.region",
    "accounts.department",
    "services.theme",
    "services.serviceitem",
    "services.itemimplementation",
    "services.reviewstage",
    "services.stagedepartment",
    "services.material",
    "services.formfield",
)


@pytest.fixture(autouse=True)
def in_english():
    """Reports are asserted in English, the source language (the portal's default is Chinese)."""
    with translation.override("en"):
        yield


def example() -> dict:
    return json.loads(EXAMPLE.read_text())


def as_file(catalogue: dict) -> bytes:
    return json.dumps(catalogue, ensure_ascii=False).encode()


def every_row() -> dict[str, list[dict]]:
    """Every row of every catalogue table, every column: what must not move."""
    return {
        name: list(apps.get_model(name).objects.order_by("pk").values())
        for name in CATALOGUE_TABLES
    }


def statuses(report) -> dict[tuple[str, str], str]:
    return {(change.section, change.code): change.status for change in report.changes}


def errors_of(report) -> list[tuple[str, str, str]]:
    return [(error.section, error.code, error.field) for error in report.errors]


def a_catalogue_of_two_regions() -> ServiceItem:
    """An item with two stages, standard and local materials and fields, implemented in the
    test city and in a second city by its own department."""
    first, second = DepartmentFactory(code="market"), DepartmentFactory(code="fire")
    item = item_with_stages([[first, second], [first]], promised_limit_days=10, fee="12.50")
    implementation = implementation_of(item)
    MaterialFactory(item=item, implementation=implementation, code="local_permit", name="本地证明")
    FormFieldFactory(item=item, implementation=implementation, name="district", label="所在区")
    elsewhere = ItemImplementationFactory(item=item, region=second_city())
    wuhu_market = DepartmentFactory(code="wuhu-market", region=second_city())
    StageDepartmentFactory(
        stage=ReviewStageFactory(implementation=elsewhere, order=1), department=wuhu_market
    )
    return item


# --- the example file and the dry run ------------------------------------------------------------


def test_the_documented_example_imports_and_creates_every_entry():
    report = import_catalogue(EXAMPLE.read_bytes(), commit=True)

    assert report.ok, report.errors
    assert report.committed
    # The migrations made the province and its capital; the rest is new.
    assert {
        status for (section, _code), status in statuses(report).items() if section != "regions"
    } == {Status.CREATED}
    assert statuses(report)[("regions", "340104")] == Status.CREATED
    implementation = ItemImplementation.objects.get(
        item__code="food-licence", region__code="340100"
    )
    assert implementation.promised_limit_days == 10
    assert implementation.accepting_department.code == "hf-service-centre"
    assert [
        (stage.order, sorted(stage.departments.values_list("department__code", flat=True)))
        for stage in implementation.stages.order_by("order")
    ] == [(1, ["hf-fire", "hf-market"]), (2, ["hf-market"])]
    assert [m.code for m in implementation.materials_in_order()] == [
        "id_card",
        "site_plan",
        "fire_check",
    ]
    assert Region.objects.get(code="340104").parent.code == "340100"


def test_a_bulk_import_tells_the_planner_the_tables_new_sizes(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import connection

    # The example's few entries stand for a province's thousands.
    monkeypatch.setattr("services.catalogue_import.BULK_ENTRIES", 2)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_catalogue(EXAMPLE.read_bytes(), commit=True).committed

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s",
            [ItemImplementation._meta.db_table],
        )
        assert cursor.fetchone()[0] == ItemImplementation.objects.count()


def test_a_dry_run_shows_what_would_be_created_and_writes_nothing():
    before = every_row()

    report = import_catalogue(EXAMPLE.read_bytes(), commit=False)

    assert report.ok and not report.committed
    assert statuses(report)[("items", "food-licence")] == Status.CREATED
    assert statuses(report)[("implementations", "food-licence@340104")] == Status.CREATED
    assert every_row() == before


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    after_first = every_row()

    report = import_catalogue(EXAMPLE.read_bytes(), commit=True)

    assert set(statuses(report).values()) == {Status.UNCHANGED}
    assert every_row() == after_first


def test_a_changed_entry_is_shown_with_each_key_that_changed_old_and_new():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    catalogue = example()
    catalogue["items"][0]["statutory_limit_days"] = 15
    catalogue["implementations"][0]["stages"][0]["departments"][1]["time_limit_days"] = 4
    catalogue["implementations"][0]["materials"] = []

    report = import_catalogue(as_file(catalogue), commit=False)

    changes = {(c.section, c.code): c for c in report.changes}
    assert changes[("items", "food-licence")].differences == ("statutory_limit_days: 20 → 15",)
    assert changes[("implementations", "food-licence@340100")].differences == (
        "stages.1.departments.hf-fire.time_limit_days: 5 → 4",
        "materials.fire_check: removed",
    )
    assert changes[("implementations", "food-licence@340104")].status == Status.UNCHANGED
    assert changes[("departments", "hf-market")].status == Status.UNCHANGED


def test_a_committed_change_updates_rows_in_place_and_deletes_what_the_entry_left_out():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    implementation = ItemImplementation.objects.get(region__code="340100")
    stage_ids = set(ReviewStage.objects.filter(implementation=implementation).values_list("pk"))
    catalogue = example()
    catalogue["implementations"][0]["fee"] = "30"
    catalogue["implementations"][0]["materials"] = []
    catalogue["implementations"][0]["stages"][1]["departments"] = [
        {"department": "hf-fire", "time_limit_days": 2}
    ]

    report = import_catalogue(as_file(catalogue), commit=True)

    assert report.committed, report.errors
    implementation.refresh_from_db()
    assert implementation.fee == Decimal("30.00")
    assert not Material.objects.filter(implementation=implementation).exists()
    assert set(ReviewStage.objects.filter(implementation=implementation).values_list("pk")) == (
        stage_ids
    )
    assert list(
        StageDepartment.objects.filter(
            stage__implementation=implementation, stage__order=2
        ).values_list("department__code", "time_limit_days")
    ) == [("hf-fire", 2)]


# --- the round trip ------------------------------------------------------------------------------


def test_an_export_imported_back_changes_nothing():
    a_catalogue_of_two_regions()
    before = every_row()
    exported = export_catalogue()

    report = import_catalogue(as_file(exported), commit=True)

    assert report.ok, report.errors
    assert report.changes and set(statuses(report).values()) == {Status.UNCHANGED}
    assert every_row() == before


def test_an_export_of_one_region_holds_only_what_it_implements():
    a_catalogue_of_two_regions()

    exported = export_catalogue(second_city())

    assert [entry["region"] for entry in exported["implementations"]] == ["340200"]
    assert [entry["code"] for entry in exported["departments"]] == ["wuhu-market"]
    assert [entry["code"] for entry in exported["regions"]] == ["340000", "340200"]
    assert import_catalogue(as_file(exported)).ok


def test_the_flat_parts_export_to_csv():
    item = a_catalogue_of_two_regions()
    catalogue = export_catalogue()

    implementations = catalogue_table(catalogue, "implementations").export("csv").splitlines()
    items = catalogue_table(catalogue, "items").export("csv").splitlines()
    departments = catalogue_table(catalogue, "departments").export("csv").splitlines()

    assert implementations[0].startswith("item,region,promised_limit_days,fee_basis")
    assert f"{item.code},340100,10,,12.50," in implementations
    assert items[0].startswith("code,kind,name,")
    assert any(line.startswith(f"{item.code},permit,") for line in items[1:])
    assert any(line.startswith("wuhu-market,") for line in departments)


# --- after an import: frozen versions and cached pages -------------------------------------------


def test_an_import_that_changes_a_limit_freezes_a_new_version_and_one_that_does_not_keeps_it():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    implementation = ItemImplementation.objects.get(region__code="340100")
    first = freeze_definition(implementation)

    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    assert freeze_definition(implementation) == first

    catalogue = example()
    catalogue["implementations"][0]["promised_limit_days"] = 7
    import_catalogue(as_file(catalogue), commit=True)
    implementation.refresh_from_db()
    second = freeze_definition(implementation)
    assert second.number == first.number + 1
    assert second.definition["item"]["promised_limit_days"] == 7
    assert ServiceItemVersion.objects.get(pk=first.pk).definition == first.definition


def published_through_review(implementation: ItemImplementation) -> ItemImplementation:
    """Submitted by one administrator, approved and published by another."""
    author, reviewer = StaffFactory(is_staff=True), StaffFactory(is_staff=True)
    catalogue_publishing.submit_for_review(implementation.pk, author)
    catalogue_publishing.approve(implementation.pk, reviewer)
    return catalogue_publishing.publish(implementation.pk, reviewer)


def test_an_import_is_a_draft_that_applicants_see_only_once_reviewed_and_published(client):
    importer = StaffFactory(is_staff=True)
    import_catalogue(EXAMPLE.read_bytes(), commit=True, actor=importer)
    implementation = ItemImplementation.objects.get(
        item__code="food-licence", region__code="340100"
    )
    guide = "/services/food-licence/?region=340100"
    assert (implementation.review_state, implementation.is_published) == ("draft", False)
    assert client.get(guide).status_code == 404
    published_through_review(implementation)
    assert "Food business licence" in client.get(guide).content.decode()  # now cached

    catalogue = example()
    catalogue["items"][0]["name_en"] = "Licence to sell food"
    import_catalogue(as_file(catalogue), commit=True, actor=importer)

    implementation.refresh_from_db()
    assert implementation.review_state == "draft" and implementation.is_published
    assert implementation.last_edited_by == importer
    page = client.get(guide).content.decode()
    assert "Food business licence" in page and "Licence to sell food" not in page
    published_through_review(implementation)
    assert "Licence to sell food" in client.get(guide).content.decode()


# --- bad input: a clear error, and nothing written -----------------------------------------------


def refused(raw: bytes):
    before = every_row()
    report = import_catalogue(raw, commit=True)
    assert not report.ok and not report.committed
    assert every_row() == before
    return report


def test_a_file_that_is_not_json_is_refused_with_where_it_breaks():
    report = refused(b'{"format": "catalogue", "version": 1,,}')

    assert "not valid JSON (line 1, column 38" in str(report.errors[0])


def test_a_file_of_an_unknown_format_version_is_refused():
    catalogue = example() | {"version": 2}

    report = refused(as_file(catalogue))

    assert str(report.errors[0]) == (
        "The file is of format version 2, which this portal does not read (it reads version 1)."
    )


def test_a_file_that_is_not_a_catalogue_is_refused():
    assert "not a catalogue file" in str(refused(b"[1, 2]").errors[0])


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 1000

    report = refused(EXAMPLE.read_bytes())

    assert "a catalogue file may have at most 1,000 bytes" in str(report.errors[0])


def test_a_stage_naming_an_unknown_department_is_refused_with_the_item_and_the_key():
    catalogue = example()
    catalogue["implementations"][0]["stages"][0]["departments"][0]["department"] = "nobody"

    report = refused(as_file(catalogue))

    assert errors_of(report) == [
        (
            "implementations",
            "food-licence@340100",
            "stages.1.departments.nobody.department",
        )
    ]
    assert "There is no department nobody" in report.errors[0].message


def test_a_department_of_another_region_is_refused():
    catalogue = example()
    catalogue["implementations"][1]["stages"][0]["departments"][0]["department"] = "hf-market"
    catalogue["implementations"][1]["accepting_department"] = "hf-service-centre"

    report = refused(as_file(catalogue))

    assert errors_of(report) == [
        ("implementations", "food-licence@340104", "accepting_department"),
        ("implementations", "food-licence@340104", "stages.1.departments.hf-market.department"),
    ]
    assert "belongs to region 340100, not to the implementation's region 340104" in (
        report.errors[0].message
    )


def test_a_department_already_in_the_portal_is_checked_against_its_region():
    DepartmentFactory(code="wuhu-market", region=second_city())
    catalogue = example()
    catalogue["implementations"][0]["stages"][0]["departments"][0]["department"] = "wuhu-market"

    report = refused(as_file(catalogue))

    assert "belongs to region 340200" in report.errors[0].message


def test_a_promised_limit_above_the_statutory_one_is_refused():
    catalogue = example()
    catalogue["implementations"][0]["promised_limit_days"] = 21

    report = refused(as_file(catalogue))

    assert errors_of(report) == [("implementations", "food-licence@340100", "promised_limit_days")]
    assert str(report.errors[0]).endswith(
        "The promised limit (21 working days) is longer than the item's statutory limit (20)."
    )


def test_a_stage_department_limit_above_the_statutory_one_is_refused():
    catalogue = example()
    catalogue["items"][0]["statutory_limit_days"] = 8
    catalogue["implementations"][0]["promised_limit_days"] = 8

    # 340104's only department has 8 days: at the statutory limit, allowed.
    assert import_catalogue(as_file(catalogue)).ok
    catalogue["implementations"][1]["stages"][0]["departments"][0]["time_limit_days"] = 9

    report = refused(as_file(catalogue))

    assert errors_of(report) == [
        (
            "implementations",
            "food-licence@340104",
            "stages.1.departments.ss-market.time_limit_days",
        )
    ]
    assert "(9 working days) is longer than the item's statutory limit (8)" in str(report.errors[0])


def test_duplicate_codes_are_refused_at_every_level():
    catalogue = example()
    catalogue["items"].append(dict(catalogue["items"][0]))
    catalogue["departments"].append(dict(catalogue["departments"][1]))
    catalogue["implementations"][0]["materials"].append({"code": "id_card", "name": "又一个"})
    catalogue["implementations"][0]["stages"][1]["departments"].append({"department": "hf-market"})

    report = refused(as_file(catalogue))

    assert set(errors_of(report)) >= {
        ("items", "food-licence", "code"),
        ("departments", "hf-market", "code"),
        ("implementations", "food-licence@340100", "materials.id_card"),
        ("implementations", "food-licence@340100", "stages.2.departments.hf-market"),
    }


def test_every_error_of_the_file_is_reported_at_once_with_its_code_and_key():
    catalogue = example()
    catalogue["items"][0]["statutory_limit_days"] = "twenty"
    catalogue["items"][0]["colour"] = "red"
    del catalogue["items"][0]["legal_basis"]
    catalogue["implementations"][1]["fee"] = "-3"
    catalogue["departments"][0]["region"] = "999999"

    report = refused(as_file(catalogue))

    assert set(errors_of(report)) == {
        ("items", "food-licence", "statutory_limit_days"),
        ("items", "food-licence", "colour"),
        ("items", "food-licence", "legal_basis"),
        ("implementations", "food-licence@340104", "fee"),
        ("departments", "hf-service-centre", "region"),
    }
    messages = {error.field: error.message for error in report.errors}
    assert messages["statutory_limit_days"] == "This must be a whole number."
    assert messages["colour"] == "This key is unknown."
    assert messages["legal_basis"] == "This key is missing."


def test_errors_are_given_in_the_readers_language():
    catalogue = example()
    catalogue["implementations"][0]["promised_limit_days"] = 21

    with translation.override("zh-hans"):
        report = refused(as_file(catalogue))
        unknown_version = refused(as_file(example() | {"version": 9}))

    assert "承诺时限" in report.errors[0].message
    assert "9" in unknown_version.errors[0].message
    assert "版本" in unknown_version.errors[0].message


# --- the management commands ---------------------------------------------------------------------


def test_the_commands_export_and_import_a_catalogue(tmp_path, capsys):
    a_catalogue_of_two_regions()
    before = every_row()

    call_command("export_catalogue")
    exported = tmp_path / "catalogue.json"
    exported.write_text(capsys.readouterr().out)
    call_command("import_catalogue", str(exported), "--commit", "--language", "en")

    out = capsys.readouterr().out
    assert "0 created, 0 changed, " in out and " unchanged, 0 errors." in out
    assert every_row() == before


def test_the_import_command_is_a_dry_run_unless_committed(tmp_path, capsys):
    call_command("import_catalogue", str(EXAMPLE), "--language", "en")

    out = capsys.readouterr().out
    assert "created\titems\tfood-licence" in out
    assert "Dry run: nothing was written." in out
    assert not ServiceItem.objects.filter(code="food-licence").exists()


def test_the_import_command_prints_every_error_and_fails(tmp_path, capsys):
    catalogue = example()
    catalogue["implementations"][0]["promised_limit_days"] = 21
    bad = tmp_path / "bad.json"
    bad.write_bytes(as_file(catalogue))

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_catalogue", str(bad), "--commit", "--language", "en")

    assert "food-licence@340100 promised_limit_days: The promised limit" in capsys.readouterr().out
    assert not Department.objects.filter(code="hf-market").exists()


def test_the_export_command_writes_csv(capsys):
    a_catalogue_of_two_regions()

    call_command("export_catalogue", "--format", "csv", "--table", "departments")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "code,name,name_en,is_service_centre,region"
    assert any(line.startswith("wuhu-market,") and line.endswith(",340200") for line in lines)


def test_local_rows_keep_their_implementation_and_item():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)

    local = FormField.objects.filter(implementation__isnull=False)
    material = Material.objects.get(code="fire_check")

    assert not local.exists()
    assert material.item.code == "food-licence"
    assert material.implementation.region.code == "340100"


def test_a_stage_without_departments_and_a_field_key_in_capitals_are_refused():
    catalogue = example()
    catalogue["implementations"][1]["stages"][0]["departments"] = []
    catalogue["items"][0]["fields"][0]["name"] = "BusinessName"

    report = refused(as_file(catalogue))

    assert set(errors_of(report)) == {
        ("implementations", "food-licence@340104", "stages.1.departments"),
        ("items", "food-licence", "fields.BusinessName.name"),
    }
    assert "This list must not be empty." in [error.message for error in report.errors]


def test_the_export_command_writes_the_schema_the_import_checks(capsys):
    call_command("export_catalogue", "--schema")

    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["version"] == {"enum": [1]}
    assert "stages" in schema["properties"]["implementations"]["items"]["properties"]


def test_a_file_of_implementations_alone_is_checked_against_the_items_in_the_portal():
    import_catalogue(EXAMPLE.read_bytes(), commit=True)
    implementations_only = {
        "format": "catalogue",
        "version": 1,
        "implementations": [example()["implementations"][1] | {"promised_limit_days": 6}],
    }

    report = import_catalogue(as_file(implementations_only), commit=True)

    assert [(c.code, c.status) for c in report.changes] == [("food-licence@340104", Status.CHANGED)]
    assert ItemImplementation.objects.get(region__code="340104").promised_limit_days == 6
    implementations_only["implementations"][0]["promised_limit_days"] = 25
    assert "statutory limit (20)" in refused(as_file(implementations_only)).errors[0].message


def test_a_committed_import_is_audited_and_a_dry_run_is_not():
    from accounts.models import AuditEntry

    import_catalogue(EXAMPLE.read_bytes(), commit=False)
    assert not AuditEntry.objects.filter(action="catalogue.imported").exists()

    import_catalogue(EXAMPLE.read_bytes(), commit=True)

    entry = AuditEntry.objects.get(action="catalogue.imported")
    assert entry.detail["created"] > 0
