"""Reactions of disclosure to the stages before it, and the search pages' token.

Anonymous visitors' search result pages are kept in the page cache (common/page_cache.py)
under SEARCH_PAGES, the publications' token: a new one whenever what a search finds or shows
may change (a publication saved or deleted, published, withdrawn; a guide indexed; a
department renamed), at once and again after the commit, as the catalogue's.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Department
from approvals.signals import application_decided
from common.page_cache import page_changed
from services.models import ItemImplementation, ServiceItem

from .letters import publish_letter
from .models import CatalogueSearchEntry, Publication
from .publishing import publish_decision
from .search import index_service_item

SEARCH_PAGES = "publications"


def search_pages_changed(**_signal_arguments) -> None:
    page_changed(SEARCH_PAGES)
    transaction.on_commit(lambda: page_changed(SEARCH_PAGES))


for _model in (Publication, CatalogueSearchEntry, Department, ServiceItem, ItemImplementation):
    post_save.connect(search_pages_changed, sender=_model, dispatch_uid=f"search-{_model.__name__}")
    post_delete.connect(
        search_pages_changed, sender=_model, dispatch_uid=f"search-del-{_model.__name__}"
    )


@receiver(application_decided)
def publish_in_register(sender, application, **kwargs):
    if application.definition.item.is_letter:
        # A letter is not a permit decision: published (masked) only if its writer agreed.
        publish_letter(application)
        return
    publish_decision(application)


@receiver(post_save, sender=ServiceItem)
def keep_catalogue_searchable(sender, instance, raw=False, **kwargs):
    """The guide's search entry follows every save of the item, published or not."""
    if not raw:
        index_service_item(instance)


@receiver(post_save, sender=ItemImplementation)
@receiver(post_delete, sender=ItemImplementation)
def follow_publication(sender, instance, raw=False, **kwargs):
    """An item is searchable while some region publishes it."""
    if not raw:
        index_service_item(instance.item)
