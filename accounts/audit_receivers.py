"""What the audit log records by listening: logins and log-outs, new accounts, and every change
of who may do what (privilege flags, department memberships, groups, model and object
permissions), plus each change made in the Django admin.

Domain events (application states, decisions, downloads) are recorded where they happen, by
explicit `audit.record()` calls; signals are used here because these changes can come from
Django itself, the admin or django-guardian, with no single domain function to put a call in.
Bulk operations that send no signals (QuerySet.update, bulk_create, guardian's
bulk_assign_perm / assign_perm_to_many, the data migrations that moved grants into the direct
tables) are not seen: grant permissions one at a time, or through accounts.permissions.grant_all,
which logs each grant itself.
"""

from __future__ import annotations

import weakref

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .audit import record
from .models import Department, Membership, User

PRIVILEGE_FLAGS = ("is_active", "is_staff", "is_superuser")

# What a "before" signal read for its "after" signal, per instance, kept here rather than on the
# instance (a model's attributes are its own). Weak keys: an entry goes with its instance,
# whether or not the save got as far as the "after" signal.
_flags_before: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_cleared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="audit.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="audit.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="audit.login_failed")
    try:
        from axes.signals import user_locked_out
    except ImportError:  # django-axes not installed
        pass
    else:
        user_locked_out.connect(locked_out, dispatch_uid="audit.locked_out")

    pre_save.connect(user_about_to_be_saved, sender=User, dispatch_uid="audit.user_pre_save")
    post_save.connect(user_saved, sender=User, dispatch_uid="audit.user_saved")
    post_save.connect(membership_saved, sender=Membership, dispatch_uid="audit.membership_saved")
    post_delete.connect(
        membership_deleted, sender=Membership, dispatch_uid="audit.membership_deleted"
    )
    for through in MANY_TO_MANY:
        m2m_changed.connect(many_to_many_changed, sender=through, dispatch_uid=f"audit.{through}")
    # Guardian's generic tables and every direct-foreign-key one (services, approvals): each
    # concrete model is connected by name, not with a global receiver, which would disable
    # Django's fast deletes for every model of the portal.
    for model in apps.get_models():
        if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase):
            post_save.connect(object_permission_saved, sender=model, dispatch_uid=f"audit.{model}")
            post_delete.connect(
                object_permission_deleted, sender=model, dispatch_uid=f"audit.{model}"
            )
    post_save.connect(admin_change_logged, sender=LogEntry, dispatch_uid="audit.admin_log")


# --- authentication ------------------------------------------------------------------------------


def logged_in(sender, request, user, **kwargs):
    record("auth.login", obj=user, actor=user, request=request)


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", obj=user, actor=user, request=request)


def login_failed(sender, credentials, request=None, **kwargs):
    # Only the name that was tried: never the password (Django masks it anyway), nor any other
    # credential a backend may receive (ASVS V7.1.1).
    username = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    record("auth.login_failed", detail={"username": str(username)[:150]}, request=request)


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record("auth.locked_out", detail={"username": str(username or "")[:150]}, request=request)


# --- accounts and privilege flags ----------------------------------------------------------------


