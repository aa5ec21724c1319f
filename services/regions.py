"""Which region's implementation of an item an applicant files under, and which region a page
shows: the region chosen (`?region=` with its GB/T 2260 code), else the account's, else the
portal's default (settings.DEFAULT_REGION_CODE), else the first region that publishes anything.

A district that does not implement an item is served by its city's implementation, and a city
by its province's: the nearest region up the tree that does.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Region

from .models import ItemImplementation, ServiceItem


def region_by_code(code: str) -> Region | None:
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        return None
    return Region.objects.select_related("parent__parent").filter(code=code).first()


def default_region() -> Region | None:
    """The portal's own region: the configured one, else the first that publishes an item."""
    return region_by_code(settings.DEFAULT_REGION_CODE) or (
        Region.objects.filter(implementations__is_published=True).order_by("code").first()
    )


def chosen_region(request) -> Region | None:
    """The region a page shows: `?region=`, else the person's account's, else the default."""
    chosen = region_by_code(request.GET.get("region", ""))
    if chosen is not None:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.region_id:
        return region_by_code(user.region.code)
    return default_region()


def implementation_for(item: ServiceItem, region: Region | None) -> ItemImplementation:
    """The published implementation that serves `region`: its own, else the nearest region's
    up the tree. Without a region: the only published one, else the default region's.

    ValidationError, in the reader's language, when no region serves the item."""
    published = ItemImplementation.objects.filter(item=item, is_published=True).select_related(
        "region", "item"
    )
    by_region = {implementation.region_id: implementation for implementation in published}
    if region is None:
        if len(by_region) == 1:
            return next(iter(by_region.values()))
        region = default_region()
    for candidate in region.with_ancestors() if region is not None else []:
        if candidate.pk in by_region:
            return by_region[candidate.pk]
    if region is None:
        raise ValidationError(_("This service is not open for applications."))
    raise ValidationError(
        _("This service is not offered in %(region)s.") % {"region": region.display_name}
    )
