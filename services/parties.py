"""Who is who on a case (issue 17): the filer, the applicant they file for, the licensed party.

- The *applicant* is the account in whose name a case is filed: the principal. It sees every
  case filed in its name and may withdraw it.
- The *filer* (`Application.filed_by`) is the account that filed for the applicant, when it is
  not the applicant: a service-centre clerk, an agent under an authorisation (委托代办), or a
  member of the enterprise the case is filed for (an enterprise's clerk, 经办人).
- The *licensed party* (subject, 行政相对人) is who the decision, the register, the
  e-certificate and the instruments name: the applicant's account, or, for an item whose
  subject is a new entity (Business start-up), the entity named in the form, with the unified
  social credit code it receives later.

`entitlement_to_file` decides whether a person may file for an applicant, and is asked again
at every step of a draft (saving, submitting): a revoked or expired authorisation, or a removed
member, stops the filing at once. A refusal says why in the person's language and is written to
the audit log; it never changes a case already filed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.enterprises import enterprises_of, overseers_group, role_in
from accounts.identity import is_valid_credit_code, mask_resident_id
from accounts.models import EnterpriseMember, EnterpriseRole, User
from accounts.permissions import Grant, grant_all

from .materials import ACCEPTED_TYPES
from .models import (
    Application,
    ApplicationUserObjectPermission,
    Authorisation,
    FilingCapacity,
    ServiceItem,
    SubjectRule,
)

VIEW_APPLICATION = "services.view_application"
CHANGE_APPLICATION = "services.change_application"

NATURAL_PERSON = "natural_person"
ORGANISATION = "organisation"


# --- the licensed party --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The licensed party as decisions name it. `identifier`: the credit code of an
    organisation, the masked resident ID of a person (never the full number)."""

    name: str
    identifier: str
    kind: str  # NATURAL_PERSON or ORGANISATION
    account: User | None

    @property
    def is_natural_person(self) -> bool:
        return self.kind == NATURAL_PERSON


def subject_of(application: Application) -> Subject:
    """The licensed party of a case: its account, or the new entity named in the form."""
    if (
        application.status == Application.Status.DRAFT
        and application.item.subject_rule == SubjectRule.NEW_ENTITY
    ):
        # Fixed on submission; until then, whatever name the form holds so far.
        field = application.item.subject_name_field
        return Subject(str(application.answers.get(field, "")).strip(), "", ORGANISATION, None)
    account = application.subject_account
    if account is None and application.subject_name:
        return Subject(
            application.subject_name, application.subject_credit_code, ORGANISATION, None
        )
    if account is None:  # a case frozen without one (cannot happen since migration 0060)
        account = application.applicant
    if account.is_natural_person:
        return Subject(
            account.real_name, mask_resident_id(account.resident_id), NATURAL_PERSON, account
        )
    return Subject(account.enterprise_name, account.credit_code, ORGANISATION, account)


def fix_subject(application: Application) -> None:
    """Set the licensed party from the item's rule and the answers (called on submission)."""
    item = application.item
    if item.subject_rule == SubjectRule.NEW_ENTITY:
        name = str(application.answers.get(item.subject_name_field, "")).strip()
        if not name:
            raise ValidationError(_("Give the name of the entity to be licensed."))
        application.subject_account = None
        application.subject_name = name[:128]
    else:
        application.subject_account = application.applicant
        application.subject_name = ""


@transaction.atomic
def record_subject_credit_code(application: Application, credit_code: str, actor) -> None:
    """The new entity, once registered, receives its unified social credit code."""
    credit_code = credit_code.strip().upper()
    if not is_valid_credit_code(credit_code):
        raise ValidationError(_("This unified social credit code fails its check character."))
    if application.subject_account_id is not None:
        raise ValidationError(_("The licensed party of this case is an account."))
    Application.objects.filter(pk=application.pk).update(subject_credit_code=credit_code)
    application.subject_credit_code = credit_code
    record("party.credit_code", obj=application, actor=actor, detail={"credit_code": credit_code})


def filed_for_line(application: Application) -> str:
    """ "X for Y": who filed the case for whom, for the timeline and the staff case page."""
    applicant = application.applicant.applicant_name or application.applicant.username
    filer = application.filed_by
    if filer is None or application.filing_capacity == FilingCapacity.IN_PERSON:
        return applicant
    filer_name = filer.real_name or filer.username
    if application.filing_capacity == FilingCapacity.AGENT:
        return _("%(agent)s (agent) for %(principal)s") % {
            "agent": filer_name,
            "principal": applicant,
        }
    if application.filing_capacity == FilingCapacity.ENTERPRISE_MEMBER:
        return _("%(member)s (clerk) for %(enterprise)s") % {
            "member": filer_name,
            "enterprise": applicant,
        }
    return _("%(clerk)s (service centre) for %(applicant)s") % {
        "clerk": filer_name,
        "applicant": applicant,
    }


