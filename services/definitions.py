"""The item definition a case follows, as typed objects: read from the frozen JSON, written back to it.

Submission freezes everything about an item that a case depends on (its limits, form, materials,
acceptance and review stages) into a `ServiceItemVersion`, as JSON, so that a later catalogue
edit never changes a case in flight. Everything that reads a case's definition reads these
objects (`Application.definition`), never the JSON by key.

`to_json()` writes back exactly the JSON that was read. Versions frozen before a key existed
lack it: the attribute then holds the default that such cases have always been read with, and
the key stays out of `to_json()`. Keys this code does not know are kept and written back too.

To add something to the definition (a region's implementation, a rule on who may be the
licensed party…): add a field to the class it belongs to, with a default that says how cases
frozen before it behave; build it in `services.catalogue.item_definition`; add the new shape
to `tests/test_definitions.py`. A nested object is a `Definition` subclass declared with
`nested()`; a JSON key spelled differently from the attribute is declared with `stored_as()`.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from accounts.models import BilingualNameMixin

# Stage 0 of every case is acceptance (受理) by the accepting department; review stages count
# from 1. Its name is the same for every item, so it is not stored with each definition.
ACCEPTANCE_ORDER = 0
ACCEPTANCE_NAME = "受理"
ACCEPTANCE_NAME_EN = "Acceptance"
# A letter's acceptance step is its triage (分办) by the service centre.
TRIAGE_NAME = "分办"
TRIAGE_NAME_EN = "Triage"
PERMIT = "permit"
LETTER = "letter"


def stored_as(key: str, **field_options) -> Any:
    """A field whose JSON key is `key` rather than the attribute's name."""
    return dataclasses.field(metadata={"key": key}, **field_options)


def nested(of: type[Definition], *, key: str | None = None, **field_options) -> Any:
    """A field holding one `of` (or None), or a tuple of them when the JSON holds a list."""
    metadata = {"nested": of}
    if key is not None:
        metadata["key"] = key
    return dataclasses.field(metadata=metadata, **field_options)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Definition:
    """What every part of the definition shares: loading from JSON and writing it back."""

    # Keys the stored JSON did not have (frozen before they existed): left out of to_json().
    absent_keys: frozenset[str] = dataclasses.field(default=frozenset(), repr=False)
    # Keys this code does not know, kept to be written back as they were.
    other_keys: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, hash=False)

    _BOOKKEEPING: ClassVar[frozenset[str]] = frozenset({"absent_keys", "other_keys"})

    @classmethod
    def _stored_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if f.name not in cls._BOOKKEEPING]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        values = {}
        absent = set()
        known = set()
        for field in cls._stored_fields():
            key = field.metadata.get("key", field.name)
            known.add(key)
            if key not in data:
                if (
                    field.default is dataclasses.MISSING
                    and field.default_factory is dataclasses.MISSING
                ):
                    raise KeyError(f"{cls.__name__}: the stored definition has no {key!r}")
                absent.add(key)
                continue
            values[field.name] = _load(data[key], field.metadata.get("nested"))
        other = {key: copy.deepcopy(value) for key, value in data.items() if key not in known}
        return cls(**values, absent_keys=frozenset(absent), other_keys=other)

    def to_json(self) -> dict[str, Any]:
        """The JSON this object was read from (or, for a new one, the JSON to freeze)."""
        data = {}
        for field in self._stored_fields():
            key = field.metadata.get("key", field.name)
            if key not in self.absent_keys:
                data[key] = _dump(getattr(self, field.name))
        data.update(copy.deepcopy(dict(self.other_keys)))
        return data


def _load(value: Any, nested_class: type[Definition] | None) -> Any:
    if isinstance(value, list):
        return tuple(_load(v, nested_class) for v in value)
    if nested_class is not None and value is not None:
        return nested_class.from_json(value)
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Definition):
        return value.to_json()
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class StepDefinition(BilingualNameMixin, Definition):
    """One department's step in a stage: who reviews, within how long, and what silence means.

    `code`, `name` and `name_en` are the department's, as they were when the case was frozen.
    """

    department_id: int = stored_as("id")
    code: str
    name: str
    name_en: str = ""
    time_limit_days: int
    # Before deadlines had policies every step was the catalogue's default ones.
    timeout_policy: str = "deemed_approval"
    reminder_days: int = 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class StageDefinition(BilingualNameMixin, Definition):
    """A stage of the case: its departments' steps run in parallel, stages run in order."""

    order: int
    name: str
    name_en: str = ""
    steps: tuple[StepDefinition, ...] = nested(StepDefinition, key="departments", default=())
    # Letters: the departments are those the triage assigned (services.letters.assigned_steps),
    # each with this limit; frozen only on a letter's stages, like every key added later.
    assigned_at_triage: bool = False
    assigned_time_limit_days: int | None = None
    # Opens only when asked for (a letter's second answer), never as the next stage.
    on_request: bool = False

    @property
    def is_acceptance(self) -> bool:
        return self.order == ACCEPTANCE_ORDER

    @property
    def department_ids(self) -> list[int]:
        return [step.department_id for step in self.steps]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FieldDefinition(Definition):
    """A question on the application form."""

    name: str
    label: str
    # The English wording (empty: none written, or frozen before there was one); pages in
    # English fall back to the Chinese, marked as Chinese (common.bilingual).
    label_en: str = ""
    help_text: str = ""
    help_text_en: str = ""
    kind: str
    is_required: bool
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    pattern_message: str = ""
    choices: tuple[str, ...] = ()
    # What English readers see for each choice, in the same order; the answer is the choice.
    choices_en: tuple[str, ...] = ()
    # Once-only: the account's data that fills the answer in (services.models.Prefill).
    prefill_from: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class MaterialDefinition(Definition):
    """A document the applicant attaches."""

    code: str
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    is_required: bool
    # Once-only: a file of the same document type given earlier may be reused (services.once_only).
    kind: str = ""
    validity_days: int | None = None
    # Or a valid e-certificate of this item instead of a copy (instruments.reuse; 免提交).
    certificate_of: str = ""


