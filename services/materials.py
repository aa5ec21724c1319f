"""Uploaded materials: what is accepted, and how a stored file leaves the system again."""

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.audit import record

from .models import Attachment

ACCEPTED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

# A staff member's in-browser preview of a material: the file is shown as a document of its own
# that may run nothing, load nothing, and is not of this origin (CSP `sandbox`). 'unsafe-inline'
# styles only let the browser's own image/PDF viewer page lay itself out. Checked with Chromium
# 156 (PDF viewer and images render); Safari has been reported to show some sandboxed PDFs
# blank: the download button (no ?inline) always works.
INLINE_PREVIEW_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def file_label(name: str) -> str:
    """The name the person gave their file, fit to show as a label and nothing more.

    Control and format characters go (Unicode categories Cc and Cf): a right-to-left override
    (U+202E) makes "x\u202egpj.exe" read as "xexe.jpg", and line breaks or NULs have no place
    in a label. Folders a browser sent along with the name go too.
    """
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    label = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf"}).strip()
    return label[:255]


def download_name(label: str, content_type: str) -> str:
    """The name a file is served under: the label's stem and the extension of its real type,
    so "poly.html" that is a PDF leaves as "poly.pdf", never as a page a browser would render."""
    stem = PurePosixPath(file_label(label)).stem.strip(". ") or "file"
    return f"{stem[:200]}.{ACCEPTED_TYPES[content_type]}"


def no_virus_scanner(upload: UploadedFile) -> None:
    """The default MATERIAL_SCANNER: accepts everything.

    Where a virus scanner plugs in. Point the setting MATERIAL_SCANNER at a function of the
    same shape that reads the upload (and seeks it back to 0) and raises
    django.core.exceptions.ValidationError with a message for the applicant if it is infected;
    for ClamAV, e.g. with the `clamd` package:

        def clamav_scanner(upload):
            upload.seek(0)
            status, signature = clamd.ClamdUnixSocket().instream(upload)["stream"]
            upload.seek(0)
            if status == "FOUND":
                raise ValidationError(_("The file %(name)s contains a virus ..."), code="virus")

    A scanner that cannot reach its daemon should raise too (fail closed): the applicant can
    try again, and nothing unscanned is stored.
    """


def scan_material(upload: UploadedFile) -> None:
    import_string(settings.MATERIAL_SCANNER)(upload)
    upload.seek(0)


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
    scan_material(upload)
    return kind.mime


def store_attachment(
    application,
    material_code: str,
    upload: UploadedFile,
    content_type: str,
    actor,
    *,
    material_kind: str = "",
    reused_from: Attachment | None = None,
) -> Attachment:
    """Save a new current file for a material; an earlier one is kept, marked superseded.

    `reused_from`: the earlier case's file this one copies (once-only filing)."""
    return store_attachments(
        application,
        [NewFile(material_code, upload, content_type, material_kind, reused_from)],
        actor,
    )[0]


@dataclass(frozen=True)
class NewFile:
    """One upload for `store_attachments`."""

    material_code: str
    upload: UploadedFile
    content_type: str
    material_kind: str = ""
    reused_from: Attachment | None = None


def store_attachments(
    application, files: list[NewFile], actor, *, supersede: bool = True
) -> list[Attachment]:
    """`store_attachment` for the files of one form at once: the earlier files of those
    materials superseded in one UPDATE, the new ones inserted in one statement.

    `supersede=False`: the caller has marked them superseded already (services/filing.py)."""
    if not files:
        return []
    attachments = []
    for new in files:
        digest = hashlib.sha256()
        for chunk in new.upload.chunks():
            digest.update(chunk)
        new.upload.seek(0)
        attachment = Attachment(
            application=application,
            material_code=new.material_code,
            material_kind=new.material_kind,
            reused_from=new.reused_from,
            storage_name=f"{secrets.token_hex(16)}.{ACCEPTED_TYPES[new.content_type]}",
            original_name=file_label(new.upload.name),
            content_type=new.content_type,
            size=new.upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(attachment.storage_name, new.upload, save=False)
        attachments.append(attachment)
    if supersede:
        Attachment.objects.filter(
            application=application,
            material_code__in=[new.material_code for new in files],
            is_current=True,
        ).update(is_current=False)
    return Attachment.objects.bulk_create(attachments)


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=download_name(attachment.original_name, attachment.content_type),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if inline:
        response["Content-Security-Policy"] = INLINE_PREVIEW_POLICY
    # Who read which applicant's material, applicant and reviewers alike (the one door out).
    record(
        "download.attachment",
        obj=attachment,
        detail={
            "application_id": attachment.application_id,
            "material": attachment.material_code,
            "sha256": attachment.sha256,
            "inline": inline,
        },
    )
    return response
