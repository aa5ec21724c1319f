"""Who may draft, approve and withdraw publications, and see a department's statistics.

Object permissions (django-guardian), granted to the department groups of
accounts.permissions when a draft is created, as approvals does for tasks: every civil servant
of the department may see and edit its drafts; its reviewers and heads may approve (never
their own draft: the four-eyes rule is checked in disclosure.publishing and by a database
constraint) and withdraw. A department's heads see its internal statistics.
"""

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user

from accounts.models import Department
from accounts.permissions import department_group, departments_of, is_civil_servant

from .models import Consultation, Publication

VIEW_PUBLICATION = "disclosure.view_publication"
APPROVE_PUBLICATION = "disclosure.change_publication"


def grant_publication(publication: Publication) -> None:
    assign_perm(VIEW_PUBLICATION, department_group(publication.department_id, "staff"), publication)
    assign_perm(
        APPROVE_PUBLICATION, department_group(publication.department_id, "reviewers"), publication
    )


def _objects(user, permission: str, queryset: QuerySet) -> QuerySet:
    if not is_civil_servant(user):
        return queryset.none()
    return get_objects_for_user(
        user, permission, queryset, with_superuser=False, accept_global_perms=False
    )


def visible_publications(user) -> QuerySet[Publication]:
    """Every publication, of every grade and state, of the person's departments."""
    return _objects(user, VIEW_PUBLICATION, Publication.objects.all())


def can_approve(user, publication: Publication) -> bool:
    return (
        publication.author_id != user.pk
        and _objects(
            user, APPROVE_PUBLICATION, Publication.objects.filter(pk=publication.pk)
        ).exists()
    )


def can_withdraw(user, publication: Publication) -> bool:
    return _objects(
        user, APPROVE_PUBLICATION, Publication.objects.filter(pk=publication.pk)
    ).exists()


def drafting_departments(user) -> QuerySet[Department]:
    return departments_of(user)


def statistics_departments(user) -> QuerySet[Department]:
    """The departments whose internal statistics this person may see: those they head."""
    if not is_civil_servant(user):
        return Department.objects.none()
    heads_groups = user.groups.filter(name__regex=r"^department-\d+-heads$").values_list(
        "name", flat=True
    )
    ids = [int(name.split("-")[1]) for name in heads_groups]
    return Department.objects.filter(pk__in=ids)


# --- consultations: the draft's permissions are its publication's ------------------------------


def visible_consultations(user) -> QuerySet[Consultation]:
    """The consultations of the person's departments, drafts included."""
    return Consultation.objects.filter(publication__in=visible_publications(user))


def moderated_consultations(user) -> QuerySet[Consultation]:
    """The consultations whose comments this person may moderate: the department's reviewers
    and heads, as for approving and withdrawing its publications."""
    return Consultation.objects.filter(
        publication__in=_objects(user, APPROVE_PUBLICATION, Publication.objects.all())
    )


def can_moderate(user, consultation: Consultation) -> bool:
    return can_withdraw(user, consultation.publication)
