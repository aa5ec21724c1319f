"""The catalogue read in from a file of the exchange format (docs/catalogue.md).

An import is a dry run unless committed: it reads the whole file, checks every entry against
the schema and against the rules of the catalogue (known departments of the right region,
limits within the statutory ones, no code twice), and compares each entry with the database:
created, changed (and what changed) or unchanged. Only a file without a single error is
written, in one transaction, and only the entries that differ: importing the same file twice
changes nothing the second time.

What the file does not name stays as it is: an item, implementation or department left out is
neither changed nor deleted. Within an entry the file is complete: a material, form field,
stage or stage department the database has and the entry lacks is deleted.
"""

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import jsonschema_rs
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from jsonschema import Draft202012Validator

from accounts.audit import record
from accounts.models import Department, Region

from .catalogue_export import (
    implementation_entries,
    implementations_with_rows,
    item_entries,
    items_with_standard_rows,
)
from .catalogue_format import (
    DEPARTMENT_KEYS,
    FIELD_KEY,
    FIELD_KEYS,
    FORMAT_NAME,
    FORMAT_VERSION,
    IMPLEMENTATION_KEYS,
    ITEM_KEYS,
    MATERIAL_KEY,
    MATERIAL_KEYS,
    REGION_KEYS,
    STAGE_DEPARTMENT_KEY,
    STAGE_DEPARTMENT_KEYS,
    STAGE_KEY,
    STAGE_KEYS,
    SUPPORTED_VERSIONS,
    THEME_KEYS,
    catalogue_schema,
    complete_department,
    complete_implementation,
    complete_item,
    complete_region,
    complete_theme,
    department_entry,
    implementation_code,
    region_entry,
    theme_entry,
)
from .catalogue_publishing import keep_serving_the_published
from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ReviewState,
    ServiceItem,
    StageDepartment,
    Theme,
)
from .receivers import catalogue_changed

SECTIONS = ("regions", "themes", "departments", "items", "implementations")
# What names an entry of each section (implementations: item@region).
ENTRY_KEY = {"regions": "code", "themes": "slug", "departments": "code", "items": "code"}
CHILD_KEYS = {
    "materials": MATERIAL_KEY,
    "fields": FIELD_KEY,
    "stages": STAGE_KEY,
    "departments": STAGE_DEPARTMENT_KEY,
}
REGION_LEVEL_RANK = {"province": 0, "city": 1, "district": 2}


class Status:
    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def status_label(status: str) -> str:
    return {
        Status.CREATED: pgettext("catalogue file", "created"),
        Status.CHANGED: pgettext("catalogue file", "changed"),
        Status.UNCHANGED: pgettext("catalogue file", "unchanged"),
    }[status]


@dataclass(frozen=True)
class CatalogueError:
    """One error, in the reader's language: which entry (section and code), which key, what."""

    section: str  # "file" for the file as a whole
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.code, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class EntryChange:
    section: str
    code: str
    status: str
    differences: tuple[str, ...] = ()


