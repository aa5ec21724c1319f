"""Who changed what in an implementation, and when: its rows' history, read together.

django-simple-history keeps one history row per save of each catalogue model (services/models.py,
`history`). An implementation is its own row, its stages and their departments, its local
materials and fields, and its standard item with the item's materials and fields; this reads
their history newest first, each change with the fields it changed.
"""

import dataclasses
from datetime import datetime
from heapq import merge

from django.utils.translation import gettext as _

from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
)

KINDS = {"+": _("added"), "~": _("changed"), "-": _("deleted")}


@dataclasses.dataclass(frozen=True)
class Change:
    when: datetime
    who: str
    what: str  # the row, as a civil servant would name it
    kind: str
    fields: tuple[str, ...]


def _changes(records, what) -> list[Change]:
    changes = []
    for record in records:
        fields: tuple[str, ...] = ()
        if record.history_type == "~" and record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
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
    lists = []
    for records, what in sources:
        records = records.select_related("history_user").order_by("-history_date")[: limit * 2]
        lists.append(_changes(records, what))
    return list(merge(*lists, key=lambda change: change.when, reverse=True))[:limit]
