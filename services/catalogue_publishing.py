"""Draft → review → publish of a region's implementation (issue 16, item 3).

The catalogue's rows are the working copy. Applicants see and file under the implementation's
published version: its definition frozen when it was published (`ServiceItemVersion`, the same
snapshot a case freezes). Editing the rows, the implementation's or its standard item's, makes
the working copy a draft again, while the published version keeps serving applicants. A draft is
submitted for review, approved by a second administrator (never the one who last edited or
submitted it, as publications are: disclosure/publishing.py), and then published, which freezes
it as the new published version.

    draft ──submit──> in_review ──approve──> approved ──publish──> published
      ^                   │                                            │
      └──── send back ────┘     any edit of the rows, in any state ────┘ (→ draft)

Each transition checks it is allowed under a row lock, records who and when on the row and an
entry in the audit log. The rows' own history (who changed which field) is django-simple-history's.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record

from .catalogue import freeze_definition, item_definition
from .catalogue_rules import check_publishable
from .models import ItemImplementation, ReviewState, ServiceItem
from .receivers import catalogue_changed

State = ReviewState


def _locked(implementation_id: int) -> ItemImplementation:
    return (
        ItemImplementation.objects.select_for_update(of=("self",))
        .select_related("item", "region")
        .get(pk=implementation_id)
    )


def _refuse_unless(implementation: ItemImplementation, *states: str) -> None:
    if implementation.review_state not in states:
        raise ValidationError(
            _("%(implementation)s is %(state)s: this step is not possible now.")
            % {
                "implementation": implementation,
                "state": implementation.get_review_state_display(),
            },
            code="wrong_state",
        )


def keep_serving_the_published(implementation: ItemImplementation) -> None:
    """Before the first edit of an implementation published without a version (before this
    workflow existed), freeze its rows as they are as its published version, so that
    applicants keep what they were seeing while the edit waits for review."""
    if implementation.is_published and implementation.published_version_id is None:
        current = ItemImplementation.objects.select_related("item", "region").get(
            pk=implementation.pk
        )
        version = freeze_definition(current)
        ItemImplementation.objects.filter(pk=implementation.pk).update(published_version=version)
        implementation.published_version = version


def keep_serving_before_editing(item: ServiceItem) -> None:
    """`keep_serving_the_published` for every implementation of a standard item."""
    for implementation in item.implementations.filter(
        is_published=True, published_version__isnull=True
    ):
        keep_serving_the_published(implementation)


def definition_json(implementation: ItemImplementation) -> dict:
    return item_definition(implementation).to_json()


@transaction.atomic
def mark_edited(implementation_id: int, editor) -> ItemImplementation:
    """The rows changed: the working copy is a draft again, to be reviewed anew. The published
    version, if any, goes on serving applicants."""
    implementation = _locked(implementation_id)
    was = implementation.review_state
    implementation.review_state = State.DRAFT
    implementation.last_edited_by = editor
    implementation.last_edited_at = timezone.now()
    implementation.submitted_by = implementation.submitted_at = None
    implementation.approved_by = implementation.approved_at = None
    implementation.save()
    record(
        "catalogue.edit",
        obj=implementation,
        actor=editor,
        detail={"was": was, "item": implementation.item.code, "region": implementation.region.code},
    )
    return implementation


@transaction.atomic
def submit_for_review(implementation_id: int, actor) -> ItemImplementation:
    """Ask a second administrator to approve the draft; refused, naming each field, while the
    draft breaks a publishing rule (services/catalogue_rules.py)."""
    implementation = _locked(implementation_id)
    _refuse_unless(implementation, State.DRAFT)
    check_publishable(implementation)
    implementation.review_state = State.IN_REVIEW
    implementation.submitted_by = actor
    implementation.submitted_at = timezone.now()
    implementation.save()
    record("catalogue.submit", obj=implementation, actor=actor)
    return implementation


@transaction.atomic
def send_back(implementation_id: int, actor, *, reason: str = "") -> ItemImplementation:
    """The reviewer returns the draft to its editors, with the reason in the audit log."""
    implementation = _locked(implementation_id)
    _refuse_unless(implementation, State.IN_REVIEW, State.APPROVED)
    implementation.review_state = State.DRAFT
    implementation.approved_by = implementation.approved_at = None
    implementation.save()
    record("catalogue.send_back", obj=implementation, actor=actor, detail={"reason": reason[:500]})
    return implementation


@transaction.atomic
def approve(implementation_id: int, approver) -> ItemImplementation:
    """The second administrator's approval; whoever last edited or submitted it cannot give it."""
    implementation = _locked(implementation_id)
    _refuse_unless(implementation, State.IN_REVIEW)
    if approver.pk in (implementation.submitted_by_id, implementation.last_edited_by_id):
        raise PermissionDenied(
            _("A second administrator must approve what you edited or submitted."),
        )
    implementation.review_state = State.APPROVED
    implementation.approved_by = approver
    implementation.approved_at = timezone.now()
    implementation.save()
    record("catalogue.approve", obj=implementation, actor=approver)
    return implementation


@transaction.atomic
def publish(implementation_id: int, actor) -> ItemImplementation:
    """Publish the approved draft: its definition, frozen now, is what new applications see and
    file under; cases already filed keep theirs."""
    implementation = _locked(implementation_id)
    _refuse_unless(implementation, State.APPROVED)
    check_publishable(implementation)  # the rules may have changed since the approval
    version = freeze_definition(implementation)
    implementation.published_version = version
    implementation.review_state = State.PUBLISHED
    implementation.is_published = True
    implementation.published_by = actor
    implementation.published_at = timezone.now()
    implementation.save()
    catalogue_changed()
    record(
        "catalogue.publish",
        obj=implementation,
        actor=actor,
        detail={"version": version.number, "approved_by": implementation.approved_by_id},
    )
    return implementation


def change_department_limit(
    implementations: list[ItemImplementation], *, department, time_limit_days: int, editor
) -> list[ItemImplementation]:
    """Give `department` the limit `time_limit_days` in every stage of `implementations` that
    names it; each one changed becomes a draft (its published version serves meanwhile).

    Refused, changing nothing, when the limit is longer than an item's statutory limit."""
    from .models import StageDepartment

    too_long = [
        str(implementation)
        for implementation in implementations
        if time_limit_days > implementation.item.statutory_limit_days
    ]
    if too_long:
        raise ValidationError(
            _(
                "Time limit: %(days)d working days is longer than the statutory limit of "
                "%(implementations)s."
            )
            % {"days": time_limit_days, "implementations": ", ".join(too_long)},
            code="longer_than_statutory",
        )
    changed = []
    with transaction.atomic():
        for implementation in implementations:
            rows = StageDepartment.objects.filter(
                stage__implementation=implementation, department=department
            ).exclude(time_limit_days=time_limit_days)
            if not rows.exists():
                continue
            keep_serving_the_published(implementation)
            for row in rows:  # one by one, so that each change has its history row
                row.time_limit_days = time_limit_days
                row.save(update_fields=["time_limit_days"])
            changed.append(mark_edited(implementation.pk, editor))
    return changed
