"""Object permissions kept in one table per model, with a real foreign key to the object.

django-guardian's generic tables (guardian_userobjectpermission, guardian_groupobjectpermission)
key every grant by content type and a text object_pk, with six indexes each: at a million cases
the grants of applications and review tasks took 1.7 of the database's 4.65 GB, 1,800 bytes a
case. Guardian reads a model's grants from its own tables instead when they exist ("direct
foreign keys"): subclasses of UserObjectPermissionBase / GroupObjectPermissionBase with a
`content_object` foreign key. has_perm, ObjectPermissionChecker, get_objects_for_user,
assign_perm and remove_perm find them by themselves.

These bases keep such a table as narrow as PostgreSQL allows: the primary key is the grant
itself (object, holder, permission; no id column), and it is the only index, since every
question the portal asks names either the object (may this person open this case?) or, for
the department groups' grants, the holder (which tasks may this group decide?). The foreign
keys get no index of their own; deleting a permission, a group or a person is rare enough to
afford reading the table once.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class DirectUserObjectPermission(UserObjectPermissionBase):
    """A person's object permission on one row of one model (the subclass's `content_object`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, db_index=False
    )
    permission = models.ForeignKey(
        Permission, verbose_name=_("permission"), on_delete=models.CASCADE, db_index=False
    )

    class Meta:
        abstract = True  # unique_together of guardian's base is the primary key here


class DirectGroupObjectPermission(GroupObjectPermissionBase):
    """A group's object permission on one row of one model (the subclass's `content_object`)."""

    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, db_index=False
    )
    permission = models.ForeignKey(
        Permission, verbose_name=_("permission"), on_delete=models.CASCADE, db_index=False
    )

    class Meta:
        abstract = True


def object_foreign_key(model: str) -> models.ForeignKey:
    """The `content_object` of a direct table: deleting the object deletes its grants."""
    return models.ForeignKey(
        model, verbose_name=_("object"), on_delete=models.CASCADE, db_index=False
    )


# --- moving grants between guardian's generic tables and direct ones (data migrations) ---------

HOLDER_COLUMNS = {"user": "user_id", "group": "group_id"}


def move_generic_grants(connection, *, app_label: str, model: str, object_table: str) -> int:
    """Move the grants on `app_label.model` from guardian's generic tables into its direct
    ones (`<object_table>` + `userobjectpermission` / `groupobjectpermission` naming of the
    models above: ApplicationUserObjectPermission → services_applicationuserobjectpermission).

    One INSERT … SELECT and one DELETE per table, on the server. A grant whose object no
    longer exists (the generic tables have no foreign key to keep them honest) opened nothing
    and is dropped. Not a change of who may do what, so nothing is audited. Returns the rows
    moved.
    """
    return _move(connection, app_label, model, object_table, to_direct=True)


def restore_generic_grants(connection, *, app_label: str, model: str, object_table: str) -> int:
    """The reverse of move_generic_grants: the direct tables' grants back into guardian's."""
    return _move(connection, app_label, model, object_table, to_direct=False)


def _move(connection, app_label: str, model: str, object_table: str, *, to_direct: bool) -> int:
    moved = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM django_content_type WHERE app_label = %s AND model = %s",
            [app_label, model],
        )
        row = cursor.fetchone()
        if row is None:  # a new database: no content type yet, so no grant either
            return 0
        content_type = row[0]
        for holder, column in HOLDER_COLUMNS.items():
            generic = f"guardian_{holder}objectpermission"
            direct = f"{app_label}_{model}{holder}objectpermission"
            if to_direct:
                # In the order of the primary key, so that its index is written from left to
                # right and packed, as fresh grants leave it, not half-full from page splits.
                values = {
                    "content_object_id": "target.id",
                    column: f"grant_.{column}",
                    "permission_id": "grant_.permission_id",
                }
                key = _primary_key_columns(cursor, direct)
                statements = [
                    f"""
                    INSERT INTO {direct} ({", ".join(key)})
                    SELECT {", ".join(values[name] for name in key)}
                    FROM {generic} grant_ JOIN {object_table} target
                        ON target.id::text = grant_.object_pk
                    WHERE grant_.content_type_id = %(content_type)s
                    ORDER BY 1, 2, 3
                    ON CONFLICT DO NOTHING
                    """,
                    f"DELETE FROM {generic} WHERE content_type_id = %(content_type)s",
                ]
            else:
                statements = [
                    f"""
                    INSERT INTO {generic} (content_type_id, object_pk, {column}, permission_id)
                    SELECT %(content_type)s, content_object_id::text, {column}, permission_id
                    FROM {direct}
                    ON CONFLICT DO NOTHING
                    """,
                    f"DELETE FROM {direct}",  # noqa: S608 - the names are the models', not input
                ]
            cursor.execute(statements[0], {"content_type": content_type})  # noqa: S608
            moved += cursor.rowcount
            cursor.execute(statements[1], {"content_type": content_type})
    return moved


def _primary_key_columns(cursor, table: str) -> list[str]:
    cursor.execute(
        """
        SELECT attribute.attname
        FROM pg_index key JOIN pg_attribute attribute ON attribute.attrelid = key.indrelid
            AND attribute.attnum = ANY(key.indkey::int2[])
        WHERE key.indrelid = %s::regclass AND key.indisprimary
        ORDER BY array_position(key.indkey::int2[], attribute.attnum)
        """,
        [table],
    )
    return [name for (name,) in cursor.fetchall()]
