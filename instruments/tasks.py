"""What the instruments do by themselves. Each task takes ids and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.transient import TRANSIENT_ERRORS

from .generation import events_without_instrument, issue_instrument

logger = logging.getLogger(__name__)


@shared_task
def issue_instrument_task(event_id: int) -> None:
    issue_instrument(event_id)


@shared_task
def generate_missing_instruments() -> int:
    """Reconciler: the instruments of events whose message was lost (broker down, worker killed)."""
    ids = events_without_instrument(timezone.now() - settings.INSTRUMENT_GRACE)
    for event_id in ids:
        try:
            issue_instrument(event_id)
        except TRANSIENT_ERRORS:
            raise  # the database is away: retry the whole run later (PortalTask)
        except Exception:
            # One broken case must not hold up the instruments of all the others.
            logger.exception("Could not issue the instrument of event %s", event_id)
    return len(ids)
