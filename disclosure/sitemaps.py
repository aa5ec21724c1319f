"""sitemap.xml: public publications, published decisions and the service guides."""

from django.contrib.sitemaps import Sitemap

from .selectors import public_decisions, public_publications, public_service_items


class PublicationSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.7
    limit = 10000

    def items(self):
        return (
            public_publications()
            .select_related(None)
            .only("number", "kind", "updated_at")  # a consultation's address is its own
            .order_by("-published_at", "-id")
        )

    def lastmod(self, item):
        return item.updated_at


class DecisionSitemap(Sitemap):
    changefreq = "yearly"
    priority = 0.4
    limit = 10000

    def items(self):
        return public_decisions().only("tracking_number", "published_at").order_by("-decided_at")

    def lastmod(self, item):
        return item.published_at


class GuideSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.9

    def items(self):
        return public_service_items().only("code", "updated_at").order_by("code")

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "guides": GuideSitemap,
    "publications": PublicationSitemap,
    "decisions": DecisionSitemap,
}