def case_recipients(application: Application) -> list[User]:
    """Who hears about a case: the applicant, and the agent or member who filed it."""
    recipients = [application.applicant]
    if application.filing_capacity in (FilingCapacity.AGENT, FilingCapacity.ENTERPRISE_MEMBER):
        recipients.append(application.filed_by)
    return recipients


# --- entitlement to file -------------------------------------------------------------------------


@dataclass(frozen=True)
class Entitlement:
    capacity: str
    authorisation: Authorisation | None = None


def active_authorisations(*, agent: User, on: date | None = None) -> QuerySet[Authorisation]:
    on = on or timezone.localdate()
    return Authorisation.objects.filter(
        agent=agent, revoked_at__isnull=True, valid_from__lte=on, valid_until__gte=on
    )


def refuse(message: str, *, actor: User, applicant: User, item: ServiceItem, reason: str):
    """Write the refusal to the audit log (committed on its own) and raise it."""
    record(
        "party.refused",
        obj=applicant,
        actor=actor,
        detail={"reason": reason, "item": item.code},
    )
    raise PermissionDenied(message)


def entitlement_to_file(filer: User, applicant: User, item: ServiceItem) -> Entitlement:
    """In what capacity `filer` may file `item` for `applicant`, or PermissionDenied saying why."""
    if filer.pk == applicant.pk:
        if item.subject_rule == SubjectRule.ENTERPRISE and applicant.is_natural_person:
            refuse(
                _("This service is filed for an enterprise: choose the enterprise you act for."),
                actor=filer,
                applicant=applicant,
                item=item,
                reason="needs_enterprise",
            )
        return Entitlement(FilingCapacity.IN_PERSON)
    if applicant.kind == User.Kind.ENTERPRISE and filer.kind == User.Kind.CITIZEN:
        if role_in(applicant, filer) is not None:
            return Entitlement(FilingCapacity.ENTERPRISE_MEMBER)
        refuse(
            _("You are not a member of %(enterprise)s: you cannot file for it.")
            % {"enterprise": applicant.applicant_name},
            actor=filer,
            applicant=applicant,
            item=item,
            reason="not_a_member",
        )
    return Entitlement(FilingCapacity.AGENT, authorisation_for(filer, applicant, item))


def authorisation_for(agent: User, principal: User, item: ServiceItem) -> Authorisation:
    """The authorisation under which `agent` may file `item` for `principal` today."""
    today = timezone.localdate()
    given = Authorisation.objects.filter(agent=agent, principal=principal)
    valid = given.filter(revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today)
    covering = valid.filter(Q(item__isnull=True) | Q(item=item)).order_by("-valid_until").first()
    if covering is not None:
        return covering
    name = principal.applicant_name or principal.username
    if valid.exists():
        message, reason = (
            _("Your authorisation from %(principal)s does not cover this service.")
            % {"principal": name},
            "outside_authorisation",
        )
    elif given.filter(revoked_at__isnull=False).exists():
        message, reason = (
            _("Your authorisation from %(principal)s has been revoked.") % {"principal": name},
            "revoked",
        )
    elif given.filter(valid_until__lt=today).exists():
        message, reason = (
            _("Your authorisation from %(principal)s has expired.") % {"principal": name},
            "expired",
        )
    elif given.filter(valid_from__gt=today).exists():
        message, reason = (
            _("Your authorisation from %(principal)s is not valid yet.") % {"principal": name},
            "not_yet_valid",
        )
    else:
        message, reason = (
            _("%(principal)s has not authorised you to file for them.") % {"principal": name},
            "not_authorised",
        )
    refuse(message, actor=agent, applicant=principal, item=item, reason=reason)


def check_still_entitled(application: Application, actor: User) -> None:
    """Before a draft is saved or submitted by someone filing for another: still allowed?"""
    if application.status != Application.Status.DRAFT:
        return  # a case already filed is never altered by a later revocation
    if actor.pk == application.applicant_id or application.filing_capacity in (
        FilingCapacity.IN_PERSON,
        FilingCapacity.SERVICE_CENTRE,
    ):
        return
    entitlement_to_file(actor, application.applicant, application.item)


def principals_of(filer: User, item: ServiceItem | None = None) -> list[tuple[int, str]]:
    """Whom `filer` may file for today (enterprises they are a member of, principals who
    authorised them), as (account id, name) choices for the apply button."""
    choices = [(e.pk, e.enterprise_name) for e in enterprises_of(filer)]
    authorisations = active_authorisations(agent=filer).select_related("principal")
    if item is not None:
        authorisations = authorisations.filter(Q(item__isnull=True) | Q(item=item))
    seen = {pk for pk, _name in choices}
    for authorisation in authorisations:
        principal = authorisation.principal
        if principal.pk not in seen:
            seen.add(principal.pk)
            choices.append((principal.pk, principal.applicant_name or principal.username))
    return choices


