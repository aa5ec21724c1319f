"""Who may do what: the questions every view and task asks about a person.

Object permissions are django-guardian's, granted to groups rather than to people: each
department has a staff group (every member: may see its tasks), a reviewers group (reviewers
and heads: may decide them) and a heads group (may decide extensions, see statistics).
Membership keeps a person's groups in step, so joining or leaving a department grants or
withdraws everything at once. Extensions are granted once each, to groups; review tasks are
not granted at all: who may see or decide one follows from its department and these same
groups (group_departments, approvals/permissions.py), which is what the grants said.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

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

    Written as EXISTS subqueries on the grant tables because get_objects_for_user
    (django-guardian 3.0.3, filter_perms_queryset_by_objects) first reads every primary key of
    `queryset` into Python and sends them back as an IN list: with a million applications
    every status page and queue fetched a million ids. Here PostgreSQL probes the grants' index
    for the rows a page shows: the model's own tables when it has them (applications, review
    tasks: accounts/permission_tables.py), guardian's generic ones otherwise. granted_to="groups"
    (or "users") leaves out the other table for objects only ever granted that way: a single
    EXISTS lets PostgreSQL probe the grants row by row instead of hashing all of them.
    """
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    codename = permission.split(".", 1)[1]
    model = queryset.model
    in_person_table = get_user_obj_perms_model(model)
    held_in_person = Exists(
        in_person_table.objects.filter(user=user, **_grant_of(in_person_table, model, codename))
    )
    # The person's groups straight from the membership table: auth_group itself adds nothing.
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    group_table = get_group_obj_perms_model(model)
    held_through_group = Exists(
        group_table.objects.filter(group_id__in=groups, **_grant_of(group_table, model, codename))
    )
    if granted_to == "groups":
        return queryset.filter(held_through_group)
    if granted_to == "users":
        return queryset.filter(held_in_person)
    return queryset.filter(held_in_person | held_through_group)


def _grant_of(table, model, codename: str) -> dict:
    """The filter of `table` for a grant of `codename` on the outer query's row (of `model`),
    in a generic table or a direct one."""
    content_type = ContentType.objects.get_for_model(model)
    grant = {"permission__content_type": content_type, "permission__codename": codename}
    if table.objects.is_generic():
        return {
            **grant,
            "content_type": content_type,
            "object_pk": Cast(OuterRef("pk"), CharField()),
        }
    return {**grant, "content_object": OuterRef("pk")}


@dataclass(frozen=True)
class Grant:
    """Object permissions ("app.codename", of `obj`'s model) for a person or a group."""

    holder: User | Group
    permissions: list[str]
    obj: Model


def grant_object_permissions(holder: User | Group, permissions: list[str], obj) -> list[str]:
    """Give `holder` (a person or a group) these object permissions ("app.codename") on `obj`.
    Returns the permissions newly granted (grant_all does the work)."""
    content_type = ContentType.objects.get_for_model(obj)
    return [
        f"{content_type.app_label}.{codename}"
        for _grant, codename in grant_all([Grant(holder, permissions, obj)])
    ]


def grant_all(grants: list[Grant]) -> list[tuple[Grant, str]]:
    """Write these grants with one INSERT per grant table, and log each new one.

    What guardian's assign_perm does one permission at a time (about seven queries each, and
    one audit entry each through the post_save receiver), for a whole filing or a whole stage of
    a routing at once: the grants of one model to people in one statement, to groups in
    another. Grants already held are left alone, and each new one is written to the audit log
    exactly as the receiver would ("permission.object", change "granted"), one append per
    object. Returns (grant, codename) of each permission newly granted, in the order asked.
    """
    by_table: dict[tuple, list[Grant]] = {}
    for grant in grants:
        in_person = not isinstance(grant.holder, Group)
        by_table.setdefault((type(grant.obj), in_person), []).append(grant)
    granted: set[tuple[str, int, int, str]] = set()  # (holder kind, holder, object, codename)
    for (model, in_person), table_grants in by_table.items():
        granted |= _insert_grants(model, in_person, table_grants)
    newly = [
        (grant, codename)
        for grant in grants
        for codename in (permission.split(".", 1)[1] for permission in grant.permissions)
        if (_holder_kind(grant.holder), grant.holder.pk, grant.obj.pk, codename) in granted
    ]
    by_object: dict[tuple, list[tuple[Grant, str]]] = {}
    for grant, codename in newly:
        by_object.setdefault((type(grant.obj), grant.obj.pk), []).append((grant, codename))
    for entries in by_object.values():
        obj = entries[0][0].obj
        content_type = ContentType.objects.get_for_model(obj)
        record_all(
            ["permission.object"] * len(entries),
            obj=(f"{content_type.app_label}.{content_type.model}", obj.pk),
            # The object's own chain: a grant inside a filing locks no chain but the case's.
            department=getattr(obj, "audit_department_id", None),
            details=[
                {"change": "granted", "permission": codename, "holder": _holder_label(grant)}
                for grant, codename in entries
            ],
        )
    return newly


def _holder_kind(holder) -> str:
    return "group" if isinstance(holder, Group) else "user"


def _holder_label(grant: Grant) -> str:
    if isinstance(grant.holder, Group):
        return f"group:{grant.holder.name}"
    return f"user:{grant.holder.get_username()}"


