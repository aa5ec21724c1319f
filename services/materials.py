"""Uploaded materials: what is accepted, and how a stored file leaves the system again."""

import hashlib
import secrets

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from .models import Attachment

ACCEPTED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_material(upload: UploadedFile) -> str:
    """The real content type of an upload, read from its first bytes; the name is not trusted."""
    if upload.size > settings.MATERIAL_MAX_BYTES:
        raise ValidationError(
            _("The file %(name)s is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "name": upload.name,
                "size": f"{upload.size / 1048576:.1f}",
                "limit": f"{settings.MATERIAL_MAX_BYTES / 1048576:.0f}",
            },
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(
            _("The file %(name)s is empty.") % {"name": upload.name}, code="empty"
        )
    upload.seek(0)
    kind = filetype.guess(upload.read(262))
    upload.seek(0)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise ValidationError(
            _("The file %(name)s is not a PDF, JPEG or PNG file.") % {"name": upload.name},
            code="file_type",
        )
    return kind.mime


def store_attachment(
    application, material_code: str, upload: UploadedFile, content_type: str, actor
) -> Attachment:
    """Save a new current file for a material; an earlier one is kept, marked superseded."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    Attachment.objects.filter(
        application=application, material_code=material_code, is_current=True
    ).update(is_current=False)
    attachment = Attachment(
        application=application,
        material_code=material_code,
        storage_name=f"{secrets.token_hex(16)}.{ACCEPTED_TYPES[content_type]}",
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(attachment.storage_name, upload, save=False)
    attachment.save()
    return attachment


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