def grant_filing(application: Application) -> None:
    """Who may see and change a new case: the applicant, the agent or member who filed it, and
    the enterprise's overseers (legal representative, administrators) through their group."""
    rights = [VIEW_APPLICATION, CHANGE_APPLICATION]
    grants = [Grant(application.applicant, rights, application)]
    if application.filing_capacity in (FilingCapacity.AGENT, FilingCapacity.ENTERPRISE_MEMBER):
        grants.append(Grant(application.filed_by, rights, application))
    if application.applicant.kind == User.Kind.ENTERPRISE:
        grants.append(Grant(overseers_group(application.applicant_id), rights, application))
    grant_all(grants)  # one INSERT for the people, one for the group


def may_withdraw(person: User, application: Application) -> bool:
    """The principal withdraws, and an enterprise's overseers; not the agent who filed it."""
    if person.pk == application.applicant_id:
        return True
    if application.applicant.kind == User.Kind.ENTERPRISE:
        return role_in(application.applicant, person) in (
            EnterpriseRole.LEGAL_REPRESENTATIVE,
            EnterpriseRole.ADMINISTRATOR,
        )
    return False


def revoke_member_grants(*, enterprise_id: int, member_id: int) -> None:
    """A removed member keeps nothing they were granted on the enterprise's cases."""
    ApplicationUserObjectPermission.objects.filter(
        user_id=member_id, content_object__applicant_id=enterprise_id
    ).delete()


def member_removed(sender, instance: EnterpriseMember, **_kwargs) -> None:
    revoke_member_grants(enterprise_id=instance.enterprise_id, member_id=instance.member_id)


# --- authorisations ------------------------------------------------------------------------------


def agent_by_username(username: str) -> User:
    agent = User.objects.filter(username=username.strip(), is_active=True).first()
    if agent is None or agent.kind == User.Kind.STAFF:
        raise ValidationError(_("No personal or enterprise account has this user name."))
    return agent


@transaction.atomic
def authorise(
    *,
    principal: User,
    agent: User,
    item: ServiceItem | None,
    valid_from: date,
    valid_until: date,
    power_of_attorney,
) -> Authorisation:
    """Record a power of attorney. `power_of_attorney`: an upload whose type was sniffed
    (services.forms.MaterialField): PDF, JPEG or PNG only."""
    if principal.kind == User.Kind.STAFF or principal.pk == agent.pk:
        raise ValidationError(_("Authorise another personal or enterprise account."))
    if valid_until < valid_from:
        raise ValidationError(_("The authorisation must end on or after the day it begins."))
    if valid_until < timezone.localdate():
        raise ValidationError(_("The authorisation would already have ended."))
    content_type = getattr(power_of_attorney, "sniffed_type", None)
    if content_type not in ACCEPTED_TYPES:
        raise ValidationError(_("The power of attorney must be a PDF, JPEG or PNG file."))
    power_of_attorney.seek(0)
    content = power_of_attorney.read()
    power_of_attorney.seek(0)
    authorisation = Authorisation(
        principal=principal,
        agent=agent,
        item=item,
        valid_from=valid_from,
        valid_until=valid_until,
        storage_name=f"{secrets.token_hex(16)}.{ACCEPTED_TYPES[content_type]}",
        original_name=power_of_attorney.name[:255],
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    authorisation.power_of_attorney.save(authorisation.storage_name, power_of_attorney, save=False)
    authorisation.save()
    record(
        "party.authorised",
        obj=authorisation,
        actor=principal,
        detail={
            "agent": agent.pk,
            "item": item.code if item else "",
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "sha256": authorisation.sha256,
        },
    )
    return authorisation


@transaction.atomic
def revoke_authorisation(authorisation_id: int, actor: User) -> Authorisation:
    """The principal ends an authorisation at once; cases already filed stay as they are."""
    authorisation = (
        Authorisation.objects.select_for_update()
        .filter(pk=authorisation_id, principal=actor)
        .first()
    )
    if authorisation is None:
        raise PermissionDenied(_("Only the principal may revoke this authorisation."))
    if authorisation.revoked_at is None:
        authorisation.revoked_at = timezone.now()
        authorisation.revoked_by = actor
        authorisation.save(update_fields=["revoked_at", "revoked_by"])
        record(
            "party.revoked",
            obj=authorisation,
            actor=actor,
            detail={"agent": authorisation.agent_id},
        )
    return authorisation


def authorisations_of(person: User) -> QuerySet[Authorisation]:
    """Authorisations the person gave or received, newest first."""
    return (
        Authorisation.objects.filter(Q(principal=person) | Q(agent=person))
        .select_related("principal", "agent", "item")
        .order_by("-created_at")
    )


def is_active(authorisation: Authorisation, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return (
        authorisation.revoked_at is None
        and authorisation.valid_from <= on <= authorisation.valid_until
    )
