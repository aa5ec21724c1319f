"""Atom feeds of public publications: everything, per kind and per department.

Read through disclosure.selectors, so a feed can carry nothing that is not public.
"""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from accounts.models import Department

from .models import Publication
from .selectors import public_publications

FEED_LENGTH = 30


class LatestPublicationsFeed(Feed):
    feed_type = Atom1Feed
    title = _("Government information disclosure: latest publications")
    subtitle = _("Notices, policy documents, statistics and reports published by the government.")

    def link(self, obj=None):
        return reverse("disclosure:publications")

    def publications(self, obj):
        return public_publications()

    def items(self, obj=None):
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
        return kind

    def title(self, obj):
        return _("Government information disclosure: %(kind)s") % {
            "kind": Publication.Kind(obj).label
        }

    def link(self, obj=None):
        return reverse("disclosure:publications") + f"?kind={obj}"

    def publications(self, obj):
        return public_publications().filter(kind=obj)


class DepartmentFeed(LatestPublicationsFeed):
    def get_object(self, request, code: str):
        return get_object_or_404(Department, code=code)

    def title(self, obj):
        return _("Publications of %(department)s") % {"department": obj.display_name}

    def link(self, obj=None):
        return reverse("disclosure:publications") + f"?department={obj.code}"

    def publications(self, obj):
        return public_publications().filter(department=obj)