# The catalogue's default, for cases frozen before items had a certificate validity.
DEFAULT_CERTIFICATE_VALIDITY_YEARS = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class ItemTerms(BilingualNameMixin, Definition):
    """The item's name, time limits and certificate, as the case was filed under them."""

    code: str
    # "permit" or "letter" (services.models.ItemKind); frozen only for letters.
    kind: str = PERMIT
    name: str
    name_en: str = ""
    statutory_limit_days: int
    promised_limit_days: int | None = None
    max_extension_days: int
    # Administrative License Law Art. 32 and 42; the catalogue's defaults for older cases.
    acceptance_limit_days: int = 5
    joint_limit_days: int = 45
    rejection_ends_case: bool
    # Empty (or frozen before it existed): the item's name is the certificate's scope.
    certificate_scope: str = ""
    certificate_validity_years: int | None = DEFAULT_CERTIFICATE_VALIDITY_YEARS

    @property
    def certificate_scope_or_name(self) -> str:
        return self.certificate_scope or self.name

    @property
    def is_letter(self) -> bool:
        return self.kind == LETTER


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegionTerms(BilingualNameMixin, Definition):
    """The region whose implementation of the item the case was filed under (GB/T 2260 code)."""

    code: str
    name: str
    name_en: str = ""
    implementation_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class GuideTerms(Definition):
    """What the service guide tells the applicant beyond the case's terms: the texts, who may
    apply and the fee. Frozen with the published version, so the guide shows what was
    approved rather than the catalogue's unpublished edits, and a case keeps what its applicant
    was told (the fee above all)."""

    summary: str = ""
    summary_en: str = ""
    legal_basis: str = ""
    legal_basis_en: str = ""
    conditions: str = ""
    conditions_en: str = ""
    process: str = ""
    process_en: str = ""
    audience: str = "both"
    # Yuan as a decimal string ("12.50"); None: free.
    fee: str | None = None
    fee_basis: str = ""

    @property
    def is_free(self) -> bool:
        return not self.fee or float(self.fee) == 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class ItemDefinition(Definition):
    """Everything about an item that a case depends on, frozen when the case is submitted."""

    item: ItemTerms = nested(ItemTerms)
    # None in versions frozen before items were implemented per region (all of one city).
    region: RegionTerms | None = nested(RegionTerms, default=None)
    # The accepting department's step; None when no department accepts the item (no case can
    # then be submitted) or in versions frozen before acceptance was a step.
    acceptance_step: StepDefinition | None = nested(StepDefinition, key="acceptance", default=None)
    fields: tuple[FieldDefinition, ...] = nested(FieldDefinition, default=())
    materials: tuple[MaterialDefinition, ...] = nested(MaterialDefinition, default=())
    review_stages: tuple[StageDefinition, ...] = nested(StageDefinition, key="stages", default=())
    # None in versions frozen before the guide was published with them: their guide was the
    # catalogue's rows of the time, which were not kept.
    guide: GuideTerms | None = nested(GuideTerms, default=None)

    @property
    def acceptance(self) -> StageDefinition:
        """Stage 0: acceptance (受理), the accepting department's one step (none if it has none)."""
        letter = self.item.is_letter
        return StageDefinition(
            order=ACCEPTANCE_ORDER,
            name=TRIAGE_NAME if letter else ACCEPTANCE_NAME,
            name_en=TRIAGE_NAME_EN if letter else ACCEPTANCE_NAME_EN,
            steps=(self.acceptance_step,) if self.acceptance_step else (),
        )

    @property
    def lead_department_id(self) -> int | None:
        """The department leading the review, whose audit chain holds the item's cases: the
        first department, by code, of the first review stage that has one, else the accepting
        department (None if neither: the system's chain)."""
        for stage in sorted(self.review_stages, key=lambda stage: stage.order):
            if stage.steps:
                return min(stage.steps, key=lambda step: step.code).department_id
        return self.acceptance_step.department_id if self.acceptance_step else None

    @property
    def stages(self) -> tuple[StageDefinition, ...]:
        """Every stage of a case in order, acceptance first."""
        return (self.acceptance, *self.review_stages)

    def stage(self, order: int) -> StageDefinition:
        for stage in self.stages:
            if stage.order == order:
                return stage
        raise LookupError(f"{self.item.code} has no stage {order}")

    def next_stage(self, after: int) -> StageDefinition | None:
        """The review stage that opens once stage `after` is done; None after the last.

        A stage opened only on request (a letter's second answer) is never the next one."""
        following = [
            stage for stage in self.review_stages if stage.order > after and not stage.on_request
        ]
        return min(following, key=lambda stage: stage.order, default=None)

    def reviewing_department_ids(self) -> set[int]:
        return {step.department_id for stage in self.review_stages for step in stage.steps}

    def overall_limit_days(self) -> int:
        """Art. 42: the promised limit if published, the joint limit when several departments
        review, else the statutory limit."""
        if self.item.promised_limit_days:
            return self.item.promised_limit_days
        if len(self.reviewing_department_ids()) > 1:
            return self.item.joint_limit_days
        return self.item.statutory_limit_days

    def field(self, name: str) -> FieldDefinition | None:
        return next((field for field in self.fields if field.name == name), None)

    def material(self, code: str) -> MaterialDefinition | None:
        return next((material for material in self.materials if material.code == code), None)
