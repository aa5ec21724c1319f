"""How the virtual government reacts to filing."""

import logging

from django.db import transaction
from django.dispatch import receiver

from services.signals import application_submitted, application_withdrawn, supplement_provided

from .decisions import resume_after_supplement
from .models import ReviewTask

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


@receiver(supplement_provided)
def continue_review(sender, application, **kwargs):
    resume_after_supplement(application)


@receiver(application_withdrawn)
def close_open_tasks(sender, application, **kwargs):
    ReviewTask.objects.filter(application=application, state__in=ReviewTask.OPEN_STATES).update(
        state=ReviewTask.State.CANCELLED
    )


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
