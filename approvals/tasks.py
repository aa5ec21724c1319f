"""What the virtual government does by itself. Each task takes ids and is safe to run twice.

Transient database and broker errors are retried with backoff by the base task class
(portal/celery.py, PortalTask).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.transient import TRANSIENT_ERRORS

from .calendar import seed_china_calendar
from .claims import lapse_idle_claims
from .notifications import tell_escalations, tell_reminders
from .recount import recount_deadlines
from .routing import route_application, unrouted_application_ids
from .timeouts import claim_due_reminders, sweep_overdue_tasks

logger = logging.getLogger(__name__)


@shared_task
def route_application_task(application_id: int) -> None:
    route_application(application_id)


@shared_task
def route_unrouted_applications() -> int:
    """Reconciler: route submissions whose message was lost (broker down, worker crashed)."""
    ids = unrouted_application_ids(timezone.now() - settings.ROUTING_GRACE)
    for application_id in ids:
        try:
            route_application(application_id)
        except TRANSIENT_ERRORS:
            raise  # the database is away: retry the whole run later (PortalTask), not case by case
        except Exception:
            # One broken case (a misconfigured item, say) must not hold up all the others.
            logger.exception("Could not route application %s", application_id)
    return len(ids)


@shared_task
def sweep_deadlines() -> dict:
    """Every minute: deemed approvals and escalations past their deadline, reminders, and idle
    claims back to their queue."""
    result = sweep_overdue_tasks()
    reminded = claim_due_reminders()
    lapsed = lapse_idle_claims()
    # Inbox lines now, e-mails by their own tasks (accounts.tasks.email_notification).
    tell_escalations(result.escalated)
    tell_reminders(reminded)
    return {
        "deemed_approved": len(result.deemed_approved),
        "escalated": len(result.escalated),
        "reminded": len(reminded),
        "claims_lapsed": len(lapsed),
    }


@shared_task
def recount_deadlines_task() -> int:
    """After a calendar edit (sent on commit) and every minute: deadlines on today's calendar."""
    return len(recount_deadlines().tasks_moved)


@shared_task
def seed_calendar() -> int:
    """Keep the holiday calendar one year ahead; administrators' corrections are kept."""
    year = timezone.localdate().year
    return seed_china_calendar([year, year + 1])
