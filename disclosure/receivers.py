from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from approvals.signals import application_decided
from services.models import ItemImplementation, ServiceItem

from .letters import publish_letter
from .publishing import publish_decision
from .search import index_service_item


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
