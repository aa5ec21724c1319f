"""Who changed what in an implementation, and when: its rows' history, read together.

django-simple-history keeps one history row per save of each catalogue model (services/models.py,
`history`). An implementation is its own row, its stages and their departments, its local
materials and fields, and its standard item with the item's materials and fields; this reads
their history newest first, each change with the fields it changed.
"""

import dataclasses
from datetime import datetime
from heapq import merge

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
)

# Lazy: read in the reader's language, not in the one active when the module was imported.
KINDS = {
    "+": pgettext_lazy("catalogue history", "added"),
    "~": pgettext_lazy("catalogue history", "changed"),
    "-": pgettext_lazy("catalogue history", "deleted"),
}


@dataclasses.dataclass(frozen=True)
class Change:
    when: datetime
    who: str
    what: str  # the row, as a civil servant would name it
    kind: str
    fields: tuple[str, ...]


def _with_previous(records: QuerySet, limit: int) -> list[tuple]:
    """The latest `limit` records, each with its row's record before it (None for the row's
    first): two queries, where simple-history's `prev_record` asks one for each record."""
    history = records.model
    row = history.instance_type._meta.pk.attname
    before = (
        history._default_manager.filter(
            **{row: OuterRef(row)}, history_date__lt=OuterRef("history_date")
        )
        .order_by("-history_date")
        .values("pk")[:1]
    )
    latest = list(
        records.select_related("history_user")
        .annotate(previous_pk=Subquery(before))
        .order_by("-history_date")[:limit]
    )
    previous = history._default_manager.in_bulk(
        {record.previous_pk for record in latest if record.previous_pk is not None}
    )
    return [(record, previous.get(record.previous_pk)) for record in latest]


def _changes(records: QuerySet, what, *, limit: int) -> list[Change]:
    changes = []
    for record, previous in _with_previous(records, limit):
        fields: tuple[str, ...] = ()
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous)
            fields = tuple(
                str(record.instance_type._meta.get_field(change.field).verbose_name)
                for change in delta.changes
            )
            if not fields:
                continue  # saved without a change
        user = record.history_user
        changes.append(
            Change(
                when=record.history_date,
                who=(user.real_name or user.username) if user else _("the system"),
                what=what(record),
                kind=str(KINDS.get(record.history_type, record.history_type)),
                fields=fields,
            )
        )
    return changes


def changes_of(implementation: ItemImplementation, *, limit: int = 30) -> list[Change]:
    """The latest `limit` changes of the implementation's rows and its standard item's."""
    item_id = implementation.item_id
    stage_ids = set(
        ReviewStage.history.filter(implementation_id=implementation.pk).values_list("id", flat=True)
    )
    sources = [
        (
            ItemImplementation.history.filter(id=implementation.pk),
            lambda r: _("implementation"),
        ),
        (ServiceItem.history.filter(id=item_id), lambda r: _("standard item")),
        (
            ReviewStage.history.filter(implementation_id=implementation.pk),
            lambda r: _("stage %(order)s “%(name)s”") % {"order": r.order, "name": r.name},
        ),
        (
            StageDepartment.history.filter(stage_id__in=stage_ids).select_related("department"),
            lambda r: _("department %(department)s in a stage") % {"department": r.department},
        ),
        (
            Material.history.filter(item_id=item_id, implementation_id=None)
            | Material.history.filter(implementation_id=implementation.pk),
            lambda r: _("material %(code)s") % {"code": r.code},
        ),
        (
            FormField.history.filter(item_id=item_id, implementation_id=None)
            | FormField.history.filter(implementation_id=implementation.pk),
            lambda r: _("form field %(name)s") % {"name": r.name},
        ),
    ]
    lists = [_changes(records, what, limit=limit * 2) for records, what in sources]
    return list(merge(*lists, key=lambda change: change.when, reverse=True))[:limit]
