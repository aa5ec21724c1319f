"""The one hook: a timeline event that is a legal act gets its instrument, after commit.

Every state change writes an ApplicationEvent (services/lifecycle.py), so reacting to the
event's creation covers acceptance, notices, decisions, extensions, answers and certificates
without a call in any of the functions that make them. Filing and deciding never wait: the
task is only enqueued once their transaction has committed, and a lost message is found again
by the reconciler (instruments.tasks.generate_missing_instruments).
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from services.models import ApplicationEvent

from .content import EVENT_INSTRUMENTS

logger = logging.getLogger(__name__)


@receiver(post_save, sender=ApplicationEvent, dispatch_uid="instruments-after-event")
def issue_after_commit(sender, instance: ApplicationEvent, created: bool, raw=False, **kwargs):
    if not created or raw or instance.kind not in EVENT_INSTRUMENTS:
        return
    event_id = instance.pk

    def enqueue():
        from .tasks import issue_instrument_task

        try:
            issue_instrument_task.delay(event_id)
        except Exception:
            # The event is committed; the reconciler issues its instrument once the broker is back.
            logger.warning("Broker unavailable; the instrument of event %s waits", event_id)

    transaction.on_commit(enqueue)
