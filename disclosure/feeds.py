"""Atom feeds of public publications (everything, per kind and per department) and of the
decision register; the first two and the register's take `?region=` (docs/regions.md).

Read through disclosure.selectors, so a feed can carry nothing that is not public.
"""

from typing import NamedTuple

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department, Region

from .forms import RegionForm
from .models import DecisionRecord, Publication
from .selectors import public_decisions, public_publications, public_publications_of

FEED_LENGTH = 30


class FeedScope(NamedTuple):
    """What a feed carries: one region's (None: every region's), one kind's or department's."""

    region: Region | None
    kind: str = ""
    department: Department | None = None


def region_of_feed(request) -> Region | None:
    """The feed's `?region=`; a code that names no region has no feed (404)."""
    form = RegionForm(request.GET)
    if not form.is_valid():
        raise Http404(_("There is no region with this code. Choose one from the list."))
    return form.cleaned_data["region"]


def in_region(title: str, scope: FeedScope) -> str:
    if scope.region is None:
        return title
    return _("%(title)s — %(region)s") % {"title": title, "region": scope.region.display_name}


def with_region(url: str, scope: FeedScope, **query) -> str:
    if scope.region is not None:
        query["region"] = scope.region.code
    return f"{url}?{urlencode(query)}" if query else url


class LatestPublicationsFeed(Feed):
    feed_type = Atom1Feed
    subtitle = gettext_lazy(
        "Notices, policy documents, statistics and reports published by the government."
    )

    def get_object(self, request):
        return FeedScope(region=region_of_feed(request))

    def title(self, obj: FeedScope) -> str:
        return in_region(_("Government information disclosure: latest publications"), obj)

    def link(self, obj: FeedScope) -> str:
        return with_region(reverse("disclosure:publications"), obj)

    def publications(self, obj: FeedScope):
        return public_publications_of(obj.region)

    def items(self, obj: FeedScope):
        return self.publications(obj).order_by("-published_at", "-id")[:FEED_LENGTH]

    def item_title(self, item: Publication) -> str:
        return f"{item.number} {item.title}"

    def item_description(self, item: Publication) -> str:
        return item.body[:500]

    def item_link(self, item: Publication) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Publication):
        return item.published_at

    def item_updateddate(self, item: Publication):
        return item.updated_at

    def item_author_name(self, item: Publication) -> str:
        return item.department.display_name

    def item_categories(self, item: Publication):
        return [item.get_kind_display()]


class KindFeed(LatestPublicationsFeed):
    def get_object(self, request, kind: str):
        if kind not in Publication.Kind.values:
            raise Http404(_("No such kind of publication."))
        return FeedScope(region=region_of_feed(request), kind=kind)

    def title(self, obj: FeedScope) -> str:
        title = _("Government information disclosure: %(kind)s") % {
            "kind": Publication.Kind(obj.kind).label
        }
        return in_region(title, obj)

    def link(self, obj: FeedScope) -> str:
        return with_region(reverse("disclosure:publications"), obj, kind=obj.kind)

    def publications(self, obj: FeedScope):
        return public_publications_of(obj.region).filter(kind=obj.kind)


class DepartmentFeed(LatestPublicationsFeed):
    """A department is of one region: its feed needs no region."""

    def get_object(self, request, code: str):
        return FeedScope(region=None, department=get_object_or_404(Department, code=code))

    def title(self, obj: FeedScope) -> str:
        return _("Publications of %(department)s") % {"department": obj.department.display_name}

    def link(self, obj: FeedScope) -> str:
        return reverse("disclosure:publications") + f"?department={obj.department.code}"

    def publications(self, obj: FeedScope):
        return public_publications().filter(department=obj.department)


class DecisionsFeed(Feed):
    """The decision register as it grows (Administrative License Law Art. 40), masked."""

    feed_type = Atom1Feed
    subtitle = gettext_lazy(
        "Permit decisions as soon as they are taken. Names and personal identifiers are masked."
    )

    def get_object(self, request):
        return FeedScope(region=region_of_feed(request))

    def title(self, obj: FeedScope) -> str:
        return in_region(_("Permit decisions"), obj)

    def link(self, obj: FeedScope) -> str:
        return with_region(reverse("disclosure:decisions"), obj)

    def items(self, obj: FeedScope):
        return public_decisions(obj.region).order_by("-decided_at", "-id")[:FEED_LENGTH]

    def item_title(self, item: DecisionRecord) -> str:
        return f"{item.tracking_number} {item.display_item_name}: {item.get_outcome_display()}"

    def item_description(self, item: DecisionRecord) -> str:
        return _("Applicant: %(applicant)s. Departments: %(departments)s.") % {
            "applicant": item.applicant_display,
            "departments": item.departments,
        }

    def item_link(self, item: DecisionRecord) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: DecisionRecord):
        return item.decided_at

    def item_categories(self, item: DecisionRecord):
        return [item.get_outcome_display()]
