"""Enterprises act through people (issue 17 §3): a legal representative, administrators, clerks.

An enterprise account holds the enterprise's cases; its members are other accounts, each in one
role (accounts.models.EnterpriseMember). The legal representative and administrators oversee:
they see and may withdraw every case of the enterprise, through the enterprise's "overseers"
group, which services grants each case of the enterprise. A clerk files for the enterprise and
sees what they filed. An administrator (or the enterprise account itself) invites members, by a
link or a code that a logged-in account accepts, and removes them.

Every check reads the membership table on each request, and a removal deletes the row, takes
the person out of the group and (services/parties.py, on the post_delete signal) revokes what
they were granted on the enterprise's cases: it takes effect on their next request, whether it
comes from a browser session or an API token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record
from .models import EnterpriseInvitation, EnterpriseMember, EnterpriseRole, User

INVITATION_VALID_FOR = timedelta(days=7)
OVERSEEING_ROLES = (EnterpriseRole.LEGAL_REPRESENTATIVE, EnterpriseRole.ADMINISTRATOR)


def overseers_group(enterprise_id: int) -> Group:
    """The group granted every case of the enterprise: its legal representative and admins."""
    return Group.objects.get_or_create(name=f"enterprise-{enterprise_id}-overseers")[0]


def role_in(enterprise: User, person: User) -> str | None:
    """The role `person` holds in `enterprise` now, read from the table (never cached)."""
    if not person.is_authenticated:
        return None
    return (
        EnterpriseMember.objects.filter(enterprise=enterprise, member=person)
        .values_list("role", flat=True)
        .first()
    )


def enterprises_of(person: User, roles=None) -> QuerySet[User]:
    """The enterprises `person` acts for (in one of `roles`, if given)."""
    if not person.is_authenticated:
        return User.objects.none()
    memberships = EnterpriseMember.objects.filter(member=person)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return User.objects.filter(
        kind=User.Kind.ENTERPRISE, pk__in=memberships.values("enterprise_id")
    ).order_by("enterprise_name")


def may_manage_members(person: User, enterprise: User) -> bool:
    if not person.is_authenticated or enterprise.kind != User.Kind.ENTERPRISE:
        return False
    return person.pk == enterprise.pk or role_in(enterprise, person) == EnterpriseRole.ADMINISTRATOR


def _refuse(message: str, *, enterprise: User, actor: User, reason: str) -> None:
    """Log the refusal (it commits: the caller's transaction is not entered yet) and raise."""
    record(
        "enterprise.refused",
        obj=enterprise,
        actor=actor,
        detail={"reason": reason},
    )
    raise PermissionDenied(message)


def _sync_overseers(enterprise: User, person: User, role: str | None) -> None:
    group = overseers_group(enterprise.pk)
    if role in OVERSEEING_ROLES:
        person.groups.add(group)
    else:
        person.groups.remove(group)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def invite(*, enterprise: User, role: str, invited_by: User) -> tuple[EnterpriseInvitation, str]:
    """Open an invitation; return it with its code (shown once, stored only as a hash)."""
    if not may_manage_members(invited_by, enterprise):
        _refuse(
            _("Only the enterprise's administrator may invite members."),
            enterprise=enterprise,
            actor=invited_by,
            reason="not_administrator",
        )
    if role not in EnterpriseRole.values:
        raise ValidationError(_("Choose a role."))
    code = secrets.token_hex(5).upper()  # ten characters: read out at a counter, typed on a phone
    with transaction.atomic():
        invitation = EnterpriseInvitation.objects.create(
            enterprise=enterprise,
            role=role,
            code_hash=hash_code(code),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_VALID_FOR,
        )
        record("enterprise.invited", obj=enterprise, actor=invited_by, detail={"role": role})
    return invitation, code


def pending_invitation(code: str) -> EnterpriseInvitation | None:
    return (
        EnterpriseInvitation.objects.select_related("enterprise")
        .filter(code_hash=hash_code(code), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def accept_invitation(*, code: str, person: User) -> EnterpriseMember:
    """The invited person, logged in, accepts: they become a member in the invitation's role."""
    invitation = pending_invitation(code)
    if invitation is None:
        raise ValidationError(_("This invitation code is unknown, used or expired."))
    if person.kind != User.Kind.CITIZEN:
        raise ValidationError(_("Only a personal (citizen) account can act for an enterprise."))
    try:
        with transaction.atomic():
            claimed = EnterpriseInvitation.objects.filter(
                pk=invitation.pk, accepted_at__isnull=True
            ).update(accepted_at=timezone.now(), accepted_by=person)
            if not claimed:
                raise ValidationError(_("This invitation code is unknown, used or expired."))
            member = EnterpriseMember.objects.create(
                enterprise=invitation.enterprise, member=person, role=invitation.role
            )
            _sync_overseers(invitation.enterprise, person, invitation.role)
            record(
                "enterprise.member_added",
                obj=invitation.enterprise,
                actor=person,
                detail={"member": person.pk, "role": invitation.role},
            )
    except IntegrityError:
        raise ValidationError(
            _("You already act for this enterprise, or it already has a legal representative.")
        ) from None
    return member


def add_member(*, enterprise: User, person: User, role: str) -> EnterpriseMember:
    """Record a member directly (the demo, the admin); the same groups and audit as accepting."""
    with transaction.atomic():
        member, _created = EnterpriseMember.objects.update_or_create(
            enterprise=enterprise, member=person, defaults={"role": role}
        )
        _sync_overseers(enterprise, person, role)
        record(
            "enterprise.member_added",
            obj=enterprise,
            detail={"member": person.pk, "role": role},
        )
    return member


def remove_member(*, enterprise: User, member_id: int, actor: User) -> None:
    """Remove a member: from the next request on they act for the enterprise no more."""
    if not may_manage_members(actor, enterprise):
        _refuse(
            _("Only the enterprise's administrator may remove members."),
            enterprise=enterprise,
            actor=actor,
            reason="not_administrator",
        )
    with transaction.atomic():
        member = (
            EnterpriseMember.objects.select_for_update()
            .select_related("member")
            .filter(enterprise=enterprise, pk=member_id)
            .first()
        )
        if member is None:
            raise ValidationError(_("This person is not a member of the enterprise."))
        person, role = member.member, member.role
        member.delete()
        _sync_overseers(enterprise, person, None)
        record(
            "enterprise.member_removed",
            obj=enterprise,
            actor=actor,
            detail={"member": person.pk, "role": role},
        )