@dataclass
class ImportReport:
    changes: list[EntryChange] = field(default_factory=list)
    errors: list[CatalogueError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        counted = Counter(change.status for change in self.changes)
        return {status: counted[status] for status in (Status.CREATED, Status.CHANGED)} | {
            Status.UNCHANGED: counted[Status.UNCHANGED]
        }

    def changed(self) -> list[EntryChange]:
        return [change for change in self.changes if change.status != Status.UNCHANGED]


def max_bytes() -> int:
    return settings.CATALOGUE_IMPORT_MAX_BYTES


def too_large_error(size: int) -> CatalogueError:
    return CatalogueError(
        "file",
        "",
        "",
        _("The file has %(size)s bytes; a catalogue file may have at most %(limit)s bytes.")
        % {"size": f"{size:,}", "limit": f"{max_bytes():,}"},
    )


# --- reading and the schema ---------------------------------------------------------------------

# Two validators of the same schema: jsonschema-rs (Rust) answers "valid or not" for a province's
# file in a fraction of a second; only an invalid file is read again by jsonschema, whose errors
# carry the path and the rule that the report turns into an entry's code, key and message.
SCHEMA_VALIDATOR = Draft202012Validator(catalogue_schema())
FAST_SCHEMA_VALIDATOR = jsonschema_rs.validator_for(catalogue_schema())


def read_catalogue(raw: bytes) -> tuple[dict | None, list[CatalogueError]]:
    """The file's JSON if it is a catalogue file of a version this portal reads, and the errors
    of its entries against the schema (the file is None when it cannot be read at all)."""
    if len(raw) > max_bytes():
        return None, [too_large_error(len(raw))]
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, [file_error(_("The file is not text in UTF-8."))]
    except json.JSONDecodeError as error:
        return None, [
            file_error(
                _("The file is not valid JSON (line %(line)d, column %(column)d: %(problem)s).")
                % {"line": error.lineno, "column": error.colno, "problem": error.msg}
            )
        ]
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        return None, [
            file_error(
                _('This is not a catalogue file: it has no "format": "%(format)s".')
                % {"format": FORMAT_NAME}
            )
        ]
    if data.get("version") not in SUPPORTED_VERSIONS or isinstance(data.get("version"), bool):
        return None, [
            file_error(
                _(
                    "The file is of format version %(version)s, which this portal does not read "
                    "(it reads version %(supported)s)."
                )
                % {
                    "version": json.dumps(data.get("version")),
                    "supported": ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS)),
                }
            )
        ]
    if FAST_SCHEMA_VALIDATOR.is_valid(data):
        return data, []
    errors = [
        error
        for schema_error in SCHEMA_VALIDATOR.iter_errors(data)
        for error in described(data, schema_error)
    ]
    return data, errors


def file_error(message: str) -> CatalogueError:
    return CatalogueError("file", "", "", message)


def entry_code(section: str, entry) -> str:
    if not isinstance(entry, dict):
        return ""
    if section == "implementations":
        return implementation_code(entry)
    code = entry.get(ENTRY_KEY.get(section, "code"))
    return code if isinstance(code, str) else ""


def described(data: dict, error) -> list[CatalogueError]:
    """A schema error as the reader needs it: the entry's code, the key's path, the rule."""
    path = list(error.absolute_path)
    if not path or path[0] not in SECTIONS:
        section, code, field_path = "file", "", ".".join(str(step) for step in path)
    else:
        section = path[0]
        entry = data[section][path[1]] if len(path) > 1 else None
        code = entry_code(section, entry) or (f"#{path[1] + 1}" if len(path) > 1 else "")
        field_path = child_path(entry, path[2:])
    validator, limit, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = [key for key in limit if isinstance(instance, dict) and key not in instance]
        return [
            CatalogueError(section, code, joined(field_path, key), _("This key is missing."))
            for key in missing
        ]
    if validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [
            CatalogueError(section, code, joined(field_path, key), _("This key is unknown."))
            for key in instance
            if key not in known
        ]
    return [CatalogueError(section, code, field_path, rule_message(validator, limit, instance))]


def child_path(entry, steps: list) -> str:
    """`stages.1.departments.dept-x.time_limit_days`: a child row named by its key."""
    names, here, listed_in = [], entry, None
    for step in steps:
        here = here[step] if isinstance(here, dict | list) else None
        if isinstance(step, int):
            key = here.get(CHILD_KEYS.get(listed_in, "")) if isinstance(here, dict) else None
            names.append(str(key) if isinstance(key, str | int) else f"#{step + 1}")
        else:
            names.append(str(step))
            listed_in = step
    return ".".join(names)


def joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


TYPE_NAMES = {
    "string": lambda: pgettext("catalogue file", "text"),
    "integer": lambda: pgettext("catalogue file", "a whole number"),
    "boolean": lambda: pgettext("catalogue file", "true or false"),
    "array": lambda: pgettext("catalogue file", "a list"),
    "object": lambda: pgettext("catalogue file", "an object"),
    "null": lambda: pgettext("catalogue file", "null"),
}


