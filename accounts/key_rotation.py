"""Moving personal data to new keys: re-encryption under the first Fernet key, and re-indexing.

Both walk every model with an encrypted column or a blind index, a batch of rows at a time in
primary-key order, so memory and lock time do not grow with the number of people. Both are
idempotent: a row already under the current key is counted and left alone, so a run that was
interrupted is simply run again. See docs/operations.md, "Rotating keys".
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction

from . import crypto
from .fields import blind_index_fields, encrypted_fields

DEFAULT_BATCH_SIZE = 500


@dataclass
class ColumnReport:
    """What happened to one encrypted column (or, when only checking, what would happen)."""

    label: str
    current: int = 0
    rotated: int = 0
    undecryptable: list = field(default_factory=list)


@dataclass
class IndexReport:
    label: str
    current: int = 0
    reindexed: int = 0


def _models_with(fields_of) -> Iterator[tuple[type[models.Model], list]]:
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        found = fields_of(model)
        if found:
            yield model, found


def _label(model: type[models.Model], model_field: models.Field) -> str:
    return f"{model._meta.label}.{model_field.name}"


def rotate_encrypted_values(
    *, batch_size: int = DEFAULT_BATCH_SIZE, check_only: bool = False
) -> list[ColumnReport]:
    """Re-encrypt every stored token that is not under the first key of FIELD_ENCRYPTION_KEYS.

    Works on the raw tokens (MultiFernet.rotate keeps each token's timestamp) rather than
    through the model, which would also rewrite every other column of the row. An UPDATE only
    applies if the column still holds the token that was read: a row the portal saved in the
    meantime was encrypted with the first key already.
    """
    reports = []
    for model, columns in _models_with(encrypted_fields):
        column_reports = [ColumnReport(_label(model, c)) for c in columns]
        reports.extend(column_reports)
        last_pk = None
        while True:
            with transaction.atomic():
                rows = _rotate_batch(
                    model, columns, column_reports, last_pk, batch_size, check_only
                )
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
    return reports


def _rotate_batch(model, columns, reports, last_pk, batch_size, check_only) -> list[tuple]:
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    selected = ", ".join(qn(c.column) for c in columns)
    any_value = " OR ".join(f"{qn(c.column)} <> ''" for c in columns)
    after, params = ("", []) if last_pk is None else (f"AND {pk} > %s", [last_pk])
    lock = "" if check_only else "FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {selected} FROM {table} WHERE ({any_value}) {after} "
            f"ORDER BY {pk} LIMIT %s {lock}",
            [*params, batch_size],
        )
        rows = cursor.fetchall()
        for row_pk, *tokens in rows:
            for column, report, token in zip(columns, reports, tokens, strict=True):
                if not token:
                    continue
                if crypto.is_under_primary_key(token):
                    report.current += 1
                    continue
                try:
                    rotated = crypto.rotate(token)
                except crypto.UndecryptableValueError:
                    report.undecryptable.append(row_pk)
                    continue
                report.rotated += 1
                if not check_only:
                    cursor.execute(
                        f"UPDATE {table} SET {qn(column.column)} = %s "
                        f"WHERE {pk} = %s AND {qn(column.column)} = %s",
                        [rotated, row_pk, token],
                    )
    return rows


def reindex_blind_indexes(
    *, batch_size: int = DEFAULT_BATCH_SIZE, check_only: bool = False
) -> list[IndexReport]:
    """Recompute every blind index with the current BLIND_INDEX_KEY.

    Run after changing BLIND_INDEX_KEY, with the portal stopped: until every row is re-indexed,
    look-ups and the unique constraint compare hashes made with two different keys.
    """
    reports = []
    for model, index_fields in _models_with(blind_index_fields):
        index_reports = [IndexReport(_label(model, f)) for f in index_fields]
        reports.extend(index_reports)
        loaded = {"pk", *(f.name for f in index_fields), *(f.source for f in index_fields)}
        last_pk = None
        while True:
            rows = model._base_manager.order_by("pk").only(*loaded)
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows[:batch_size])
            changed = []
            for instance in batch:
                stale = False
                for index_field, report in zip(index_fields, index_reports, strict=True):
                    value = index_field.index_for(instance)
                    if getattr(instance, index_field.attname) == value:
                        report.current += 1
                    else:
                        report.reindexed += 1
                        setattr(instance, index_field.attname, value)
                        stale = True
                if stale:
                    changed.append(instance)
            if changed and not check_only:
                model._base_manager.bulk_update(changed, [f.name for f in index_fields])
            if len(batch) < batch_size:
                break
            last_pk = batch[-1].pk
    return reports
