"""How the virtual government reacts to filing: routing after the submission commits.

A supplement and a withdrawal are not reacted to here: filing calls the review for them by
name (services/review.py, installed in approvals/apps.py), inside its own transaction.
"""

import logging

from django.db import transaction
from django.dispatch import receiver

from services.signals import application_submitted

logger = logging.getLogger(__name__)


@receiver(application_submitted)
def route_after_commit(sender, application, **kwargs):
    from .tasks import route_application_task

    def enqueue():
        try:
            route_application_task.delay(application.pk)
        except Exception:
            # The application is committed; the reconciler routes it once the broker is back.
            logger.warning(
                "Broker unavailable; %s will be routed by the reconciler",
                application.tracking_number,
            )

    transaction.on_commit(enqueue)
