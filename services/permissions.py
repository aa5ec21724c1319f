"""Object permissions of filing (django-guardian): an application belongs to its applicant.

The applicant is granted view and change on the application when the draft is started;
attachments are reached through their application, so the same grant covers them.
"""

from django.db.models import QuerySet

from accounts.permissions import grant_object_permissions, objects_permitted

from .models import Application

VIEW_APPLICATION = "services.view_application"
CHANGE_APPLICATION = "services.change_application"


def grant_applicant(application: Application) -> None:
    grant_object_permissions(
        application.applicant, [VIEW_APPLICATION, CHANGE_APPLICATION], application
    )


def applications_of(user, permission: str = VIEW_APPLICATION, queryset=None) -> QuerySet:
    """The applications this person may see (or change); superusers get no shortcut."""
    queryset = Application.objects.all() if queryset is None else queryset
    return objects_permitted(user, permission, queryset)


def filed_by(user) -> QuerySet:
    """The applications this person filed and may still see: "My applications".

    Read from the applicant's index first: the permission check alone, an EXISTS per row,
    had PostgreSQL test every case of the province to find one person's few.
    """
    return applications_of(user, queryset=Application.objects.filter(applicant_id=user.pk))
