"""Object permissions of filing (django-guardian): an application belongs to its applicant.

The applicant is granted view and change on the application when the draft is started, and so
are the agent or enterprise member who filed it, and the enterprise's overseers as a group
(services/parties.py); attachments are reached through their application, so the same grant
covers them.
"""

from django.db.models import Q, QuerySet

from accounts.permissions import objects_permitted

from .models import Application

VIEW_APPLICATION = "services.view_application"
CHANGE_APPLICATION = "services.change_application"


def grant_applicant(application: Application) -> None:
    from .parties import grant_filing

    grant_filing(application)


def applications_of(user, permission: str = VIEW_APPLICATION, queryset=None) -> QuerySet:
    """The applications this person may see (or change); superusers get no shortcut."""
    queryset = Application.objects.all() if queryset is None else queryset
    return objects_permitted(user, permission, queryset)


def filed_by(user) -> QuerySet:
    """The applications filed in this person's name or by them, and those of the enterprises
    they act for, that they may still see: "My applications".

    Read from the applicant's and the filer's indexes first: the permission check alone, an
    EXISTS per row, had PostgreSQL test every case of the province to find one person's few.
    """
    from accounts.enterprises import enterprises_of

    if not user.is_authenticated:
        return Application.objects.none()
    mine = Q(applicant_id=user.pk) | Q(filed_by_id=user.pk)
    enterprises = list(enterprises_of(user).values_list("pk", flat=True))
    if enterprises:
        mine |= Q(applicant_id__in=enterprises)
    return applications_of(user, queryset=Application.objects.filter(mine))
