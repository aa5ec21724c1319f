"""What the filing side does by itself."""

from celery import shared_task

from .cleanup import delete_orphan_attachment_files as delete_orphans


@shared_task
def delete_orphan_attachment_files() -> int:
    """Every six hours: files in the attachment store that no row refers to (services/cleanup.py)."""
    return delete_orphans()
