"""What the accounts app does by itself."""

from celery import shared_task

from .audit import purge_expired_entries


@shared_task
def purge_expired_audit_entries() -> int:
    """Daily: delete audit entries past AUDIT_RETENTION_DAYS, keeping the chain verifiable.

    Refuses (and the failure is logged) when the entries to delete do not verify: a broken
    chain is evidence, kept until someone has looked at it.
    """
    return purge_expired_entries()
