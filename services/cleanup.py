"""Files in the attachment store that no attachment row refers to are deleted, carefully.

How such files arise: a material is written to the store before its row, inside the filing
transaction; when that transaction rolls back (the database went away, a check failed after
the upload, the worker or web process died), the file stays and nothing refers to it. They
hold citizens' documents, so they must not pile up unaccounted for.

What is never deleted: a file a row refers to (current or superseded: superseded materials
are kept as the case's history); a file younger than ORPHAN_FILE_GRACE (its row may not be
committed yet); any file of an application its applicant may still change (a draft, or a case
waiting for supplements), whatever its age.
"""

import logging
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import Application, Attachment

logger = logging.getLogger(__name__)
ATTACHMENT_DIRECTORY = "attachments"
BATCH = 500


def _stored_files(older_than: float):
    """(name relative to MEDIA_ROOT, application id or None) of files older than the cut-off."""
    media = Path(settings.MEDIA_ROOT)
    for directory, _subdirectories, files in os.walk(media / ATTACHMENT_DIRECTORY):
        for file_name in files:
            path = Path(directory) / file_name
            if path.stat().st_mtime >= older_than:
                continue
            name = path.relative_to(media).as_posix()
            application = name.split("/")[1]
            yield name, int(application) if application.isdigit() else None


def orphan_attachment_files(now: datetime | None = None) -> list[str]:
    """Names of the files the cleanup would delete now."""
    cut_off = ((now or timezone.now()) - settings.ORPHAN_FILE_GRACE).timestamp()
    candidates = list(_stored_files(cut_off))
    orphans = []
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        referenced = set(
            Attachment.objects.filter(file__in=[name for name, _ in batch]).values_list(
                "file", flat=True
            )
        )
        in_progress = set(
            Application.objects.filter(
                pk__in={application for _, application in batch if application},
                status__in=[Application.Status.DRAFT, Application.Status.SUPPLEMENT_REQUESTED],
            ).values_list("pk", flat=True)
        )
        orphans += [
            name
            for name, application in batch
            if name not in referenced and application not in in_progress
        ]
    return orphans


def delete_orphan_attachment_files(now: datetime | None = None) -> int:
    """Delete the orphans; safe to run twice, or in two workers at once."""
    media = Path(settings.MEDIA_ROOT)
    deleted = 0
    for name in orphan_attachment_files(now):
        try:
            (media / name).unlink()
        except FileNotFoundError:
            continue  # deleted meanwhile by another run
        deleted += 1
        logger.info("Deleted orphan attachment file %s", name)
    return deleted
