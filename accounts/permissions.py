"""Who may do what: the questions every view and task asks about a person.

Object permissions are django-guardian's, granted to groups rather than to people: each
department has a staff group (every member: may see its tasks), a reviewers group (reviewers
and heads: may decide them) and a heads group (may decide extensions, see statistics).
Membership keeps a person's groups in step, so joining or leaving a department grants or
withdraws everything at once, and each object (task, extension) is granted once, to groups.
"""

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast
from guardian.models import GroupObjectPermission, UserObjectPermission

from .audit import record_all
from .models import Department, Membership, User


def is_civil_servant(user: User) -> bool:
    return user.is_authenticated and user.kind == User.Kind.STAFF and user.is_active


def departments_of(user: User) -> QuerySet[Department]:
    """The departments whose work this person may see (none for the public and applicants)."""
    if not is_civil_servant(user):
        return Department.objects.none()
    return Department.objects.filter(memberships__user=user)


def objects_permitted(
    user: User, permission: str, queryset: QuerySet, *, granted_to: str = "users and groups"
) -> QuerySet:
    """The rows of `queryset` on which `user` holds the object permission, in person or through
    a group; global permissions and superuser status give nothing (guardian's
    get_objects_for_user with with_superuser=False, accept_global_perms=False).

    Written as EXISTS subqueries on guardian's tables because get_objects_for_user
    (django-guardian 3.0.3, filter_perms_queryset_by_objects) first reads every primary key of
    `queryset` into Python and sends them back as an IN list: with a million applications
    every status page and queue fetched a million ids. Here PostgreSQL probes guardian's
    (content_type, object_pk) index for the rows a page shows. granted_to="groups" (or
    "users") leaves out the other table for objects only ever granted that way: a single
    EXISTS lets PostgreSQL probe the grants row by row instead of hashing all of them.
    """
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    codename = permission.split(".", 1)[1]
    content_type = ContentType.objects.get_for_model(queryset.model)
    grant = {
        "content_type": content_type,
        "permission__content_type": content_type,
        "permission__codename": codename,
        "object_pk": Cast(OuterRef("pk"), CharField()),
    }
    held_in_person = Exists(UserObjectPermission.objects.filter(user=user, **grant))
    held_through_group = Exists(GroupObjectPermission.objects.filter(group__user=user, **grant))
    if granted_to == "groups":
        return queryset.filter(held_through_group)
    if granted_to == "users":
        return queryset.filter(held_in_person)
    return queryset.filter(held_in_person | held_through_group)


def grant_object_permissions(holder: User | Group, permissions: list[str], obj) -> list[str]:
    """Give `holder` (a person or a group) these object permissions ("app.codename") on `obj`.

    What guardian's assign_perm does one permission at a time (about seven queries each, and
    one audit entry each through the post_save receiver), in one statement: grants already
    held are left alone, and each new one is written to the audit log exactly as the
    receiver would ("permission.object", change "granted"), in one append. Returns the
    permissions newly granted.
    """
    content_type = ContentType.objects.get_for_model(obj)
    codenames = [permission.split(".", 1)[1] for permission in permissions]
    if isinstance(holder, Group):
        table, holder_column = GroupObjectPermission._meta.db_table, "group_id"
        label = f"group:{holder.name}"
    else:
        table, holder_column = UserObjectPermission._meta.db_table, "user_id"
        label = f"user:{holder.get_username()}"
    # ON CONFLICT needs guardian's unique (holder, permission, object_pk): what was held already
    # is not returned, so it is neither granted twice nor logged twice.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH granted AS (
                INSERT INTO {table} (permission_id, content_type_id, object_pk, {holder_column})
                SELECT id, content_type_id, %(object_pk)s, %(holder)s FROM auth_permission
                WHERE content_type_id = %(content_type)s AND codename = ANY(%(codenames)s)
                ON CONFLICT DO NOTHING
                RETURNING permission_id
            )
            SELECT codename FROM auth_permission JOIN granted ON id = granted.permission_id
            ORDER BY array_position(%(codenames)s, codename::text)
            """,  # noqa: S608 - the table and column names are guardian's, not input
            {
                "object_pk": str(obj.pk),
                "holder": holder.pk,
                "content_type": content_type.pk,
                "codenames": codenames,
            },
        )
        granted = [codename for (codename,) in cursor.fetchall()]
    if granted:
        record_all(
            ["permission.object"] * len(granted),
            obj=(f"{content_type.app_label}.{content_type.model}", obj.pk),
            # The object's own chain: a grant inside a filing locks no chain but the case's.
            department=getattr(obj, "audit_department_id", None),
            details=[
                {"change": "granted", "permission": codename, "holder": label}
                for codename in granted
            ],
        )
    return [f"{content_type.app_label}.{codename}" for codename in granted]


GROUPS_OF_ROLE = {
    Membership.Role.CLERK: ("staff",),
    Membership.Role.REVIEWER: ("staff", "reviewers"),
    Membership.Role.HEAD: ("staff", "reviewers", "heads"),
}


def department_group(department_id: int, kind: str) -> Group:
    """kind: "staff", "reviewers" or "heads"."""
    return Group.objects.get_or_create(name=f"department-{department_id}-{kind}")[0]


def sync_department_groups(user: User) -> None:
    """Make the user's department groups match their memberships (called on every change)."""
    memberships = Membership.objects.filter(user=user).values_list("department_id", "role")
    wanted = {
        department_group(department, kind).pk
        for department, role in memberships
        for kind in GROUPS_OF_ROLE[role]
    }
    current = set(user.groups.filter(name__regex=r"^department-\d+-").values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