def user_about_to_be_saved(sender, instance: User, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding:
        return
    _flags_before.pop(instance, None)
    if update_fields is not None and not set(update_fields) & set(PRIVILEGE_FLAGS):
        return  # e.g. last_login at each login: no extra query
    before = User.objects.filter(pk=instance.pk).values(*PRIVILEGE_FLAGS).first()
    if before:
        _flags_before[instance] = before


def user_saved(sender, instance: User, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        record(
            "account.created",
            obj=instance,
            detail={
                "kind": instance.kind,
                **{flag: getattr(instance, flag) for flag in PRIVILEGE_FLAGS},
            },
        )
        return
    before = _flags_before.pop(instance, None)
    if not before:
        return
    changes = {
        flag: [before[flag], getattr(instance, flag)]
        for flag in PRIVILEGE_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if changes:
        record("permission.flags", obj=instance, detail=changes)


# --- department membership, groups and permissions -----------------------------------------------


def membership_saved(sender, instance: Membership, created, raw=False, **kwargs):
    if not raw:
        _membership_changed(instance, "added" if created else "changed")


def membership_deleted(sender, instance: Membership, **kwargs):
    _membership_changed(instance, "removed")


def _membership_changed(membership: Membership, change: str) -> None:
    record(
        "permission.membership",
        obj=(User._meta.label_lower, membership.user_id),
        detail={
            "change": change,
            "department": Department.objects.filter(pk=membership.department_id)
            .values_list("code", flat=True)
            .first()
            or membership.department_id,
            "role": membership.role,
        },
    )


def _group_names(pks) -> list[str]:
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


def _permission_names(pks) -> list[str]:
    return sorted(
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
    )


# through model: (action, owner model, owner field, target field, key in detail, describe)
MANY_TO_MANY = {
    User.groups.through: ("permission.group", User, "user", "group", "groups", _group_names),
    User.user_permissions.through: (
        "permission.user",
        User,
        "user",
        "permission",
        "permissions",
        _permission_names,
    ),
    Group.permissions.through: (
        "permission.group_permissions",
        Group,
        "group",
        "permission",
        "permissions",
        _permission_names,
    ),
}
M2M_CHANGES = {"post_add": "added", "post_remove": "removed", "post_clear": "removed"}


def many_to_many_changed(sender, instance, action, reverse, pk_set, **kwargs):
    audit_action, owner, owner_field, target_field, key, describe = MANY_TO_MANY[sender]
    if action == "pre_clear":
        # After the clear nothing says what was there: note it now.
        mine, theirs = (target_field, owner_field) if reverse else (owner_field, target_field)
        _cleared[instance] = set(
            sender.objects.filter(**{f"{mine}_id": instance.pk}).values_list(
                f"{theirs}_id", flat=True
            )
        )
        return
    if action not in M2M_CHANGES:
        return
    if action == "post_clear":
        pk_set = _cleared.pop(instance, set())
    if not pk_set:
        return
    change = M2M_CHANGES[action]
    if not reverse:  # user.groups.add(...), group.permissions.remove(...)
        record(audit_action, obj=instance, detail={"change": change, key: describe(pk_set)})
        return
    # group.user_set.add(...), permission.group_set.remove(...): one entry per owner changed.
    targets = describe([instance.pk])
    for owner_pk in sorted(pk_set):
        record(
            audit_action,
            obj=(owner._meta.label_lower, owner_pk),
            detail={"change": change, key: targets},
        )


# --- object permissions (django-guardian) --------------------------------------------------------


def object_permission_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _object_permission_changed(instance, "granted")


def object_permission_deleted(sender, instance, **kwargs):
    _object_permission_changed(instance, "revoked")


def _object_permission_changed(permission_row, change: str) -> None:
    if isinstance(permission_row, UserObjectPermissionBase):
        holder = f"user:{permission_row.user.get_username()}"
    else:
        holder = f"group:{permission_row.group.name}"
    record(
        "permission.object",
        obj=_permission_target(permission_row),
        detail={
            "change": change,
            "permission": permission_row.permission.codename,
            "holder": holder,
        },
    )


def _permission_target(permission_row) -> tuple[str, str]:
    meta = permission_row._meta
    if any(field.name == "object_pk" for field in meta.fields):  # guardian's generic tables
        content_type = ContentType.objects.get_for_id(permission_row.content_type_id)
        return f"{content_type.app_label}.{content_type.model}", permission_row.object_pk
    content_object = meta.get_field("content_object")  # a direct foreign key
    return content_object.related_model._meta.label_lower, permission_row.content_object_id


# --- the Django admin ----------------------------------------------------------------------------

ADMIN_CHANGES = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def admin_change_logged(sender, instance: LogEntry, created, raw=False, **kwargs):
    """Every add, change and delete in the admin, into the chain (Django's own history is not
    tamper-evident). The admin's change message names the fields changed, not their values."""
    if not created or raw:
        return
    content_type = (
        ContentType.objects.get_for_id(instance.content_type_id)
        if instance.content_type_id
        else None
    )
    record(
        "admin.change",
        obj=(
            f"{content_type.app_label}.{content_type.model}" if content_type else "",
            instance.object_id or "",
        ),
        actor=instance.user,
        detail={
            "change": ADMIN_CHANGES.get(instance.action_flag, str(instance.action_flag)),
            "message": instance.change_message,
        },
    )
