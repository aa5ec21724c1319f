"""What the virtual government does by itself. Each task takes ids and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from .routing import route_application, unrouted_application_ids

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def route_application_task(application_id: int) -> None:
    route_application(application_id)


@shared_task
def route_unrouted_applications() -> int:
    """Reconciler: route submissions whose message was lost (broker down, worker crashed)."""
    ids = unrouted_application_ids(timezone.now() - settings.ROUTING_GRACE)
    for application_id in ids:
        try:
            route_application(application_id)
        except Exception:
            # One broken case (a misconfigured item, say) must not hold up all the others.
            logger.exception("Could not route application %s", application_id)
    return len(ids)
