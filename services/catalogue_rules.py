"""What an implementation must satisfy before it is published (issue 16, item 4).

One function for the admin's review, its publishing and the catalogue import alike: each rule
reads the definition an applicant would file under (`services.catalogue.item_definition`), so a
caller that builds a definition without saving rows can check it too (`problems_in`). Each
problem names the field it is about, in the administrator's language, under the key of the
field (`promised_limit_days`, `stages`, `materials`, `fields`), so a form can show it there.
"""

from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Department, Region

from .catalogue import item_definition
from .definitions import ItemDefinition
from .models import FormFieldKind, ItemImplementation

# Form fields an applicant answers by picking one of the field's choices.
CHOICE_KINDS = frozenset({FormFieldKind.CHOICE})


def problems_in(
    definition: ItemDefinition, *, region: Region, departments_of_region: set[int]
) -> dict[str, list[str]]:
    """The problems of `definition`, by field, for `region`; `departments_of_region` are the
    ids of the region's departments. Empty: it may be published."""
    problems: dict[str, list[str]] = defaultdict(list)
    terms = definition.item
    statutory = terms.statutory_limit_days
    if terms.promised_limit_days is not None and terms.promised_limit_days > statutory:
        problems["promised_limit_days"].append(
            _(
                "Promised time limit: %(promised)d working days is longer than the statutory "
                "limit of %(statutory)d."
            )
            % {"promised": terms.promised_limit_days, "statutory": statutory}
        )
    if not terms.is_letter:  # a letter's departments are chosen at its triage
        check_stages(definition, region, departments_of_region, problems)
    for material in definition.materials:
        if material.is_required and not material.description.strip():
            problems["materials"].append(
                _(
                    "Required material “%(name)s” (%(code)s): describe it, so the applicant "
                    "knows what to attach."
                )
                % {"name": material.name, "code": material.code}
            )
    check_fields(definition, problems)
    return dict(problems)


def check_stages(
    definition: ItemDefinition,
    region: Region,
    departments_of_region: set[int],
    problems: dict[str, list[str]],
) -> None:
    stages = definition.review_stages
    if not stages:
        problems["stages"].append(_("Review stages: add at least one stage with a department."))
        return
    # Administrative License Law Art. 42: a department's limit never runs past the item's.
    limit = definition.overall_limit_days()
    for stage in stages:
        if not stage.steps:
            problems["stages"].append(
                _("Review stage %(order)d “%(stage)s”: add at least one department.")
                % {"order": stage.order, "stage": stage.name}
            )
            continue
        if not any(step.department_id in departments_of_region for step in stage.steps):
            problems["stages"].append(
                _("Review stage %(order)d “%(stage)s”: no department of %(region)s reviews in it.")
                % {"order": stage.order, "stage": stage.name, "region": region.name}
            )
        for step in stage.steps:
            where = {"order": stage.order, "stage": stage.name, "department": step.name}
            if step.time_limit_days > limit:
                problems["stages"].append(
                    _(
                        "Review stage %(order)d “%(stage)s”, %(department)s: time limit of "
                        "%(days)d working days is longer than the item's limit of %(limit)d."
                    )
                    % {**where, "days": step.time_limit_days, "limit": limit}
                )
            if step.reminder_days >= step.time_limit_days:
                problems["stages"].append(
                    _(
                        "Review stage %(order)d “%(stage)s”, %(department)s: the reminder "
                        "(%(reminder)d working days before the deadline) must come after the "
                        "task starts, so fewer days than the time limit of %(days)d."
                    )
                    % {**where, "reminder": step.reminder_days, "days": step.time_limit_days}
                )
    # Stages follow one another: together their longest steps fit in the item's limit.
    total = sum(
        max(step.time_limit_days for step in stage.steps) for stage in stages if stage.steps
    )
    if total > limit:
        problems["stages"].append(
            _(
                "Review stages: one after the other they take up to %(total)d working days, "
                "longer than the item's limit of %(limit)d."
            )
            % {"total": total, "limit": limit}
        )


def check_fields(definition: ItemDefinition, problems: dict[str, list[str]]) -> None:
    # The standard item's fields and the region's own make one form: one key, one answer.
    for name, count in Counter(field.name for field in definition.fields).items():
        if count > 1:
            problems["fields"].append(
                _(
                    "Form field key “%(name)s” is used %(count)d times (standard and local "
                    "fields together): each key must be unique."
                )
                % {"name": name, "count": count}
            )
    for code, count in Counter(material.code for material in definition.materials).items():
        if count > 1:
            problems["materials"].append(
                _(
                    "Material code “%(code)s” is used %(count)d times (standard and local "
                    "materials together): each code must be unique."
                )
                % {"code": code, "count": count}
            )
    for field in definition.fields:
        if field.kind in CHOICE_KINDS and not field.choices:
            problems["fields"].append(
                _("Form field “%(label)s” (%(name)s) is a choice: list its choices, one a line.")
                % {"label": field.label, "name": field.name}
            )


def publishing_problems(implementation: ItemImplementation) -> dict[str, list[str]]:
    """The problems of the implementation's rows as they are now, by field."""
    departments = set(
        Department.objects.filter(region_id=implementation.region_id).values_list("pk", flat=True)
    )
    return problems_in(
        item_definition(implementation),
        region=implementation.region,
        departments_of_region=departments,
    )


def check_publishable(implementation: ItemImplementation) -> None:
    """ValidationError, by field, naming every problem, unless it may be published."""
    problems = publishing_problems(implementation)
    if problems:
        raise ValidationError(problems, code="not_publishable")
