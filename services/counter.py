"""Counter filing (窗口代办): a service-centre clerk files for a citizen who is present.

Against the digital divide (数字鸿沟): a citizen who cannot file online brings their ID card
to the centre; the clerk identifies them by ID number (the blind index finds their account,
or one is opened for them), fills the form with them and submits. The case is the citizen's
from the first moment (they are its applicant, with its permissions); `filed_by` and the
timeline record that the centre filed it, and the citizen follows it online afterwards.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.counter import citizen_at_counter, is_service_centre_staff
from accounts.models import Department, Region, User

from . import filing
from .models import Application, ServiceItem


def require_counter_staff(user) -> None:
    if not is_service_centre_staff(user):
        raise PermissionDenied(_("Counter filing is for the staff of the service centre."))


def file_at_counter(
    clerk, *, resident_id: str, real_name: str, mobile: str = "", item: ServiceItem | None
) -> tuple[Application | None, object, str]:
    """Identify the citizen (or open their account) and start their application.

    Returns the draft (None when no item was chosen: only a claim code was wanted), the
    citizen and the claim code for the receipt ("" for an account already in use).
    """
    require_counter_staff(clerk)
    citizen, claim_code = citizen_at_counter(resident_id, real_name, clerk, mobile=mobile)
    if item is None:
        return None, citizen, claim_code
    application = filing.start_draft(item, citizen, filed_by=clerk, region=counter_region(clerk))
    return application, citizen, claim_code


def counter_region(clerk) -> Region | None:
    """The region of the clerk's service centre: where the citizen at the counter files."""
    centre = (
        Department.objects.filter(
            is_service_centre=True, memberships__user=clerk, region__isnull=False
        )
        .select_related("region")
        .order_by("code")
        .first()
    )
    return centre.region if centre else None


def counter_application(clerk, pk: int) -> Application:
    """A case filed at the counter of the clerk's own service centre, for its staff; any other
    case (another city's counter, an agent's filing) does not exist for them."""
    require_counter_staff(clerk)
    centres = Department.objects.filter(is_service_centre=True, memberships__user=clerk)
    colleagues = User.objects.filter(memberships__department__in=centres)
    return (
        Application.objects.select_related("item", "item_version", "applicant")
        .filter(filing_capacity=Application.Capacity.SERVICE_CENTRE, filed_by__in=colleagues)
        .get(pk=pk)
    )


def recently_filed_by(clerk, limit: int = 20) -> QuerySet[Application]:
    return (
        Application.objects.filter(filed_by=clerk)
        .select_related("item", "applicant")
        .order_by("-created_at")[:limit]
    )
