"""What the accounts app does by itself."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.transient import TRANSIENT_ERRORS

from . import notifications
from .anchors import anchor_day
from .audit import purge_expired_entries

logger = logging.getLogger(__name__)


@shared_task
def purge_expired_audit_entries() -> int:
    """Daily: delete audit entries past AUDIT_RETENTION_DAYS, keeping the chain verifiable.

    Refuses (and the failure is logged) when the entries to delete do not verify: a broken
    chain is evidence, kept until someone has looked at it.
    """
    return purge_expired_entries()


@shared_task
def anchor_audit_chains() -> str:
    """Hourly: sign and publish the anchor of the day that ended, if not yet done (idempotent).

    The anchor holds every chain's head as it is when this runs, just after midnight.
    """
    day = timezone.localdate() - timedelta(days=1)
    return anchor_day(day).root_hash


# Besides the portal's transient errors, a mail server that does not answer (OSError).
@shared_task(autoretry_for=(*TRANSIENT_ERRORS, OSError))
def email_notification(notification_id: int) -> bool:
    """E-mail one notification in its recipient's language; sends nothing the second time."""
    return notifications.email_notification(notification_id)


@shared_task
def email_unsent_notifications() -> int:
    """Reconciler: e-mail notifications whose task was lost (broker down at commit)."""
    ids = notifications.unsent_notification_ids(timezone.now() - settings.NOTIFICATION_GRACE)
    for notification_id in ids:
        try:
            notifications.email_notification(notification_id)
        except OSError:
            logger.exception("Could not e-mail notification %s", notification_id)
            break  # the mail server is down: the next run tries again
    return len(ids)


@shared_task(autoretry_for=(*TRANSIENT_ERRORS, OSError), max_retries=3)
def email_one_time_code(address: str, purpose: str, code: str, language: str) -> None:
    """E-mail a registration or password-reset code (accounts/email_codes.py)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from .email_codes import CODE_LIFETIME

    context = {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)}
    with translation.override(language):
        subject = render_to_string(f"accounts/email/{purpose}_code_subject.txt", context)
        body = render_to_string(f"accounts/email/{purpose}_code_body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [address])
