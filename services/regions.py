"""Which region's implementation of an item an applicant files under, and which region a page
shows: the region chosen (`?region=` with its GB/T 2260 code), else the account's, else the
portal's default (settings.DEFAULT_REGION_CODE), else the first region that publishes anything.

A district that does not implement an item is served by its city's implementation, and a city
by its province's: the nearest region up the tree that does.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Department, Region, RegionLevel

from .models import ItemImplementation, ServiceItem


def region_by_code(code: str) -> Region | None:
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        return None
    return Region.objects.select_related("parent__parent").filter(code=code).first()


# GB/T 2260 gives each level two digits: province, city, district ("00" where there is none).
LEADING_DIGITS = {RegionLevel.PROVINCE: 2, RegionLevel.CITY: 4, RegionLevel.DISTRICT: 6}


def code_prefix(region: Region) -> str:
    """The digits that the codes of `region` and of every region within it begin with: "34"
    for 安徽省 (340000), "3401" for 合肥市 (340100) and its districts, "340104" for 蜀山区."""
    return region.code[: LEADING_DIGITS.get(region.level, 6)]


def within(codes: QuerySet, field: str, region: Region | None) -> QuerySet:
    """`codes` narrowed to the rows whose `field` (a region's code) lies in `region`: a city
    with its districts, a province with its cities. Unchanged when `region` is None (all)."""
    if region is None:
        return codes
    return codes.filter(**{f"{field}__startswith": code_prefix(region)})


def regions_to_choose() -> list[Region]:
    """The regions a page's region filter offers: those with departments, and the regions they
    are part of (choosing a city includes its districts), in code order."""
    with_departments = Region.objects.filter(
        Exists(Department.objects.filter(region=OuterRef("pk")))
    ).select_related("parent__parent")
    ids = {ancestor.pk for region in with_departments for ancestor in region.with_ancestors()}
    return list(Region.objects.filter(pk__in=ids).order_by("code"))


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
        # One query, its parents with it (with_ancestors walks them): not user.region, then again.
        return Region.objects.select_related("parent__parent").get(pk=user.region_id)
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
