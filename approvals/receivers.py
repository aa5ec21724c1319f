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


def recount_after_commit(sender, **kwargs):
    """A calendar day was saved or deleted: recount open deadlines once the edit commits.

    One message per transaction, however many days it changed; the beat reconciler recounts
    if the broker is down (approvals.tasks.recount_deadlines_task).
    """
    from .tasks import recount_deadlines_task

    def enqueue():
        try:
            recount_deadlines_task.delay()
        except Exception:
            logger.warning("Broker unavailable; deadlines are recounted by the reconciler")

    transaction.on_commit(enqueue)