def rule_message(validator: str, limit, instance) -> str:
    if validator == "type":
        kinds = [limit] if isinstance(limit, str) else limit
        return _("This must be %(kind)s.") % {
            "kind": pgettext("catalogue file", " or ").join(TYPE_NAMES[kind]() for kind in kinds)
        }
    if validator == "maxLength":
        return _("This is longer than %(limit)d characters.") % {"limit": limit}
    if validator == "minLength":
        return _("This must not be empty.")
    if validator == "minimum":
        return _("This must be at least %(limit)s.") % {"limit": limit}
    if validator == "maximum":
        return _("This must be at most %(limit)s.") % {"limit": limit}
    if validator == "minItems":
        return _("This list must not be empty.")
    if validator == "enum":
        return _("%(value)s is not one of: %(choices)s.") % {
            "value": json.dumps(instance, ensure_ascii=False),
            "choices": ", ".join(json.dumps(choice, ensure_ascii=False) for choice in limit),
        }
    if validator == "pattern":
        return _("%(value)s is not in the expected form (%(pattern)s).") % {
            "value": json.dumps(instance, ensure_ascii=False),
            "pattern": limit,
        }
    return _("This value is not allowed here.")


# --- the plan: the file compared with the database ----------------------------------------------


def keyed(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def canonical(section: str, entry: dict) -> dict:
    """The entry with its child rows named by their keys, as a diff compares them."""
    if section == "items":
        return entry | {
            "materials": keyed(entry["materials"], MATERIAL_KEY),
            "fields": keyed(entry["fields"], FIELD_KEY),
        }
    if section == "implementations":
        return entry | {
            "stages": {
                stage[STAGE_KEY]: stage
                | {"departments": keyed(stage["departments"], STAGE_DEPARTMENT_KEY)}
                for stage in entry["stages"]
            },
            "materials": keyed(entry["materials"], MATERIAL_KEY),
            "fields": keyed(entry["fields"], FIELD_KEY),
        }
    return entry


def shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def differences(old: dict, new: dict, path: str = "") -> list[str]:
    """Each key that differs, as `path: old → new`, `path: added` or `path: removed`."""
    found = []
    for key in list(old) + [key for key in new if key not in old]:
        here = joined(path, str(key))
        if key not in new:
            found.append(f"{here}: " + pgettext("catalogue file", "removed"))
        elif key not in old:
            found.append(f"{here}: " + pgettext("catalogue file", "added"))
        elif isinstance(old[key], dict) and isinstance(new[key], dict):
            found += differences(old[key], new[key], here)
        elif old[key] != new[key]:
            found.append(f"{here}: {shown(old[key])} → {shown(new[key])}")
    return found


COMPLETE = {
    "regions": complete_region,
    "themes": complete_theme,
    "departments": complete_department,
    "items": complete_item,
    "implementations": complete_implementation,
}


class CataloguePlan:
    """The file's entries beside the database's rows of the same codes."""

    def __init__(self, data: dict, skipped: set[tuple[str, int]], *, actor=None):
        self.actor = actor  # who imports: the last editor of every implementation it changes
        self.entries: dict[str, list[dict]] = {
            section: [
                COMPLETE[section](entry)
                for index, entry in enumerate(section_of(data, section))
                if (section, index) not in skipped
            ]
            for section in SECTIONS
        }
        # Every code the file names, its faulty entries too: a reference to an entry that has
        # its own error is not reported a second time as unknown.
        self.named = {
            section: {entry_code(section, entry) for entry in section_of(data, section)}
            for section in SECTIONS
        }
        # What the file says of items and departments, read by the checks of implementations.
        self.file_items = {entry["code"]: entry for entry in self.entries["items"]}
        self.file_department_regions = {
            entry["code"]: entry["region"] for entry in self.entries["departments"]
        }
        self.errors: list[CatalogueError] = []
        self.load_database()

    def load_database(self) -> None:
        self.db_regions = {region.code: region for region in Region.objects.all()}
        region_codes = {region.pk: region.code for region in self.db_regions.values()}
        self.db_themes = {theme.slug: theme for theme in Theme.objects.all()}
        self.db_departments = {d.code: d for d in Department.objects.all()}
        self.department_codes = {d.pk: d.code for d in self.db_departments.values()}
        item_codes = {e["code"] for e in self.entries["items"]} | {
            e["item"] for e in self.entries["implementations"]
        }
        items = list(items_with_standard_rows(ServiceItem.objects.filter(code__in=item_codes)))
        self.db_items = {item.code: item for item in items}
        pairs = {(e["item"], e["region"]) for e in self.entries["implementations"]}
        implementations = implementations_with_rows(
            ItemImplementation.objects.filter(
                item__code__in={item for item, _region in pairs},
                region__code__in={region for _item, region in pairs},
            )
        )
        self.db_implementations = {
            (i.item.code, i.region.code): i
            for i in implementations
            if (i.item.code, i.region.code) in pairs
        }
        self.db_entries = {
            "regions": {
                code: region_entry(region, parent_code=region_codes.get(region.parent_id))
                for code, region in self.db_regions.items()
            },
            "themes": {slug: theme_entry(theme) for slug, theme in self.db_themes.items()},
            "departments": {
                code: department_entry(d, region_code=region_codes[d.region_id])
                for code, d in self.db_departments.items()
            },
            "items": {entry["code"]: entry for entry in item_entries(items)},
            "implementations": {
                implementation_code(entry): entry
                for entry in implementation_entries(
                    self.db_implementations.values(), self.department_codes
                )
            },
        }

    # --- the rules -------------------------------------------------------------------------------

    def error(self, section: str, code: str, field_path: str, message: str) -> None:
        self.errors.append(CatalogueError(section, code, field_path, message))

    def check(self) -> list[CatalogueError]:
        for section in SECTIONS:
            self.check_unique(
                section,
                [entry_code(section, entry) for entry in self.entries[section]],
                code="",
                field_path=ENTRY_KEY.get(section, "item@region"),
            )
        self.check_regions()
        self.check_departments()
        for entry in self.entries["items"]:
            self.check_item(entry)
        for entry in self.entries["implementations"]:
            self.check_implementation(entry)
        return self.errors

    def check_unique(self, section: str, keys: Iterable, *, code: str, field_path: str) -> None:
        for key, count in Counter(keys).items():
            if count > 1:
                self.error(
                    section,
                    code or str(key),
                    joined(field_path, str(key)) if code else field_path,
                    _("%(key)s appears %(count)d times; a code may appear only once.")
                    % {"key": key, "count": count},
                )

    def knows(self, section: str, code: str | None) -> bool:
        database = {
            "regions": self.db_regions,
            "themes": self.db_themes,
            "departments": self.db_departments,
            "items": self.db_items,
        }[section]
        return code in self.named[section] or code in database

    def check_regions(self) -> None:
        for entry in self.entries["regions"]:
            code, parent = entry["code"], entry["parent"]
            if entry["level"] == Region.Level.PROVINCE and parent is not None:
                self.error("regions", code, "parent", _("A province is part of no region."))
            elif entry["level"] != Region.Level.PROVINCE and parent is None:
                self.error("regions", code, "parent", _("A city or district is part of a region."))
            elif parent is not None and not self.knows("regions", parent):
                self.unknown(
                    "regions", code, "parent", parent, pgettext("catalogue file", "region")
                )

    def unknown(self, section: str, code: str, field_path: str, value: str, kind: str) -> None:
        self.error(
            section,
            code,
            field_path,
            _("There is no %(kind)s %(code)s, neither in the file nor in the portal.")
            % {"kind": kind, "code": value},
        )

    def check_departments(self) -> None:
        for entry in self.entries["departments"]:
            if not self.knows("regions", entry["region"]):
                self.unknown(
                    "departments",
                    entry["code"],
                    "region",
                    entry["region"],
                    pgettext("catalogue file", "region"),
                )

    def department_region(self, code: str) -> str | None:
        """The code of the department's region once the file is imported."""
        if code in self.file_department_regions:
            return self.file_department_regions[code]
        entry = self.db_entries["departments"].get(code)
        return entry["region"] if entry else None

    def statutory_limit(self, item_code: str) -> int | None:
        """The item's statutory limit once the file is imported."""
        if item_code in self.file_items:
            return self.file_items[item_code]["statutory_limit_days"]
        item = self.db_items.get(item_code)
        return item.statutory_limit_days if item else None

    def check_rows(self, section: str, code: str, entry: dict, inherited: dict) -> None:
        """Materials and form fields: no code twice, a local one not named like a standard one,
        and patterns that are regular expressions."""
        for rows, key in (("materials", MATERIAL_KEY), ("fields", FIELD_KEY)):
            names = [row[key] for row in entry[rows]] + list(inherited.get(rows, ()))
            self.check_unique(section, names, code=code, field_path=rows)
        for row in entry["fields"]:
            try:
                re.compile(row["pattern"])
            except re.error as problem:
                self.error(
                    section,
                    code,
                    f"fields.{row['name']}.pattern",
                    _("This is not a valid regular expression: %(error)s") % {"error": problem},
                )

    def check_item(self, entry: dict) -> None:
        if not self.knows("themes", entry["theme"]):
            self.unknown(
                "items", entry["code"], "theme", entry["theme"], pgettext("catalogue file", "theme")
            )
        self.check_rows("items", entry["code"], entry, {})

    def check_implementation(self, entry: dict) -> None:
        code = implementation_code(entry)
        item_known = self.knows("items", entry["item"])
        if not item_known:
            self.unknown(
                "implementations",
                code,
                "item",
                entry["item"],
                pgettext("catalogue file", "standard item"),
            )
        if not self.knows("regions", entry["region"]):
            self.unknown(
                "implementations",
                code,
                "region",
                entry["region"],
                pgettext("catalogue file", "region"),
            )
        statutory = self.statutory_limit(entry["item"])
        promised = entry["promised_limit_days"]
        if statutory is not None and promised is not None and promised > statutory:
            self.error(
                "implementations",
                code,
                "promised_limit_days",
                _(
                    "The promised limit (%(promised)d working days) is longer than the item's "
                    "statutory limit (%(statutory)d)."
                )
                % {"promised": promised, "statutory": statutory},
            )
        if entry["accepting_department"] is not None:
            self.check_department_of_region(
                code, "accepting_department", entry["accepting_department"], entry["region"]
            )
        self.check_unique(
            "implementations",
            [stage[STAGE_KEY] for stage in entry["stages"]],
            code=code,
            field_path="stages",
        )
        for stage in entry["stages"]:
            here = f"stages.{stage[STAGE_KEY]}"
            self.check_unique(
                "implementations",
                [step["department"] for step in stage["departments"]],
                code=code,
                field_path=f"{here}.departments",
            )
            for step in stage["departments"]:
                step_path = f"{here}.departments.{step['department']}"
                self.check_department_of_region(
                    code, f"{step_path}.department", step["department"], entry["region"]
                )
                if statutory is not None and step["time_limit_days"] > statutory:
                    self.error(
                        "implementations",
                        code,
                        f"{step_path}.time_limit_days",
                        _(
                            "The department's time limit (%(limit)d working days) is longer "
                            "than the item's statutory limit (%(statutory)d)."
                        )
                        % {"limit": step["time_limit_days"], "statutory": statutory},
                    )
        standard = self.standard_rows(entry["item"]) if item_known else {}
        self.check_rows("implementations", code, entry, standard)

    def standard_rows(self, item_code: str) -> dict[str, list[str]]:
        item = self.file_items.get(item_code) or self.db_entries["items"].get(item_code)
        if item is None:
            return {}
        return {
            "materials": [row[MATERIAL_KEY] for row in item["materials"]],
            "fields": [row[FIELD_KEY] for row in item["fields"]],
        }

    def check_department_of_region(
        self, code: str, field_path: str, department: str, region: str
    ) -> None:
        if not self.knows("departments", department):
            self.unknown(
                "implementations",
                code,
                field_path,
                department,
                pgettext("catalogue file", "department"),
            )
            return
        actual = self.department_region(department)
        # A department whose own region is unknown has its error already, on its own entry.
        if actual is not None and actual != region and self.knows("regions", actual):
            self.error(
                "implementations",
                code,
                field_path,
                _(
                    "The department %(department)s belongs to region %(actual)s, not to the "
                    "implementation's region %(region)s."
                )
                % {"department": department, "actual": actual, "region": region},
            )

    # --- the diff --------------------------------------------------------------------------------

    def changes(self) -> list[EntryChange]:
        found = []
        for section in SECTIONS:
            for entry in self.entries[section]:
                code = entry_code(section, entry)
                before = self.db_entries[section].get(code)
                if before is None:
                    found.append(EntryChange(section, code, Status.CREATED))
                    continue
                changed = differences(canonical(section, before), canonical(section, entry))
                status = Status.CHANGED if changed else Status.UNCHANGED
                found.append(EntryChange(section, code, status, tuple(changed)))
        return found

    # --- writing ---------------------------------------------------------------------------------

    def write(self, changes: list[EntryChange]) -> None:
        to_write = {(c.section, c.code) for c in changes if c.status != Status.UNCHANGED}

        def written(section: str) -> list[dict]:
            return [
                entry
                for entry in self.entries[section]
                if (section, entry_code(section, entry)) in to_write
            ]

        region_ids = self.write_regions(written("regions"))
        theme_ids = {slug: theme.pk for slug, theme in self.db_themes.items()}
        for entry in written("themes"):
            theme, _created = Theme.objects.update_or_create(
                slug=entry["slug"], defaults=values_of(entry, THEME_KEYS)
            )
            theme_ids[theme.slug] = theme.pk
        department_ids = {code: d.pk for code, d in self.db_departments.items()}
        for entry in written("departments"):
            department, _created = Department.objects.update_or_create(
                code=entry["code"],
                defaults=values_of(entry, DEPARTMENT_KEYS)
                | {"region_id": region_ids[entry["region"]]},
            )
            department_ids[department.code] = department.pk
        implementations = written("implementations")
        edited = self.implementations_edited(written("items"), implementations)
        for implementation in edited:
            # Applicants keep what they were shown while the imported change awaits review.
            keep_serving_the_published(implementation)
        item_ids = self.write_items(written("items"), theme_ids)
        self.write_implementations(implementations, item_ids, region_ids, department_ids)
        ItemImplementation.objects.filter(pk__in=[i.pk for i in edited]).update(
            review_state=ReviewState.DRAFT,
            last_edited_by=self.actor,
            last_edited_at=timezone.now(),
            submitted_by=None,
            submitted_at=None,
            approved_by=None,
            approved_at=None,
        )
        # The item is saved as an admin edit saves it: its guide's search entry and the cached
        # catalogue pages follow (services/receivers.py, disclosure/receivers.py).
        touched = {entry["code"] for entry in written("items")} | {
            entry["item"] for entry in implementations
        }
        for item in ServiceItem.objects.filter(code__in=touched):
            item.save(update_fields=["updated_at"])
        catalogue_changed()

    def implementations_edited(
        self, items: list[dict], implementations: list[dict]
    ) -> list[ItemImplementation]:
        """The existing implementations the import changes: its own, and every implementation of
        a standard item it changes. Each becomes a draft, as after an edit in the admin."""
        item_codes = {entry["code"] for entry in items}
        keys = {(entry["item"], entry["region"]) for entry in implementations}
        return [
            implementation
            for (item_code, region_code), implementation in self.db_implementations.items()
            if item_code in item_codes or (item_code, region_code) in keys
        ]

    def write_regions(self, entries: list[dict]) -> dict[str, int]:
        region_ids = {code: region.pk for code, region in self.db_regions.items()}
        # Parents before their children.
        for entry in sorted(entries, key=lambda e: REGION_LEVEL_RANK[e["level"]]):
            region, _created = Region.objects.update_or_create(
                code=entry["code"],
                defaults=values_of(entry, REGION_KEYS)
                | {"parent_id": region_ids.get(entry["parent"]) if entry["parent"] else None},
            )
            region_ids[region.code] = region.pk
        return region_ids

    def write_items(self, entries: list[dict], theme_ids: dict[str, int]) -> dict[str, int]:
        rows = RowChanges()
        now = timezone.now()
        created, updated = [], []
        for entry in entries:
            values = values_of(entry, ITEM_KEYS) | {"theme_id": theme_ids[entry["theme"]]}
            item = self.db_items.get(entry["code"])
            if item is None:
                created.append((ServiceItem(**values), entry))
            else:
                for name, value in values.items():
                    setattr(item, name, value)
                item.updated_at = now
                updated.append((item, entry))
        ServiceItem.objects.bulk_create([item for item, _entry in created])
        ServiceItem.objects.bulk_update(
            [item for item, _entry in updated], [*ITEM_KEYS[1:], "theme", "updated_at"]
        )
        for item, entry in created + updated:
            existing = getattr(item, "standard_materials", [])
            rows.sync(
                Material, existing, entry["materials"], MATERIAL_KEY, MATERIAL_KEYS, item_id=item.pk
            )
            existing = getattr(item, "standard_fields", [])
            rows.sync(FormField, existing, entry["fields"], FIELD_KEY, FIELD_KEYS, item_id=item.pk)
        rows.flush(Material, MATERIAL_KEYS)
        rows.flush(FormField, FIELD_KEYS)
        item_ids = {code: item.pk for code, item in self.db_items.items()}
        item_ids |= {item.code: item.pk for item, _entry in created}
        missing = {e["item"] for e in self.entries["implementations"]} - set(item_ids)
        item_ids |= dict(ServiceItem.objects.filter(code__in=missing).values_list("code", "pk"))
        return item_ids

    def write_implementations(
        self,
        entries: list[dict],
        item_ids: dict[str, int],
        region_ids: dict[str, int],
        department_ids: dict[str, int],
    ) -> None:
        now = timezone.now()
        created, updated = [], []
        for entry in entries:
            values = values_of(entry, IMPLEMENTATION_KEYS) | {
                "item_id": item_ids[entry["item"]],
                "region_id": region_ids[entry["region"]],
                "fee": None if entry["fee"] is None else Decimal(entry["fee"]),
                "accepting_department_id": department_ids.get(entry["accepting_department"]),
            }
            implementation = self.db_implementations.get((entry["item"], entry["region"]))
            if implementation is None:
                created.append((ItemImplementation(**values), entry))
            else:
                for name, value in values.items():
                    setattr(implementation, name, value)
                implementation.updated_at = now
                updated.append((implementation, entry))
        ItemImplementation.objects.bulk_create([row for row, _entry in created])
        ItemImplementation.objects.bulk_update(
            [row for row, _entry in updated],
            [*IMPLEMENTATION_KEYS, "fee", "accepting_department", "updated_at"],
        )
        stages, rows = RowChanges(), RowChanges()
        stage_steps = []  # (a stage in the file, its implementation, its departments now)
        for implementation, entry, is_new in [(*pair, True) for pair in created] + [
            (*pair, False) for pair in updated
        ]:
            existing = {}
            if not is_new:
                existing = {stage.order: stage for stage in implementation.stage_rows}
            for stage_entry in entry["stages"]:
                stage = existing.get(stage_entry[STAGE_KEY])
                steps = stage.step_rows if stage is not None else []
                stage_steps.append((stage_entry, implementation.pk, steps))
            stages.sync(
                ReviewStage,
                existing.values(),
                entry["stages"],
                STAGE_KEY,
                STAGE_KEYS,
                implementation_id=implementation.pk,
            )
            local = {"item_id": implementation.item_id, "implementation_id": implementation.pk}
            materials = [] if is_new else implementation.local_material_rows
            rows.sync(Material, materials, entry["materials"], MATERIAL_KEY, MATERIAL_KEYS, **local)
            fields = [] if is_new else implementation.local_field_rows
            rows.sync(FormField, fields, entry["fields"], FIELD_KEY, FIELD_KEYS, **local)
        stages.flush(ReviewStage, STAGE_KEYS)
        stage_ids = dict(
            (((stage.implementation_id, stage.order), stage.pk))
            for stage in stages.kept_and_created(ReviewStage)
        )
        steps = RowChanges()
        for stage_entry, implementation_id, existing_steps in stage_steps:
            steps.sync(
                StageDepartment,
                existing_steps,
                [
                    step | {"department_id": department_ids[step["department"]]}
                    for step in stage_entry["departments"]
                ],
                "department_id",
                (*STAGE_DEPARTMENT_KEYS, "department_id"),
                stage_id=stage_ids[(implementation_id, stage_entry[STAGE_KEY])],
            )
        steps.flush(StageDepartment, STAGE_DEPARTMENT_KEYS)
        rows.flush(Material, MATERIAL_KEYS)
        rows.flush(FormField, FIELD_KEYS)


def values_of(entry: dict, keys: tuple[str, ...]) -> dict:
    return {key: entry[key] for key in keys}


class RowChanges:
    """The child rows to create, update and delete so that a parent's rows are the file's,
    written in three statements per model whatever the number of parents."""

    def __init__(self):
        self.create: dict[type, list] = defaultdict(list)
        self.update: dict[type, list] = defaultdict(list)
        self.delete: dict[type, list[int]] = defaultdict(list)
        self.kept: dict[type, list] = defaultdict(list)

    def sync(
        self,
        model: type[models.Model],
        existing: Iterable[models.Model],
        entries: list[dict],
        key: str,
        keys: tuple[str, ...],
        **parent_ids,
    ) -> None:
        wanted = {entry[key]: entry for entry in entries}
        rows = {getattr(row, key): row for row in existing}
        for name, row in rows.items():
            if name not in wanted:
                self.delete[model].append(row.pk)
        for name, entry in wanted.items():
            values = values_of(entry, keys)
            row = rows.get(name)
            if row is None:
                self.create[model].append(model(**values, **parent_ids))
                continue
            self.kept[model].append(row)
            if any(getattr(row, attribute) != value for attribute, value in values.items()):
                for attribute, value in values.items():
                    setattr(row, attribute, value)
                self.update[model].append(row)

    def flush(self, model: type[models.Model], keys: tuple[str, ...]) -> None:
        # Deleted first: a row renamed in the file is deleted and created under its new code.
        if self.delete[model]:
            model.objects.filter(pk__in=self.delete[model]).delete()
        if self.update[model]:
            model.objects.bulk_update(self.update[model], list(keys), batch_size=1000)
        if self.create[model]:
            model.objects.bulk_create(self.create[model], batch_size=1000)

    def kept_and_created(self, model: type[models.Model]) -> list[models.Model]:
        return self.kept[model] + self.create[model]


# --- the whole import ---------------------------------------------------------------------------

# PostgreSQL's advice after loading much data ("Populating a Database": run ANALYZE afterwards):
# until autovacuum gets to them, the planner takes the tables for as small as they were. Right
# after a province's import, the admin's list of implementations, searched, took 80 ms in one
# query that takes 8 once the tables are analysed (bench/catalogue.py).
BULK_ENTRIES = 1_000
ANALYSED_AFTER_A_BULK_IMPORT = (
    Region,
    Department,
    ServiceItem,
    ItemImplementation,
    Material,
    FormField,
    ReviewStage,
    StageDepartment,
)


def refresh_planner_statistics() -> None:
    """ANALYZE the catalogue's tables, so that the planner knows their new sizes."""
    with connection.cursor() as cursor:
        for model in ANALYSED_AFTER_A_BULK_IMPORT:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def import_catalogue(raw: bytes, *, commit: bool = False, actor=None) -> ImportReport:
    """Check the file and compare it with the database; with `commit`, and only if there is no
    error at all, write what differs in one transaction. The report lists every entry with its
    status and every error."""
    data, errors = read_catalogue(raw)
    if data is None:
        return ImportReport(errors=errors)
    skipped = entry_positions(data, errors)
    with transaction.atomic():
        plan = CataloguePlan(data, skipped, actor=actor)
        errors += plan.check()
        changes = plan.changes()
        report = ImportReport(changes=changes, errors=errors)
        if errors or not commit:
            return report
        try:
            with transaction.atomic():
                plan.write(changes)
        except DatabaseError as problem:
            report.errors.append(
                file_error(_("The database refused the import: %(error)s") % {"error": problem})
            )
            return report
        counts = report.counts()
        record(
            "catalogue.imported",
            actor=actor,
            detail={"version": FORMAT_VERSION, **counts},
        )
        report.committed = True
        if counts[Status.CREATED] + counts[Status.CHANGED] >= BULK_ENTRIES:
            transaction.on_commit(refresh_planner_statistics)
        return report


def entry_positions(data: dict, errors: list[CatalogueError]) -> set[tuple[str, int]]:
    """The (section, index) of each entry that has a schema error: left out of the later checks,
    which assume well-formed entries."""
    faulty = {(error.section, error.code) for error in errors}
    positions = set()
    for section in SECTIONS:
        for index, entry in enumerate(section_of(data, section)):
            code = entry_code(section, entry) or f"#{index + 1}"
            if (section, code) in faulty or not isinstance(entry, dict):
                positions.add((section, index))
    return positions


def section_of(data: dict, section: str) -> list:
    entries = data.get(section, [])
    return entries if isinstance(entries, list) else []