def _insert_grants(model, in_person: bool, grants: list[Grant]) -> set[tuple[str, int, int, str]]:
    """One INSERT of `grants` (all on `model`, all to people or all to groups); returns the
    (holder kind, holder, object, codename) newly written."""
    content_type = ContentType.objects.get_for_model(model)
    table_model = (get_user_obj_perms_model if in_person else get_group_obj_perms_model)(model)
    holder_column = "user_id" if in_person else "group_id"
    kind = "user" if in_person else "group"
    rows = [
        (grant.obj.pk, grant.holder.pk, permission.split(".", 1)[1])
        for grant in grants
        for permission in grant.permissions
    ]
    objects, holders, codenames = (list(column) for column in zip(*rows, strict=True))
    if table_model.objects.is_generic():
        object_column, object_value = "object_pk", "wanted.object_id::text"
        extra_columns, extra_values = ", content_type_id", ", %(content_type)s"
        object_back = "granted.object_pk::bigint"
    else:
        object_column, object_value = "content_object_id", "wanted.object_id"
        extra_columns = extra_values = ""
        object_back = "granted.content_object_id"
    # ON CONFLICT needs the table's unique (holder, permission, object): what was held already
    # is not returned, so it is neither granted twice nor logged twice.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH granted AS (
                INSERT INTO {table_model._meta.db_table}
                    ({object_column}, {holder_column}, permission_id{extra_columns})
                SELECT {object_value}, wanted.holder_id, permission.id{extra_values}
                FROM unnest(%(objects)s::bigint[], %(holders)s::bigint[], %(codenames)s::text[])
                    AS wanted(object_id, holder_id, codename)
                JOIN auth_permission permission ON permission.content_type_id = %(content_type)s
                    AND permission.codename = wanted.codename
                ON CONFLICT DO NOTHING
                RETURNING {object_column}, {holder_column}, permission_id
            )
            SELECT {object_back}, granted.{holder_column}, permission.codename
            FROM granted JOIN auth_permission permission ON permission.id = granted.permission_id
            """,  # noqa: S608 - the table and column names are the models', not input
            {
                "objects": objects,
                "holders": holders,
                "codenames": codenames,
                "content_type": content_type.pk,
            },
        )
        return {(kind, holder, obj, codename) for obj, holder, codename in cursor.fetchall()}


GROUPS_OF_ROLE = {
    Membership.Role.CLERK: ("staff",),
    Membership.Role.REVIEWER: ("staff", "reviewers"),
    Membership.Role.HEAD: ("staff", "reviewers", "heads"),
}


def department_group(department_id: int, kind: str) -> Group:
    """kind: "staff", "reviewers" or "heads"."""
    return Group.objects.get_or_create(name=f"department-{department_id}-{kind}")[0]


def group_departments(user: User, kind: str) -> QuerySet:
    """The ids of the departments in whose `kind` group ("staff", "reviewers", "heads") the
    person is, as a subquery: department_group backwards, read from the group's name.

    For `department_id IN (…)` filters that derive access from the groups instead of storing a
    grant per object (approvals/permissions.py). One row per group the person is in, at most a
    few: the join reads the person's rows of auth_user_groups through its index, and the outer
    query probes its own department index with what comes back. A name that is not a
    department group of that kind gives NULL, which IN never matches.
    """
    pattern = rf"^department-(\d+)-{kind}$"
    return (
        User.groups.through.objects.filter(user_id=user.pk, group__name__regex=pattern)
        .annotate(
            department=Cast(
                Func(F("group__name"), Value(pattern), function="substring"), BigIntegerField()
            )
        )
        .values("department")
    )


DEPARTMENT_GROUP_NAME = re.compile(r"^department-(\d+)-(staff|reviewers|heads)$")


def held_departments(user: User, kind: str) -> frozenset[int]:
    """The ids of the departments in whose `kind` group the person is, read once per user object.

    For a question about one object in hand (may this person decide this task?), which is then
    a set lookup whatever the number of tasks (issue 20 §5). The groups are read in one query
    and kept on the user object for the rest of the request, as Django's ModelBackend keeps
    permissions (_perm_cache); sync_department_groups forgets them when it changes that
    person's groups. For filters over many rows use group_departments, a subquery.
    """
    held = user.__dict__.get("_held_departments")
    if held is None:
        ids = {"staff": set(), "reviewers": set(), "heads": set()}
        for match in filter(None, map(DEPARTMENT_GROUP_NAME.match, _group_names(user))):
            ids[match[2]].add(int(match[1]))
        held = user._held_departments = {name: frozenset(found) for name, found in ids.items()}
    return held[kind]


def _group_names(user: User) -> list[str]:
    """The names of the person's department groups. Written out: the first check of every task
    page and decision waits for it, and building it in the ORM took longer than running it
    (p95 0.8 against 0.34 ms at 4 M tasks); tests/test_permission_tables.py checks it."""
    memberships = User.groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g.name FROM {Group._meta.db_table} g "
            f"JOIN {memberships} m ON m.group_id = g.id "
            "WHERE m.user_id = %s AND g.name LIKE 'department-%%'",
            [user.pk],
        )
        return [name for (name,) in cursor.fetchall()]


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
    user.__dict__.pop("_held_departments", None)
