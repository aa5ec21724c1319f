"""Publishing: proactive publications (draft, second-person approval, withdrawal) and the
register of permit decisions, filled as soon as a decision is made."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Department
from approvals.models import ReviewTask
from services.lifecycle import official_language, record_event
from services.materials import ACCEPTED_TYPES, file_label, sniff_material
from services.models import Application, ApplicationEvent
from services.parties import subject_of

from .masking import mask_person_name
from .models import DecisionRecord, Publication, PublicationAttachment
from .permissions import can_approve, can_withdraw, drafting_departments, grant_publication


def draft_publication(
    author,
    *,
    department: Department,
    kind: str,
    classification: str,
    title: str,
    body: str,
    attachments: list[UploadedFile] = (),
    answers_application: Application | None = None,
) -> Publication:
    """A draft nobody but the department's staff sees until a second person approves it."""
    if not drafting_departments(author).filter(pk=department.pk).exists():
        raise PermissionDenied(_("You may only draft for your own departments."))
    with transaction.atomic():
        publication = Publication.objects.create(
            author=author,
            department=department,
            kind=kind,
            classification=classification,
            title=title,
            body=body,
            answers_application=answers_application,
        )
        grant_publication(publication)
        for upload in attachments:
            attach_file(publication, upload, author)
        record("publication.draft", obj=publication, actor=author, detail={"kind": kind})
    return publication


def attach_file(publication: Publication, upload: UploadedFile, actor) -> PublicationAttachment:
    """Checked like an applicant's material: size, real type from the bytes, virus scanner."""
    if publication.state != Publication.State.DRAFT:
        raise ValidationError(_("Files can only be added to a draft."), code="not_draft")
    content_type = sniff_material(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = PublicationAttachment(
        publication=publication,
        storage_name=f"{secrets.token_hex(16)}.{ACCEPTED_TYPES[content_type]}",
        original_name=file_label(upload.name),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(attachment.storage_name, upload, save=False)
    attachment.save()
    return attachment


def publication_number(publication: Publication) -> str:
    """The permanent number in the permalink: year of publication and the row's id (2026-000042)."""
    return f"{publication.published_at:%Y}-{publication.pk:06d}"


def approve_publication(publication_id: int, approver) -> Publication:
    """The second person's approval publishes the draft; the author can never approve it."""
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication_id)
        if publication.state != Publication.State.DRAFT:
            raise ValidationError(_("This publication is no longer a draft."), code="not_draft")
        if publication.author_id == approver.pk:
            raise PermissionDenied(_("A second person must approve what you drafted."))
        if not can_approve(approver, publication):
            raise PermissionDenied(_("You may not approve publications of this department."))
        publication.state = Publication.State.PUBLISHED
        publication.approved_by = approver
        publication.published_at = timezone.now()
        publication.number = publication_number(publication)
        publication.save()
        # A draft for comment must still have its period ahead; a feedback report meets its
        # consultation's deadline (consultations.py, which builds on this module).
        from .consultations import publication_published

        publication_published(publication)
        record(
            "publication.publish",
            obj=publication,
            actor=approver,
            detail={"number": publication.number, "classification": publication.classification},
        )
    return publication


def withdraw_publication(publication_id: int, actor, reason: str) -> Publication:
    """Take a publication down; its number, the date and the reason stay public."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the publication is withdrawn."), code="reason_required")
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication_id)
        if publication.state != Publication.State.PUBLISHED:
            raise ValidationError(_("Only a published publication can be withdrawn."))
        if not can_withdraw(actor, publication):
            raise PermissionDenied(_("You may not withdraw publications of this department."))
        publication.state = Publication.State.WITHDRAWN
        publication.withdrawn_at = timezone.now()
        publication.withdrawn_by = actor
        publication.withdrawal_reason = reason
        publication.save()
        record("publication.withdraw", obj=publication, actor=actor, detail={"reason": reason})
    return publication


def _deciding_department(task) -> str:
    """The department's name; a substitute's decision (代理审批) says who decided for whom."""
    if task.decided_for_id is None:
        return task.department.name
    with official_language():
        return _("%(department)s (%(substitute)s for %(reviewer)s)") % {
            "department": task.department.name,
            "substitute": task.decided_by,
            "reviewer": task.decided_for,
        }


def publish_decision(application: Application) -> DecisionRecord:
    """Put the decision in the public register; a second call returns the same record."""
    # The licensed party, not the filer: the company founded, not the founder who filed.
    subject = subject_of(application)
    name = subject.name if not subject.is_natural_person else mask_person_name(subject.name)
    decided = list(
        application.review_tasks.filter(stage_order__gt=0, state__in=ReviewTask.DECIDED_STATES)
        .order_by("stage_order", "department__code")
        .select_related("department", "decided_by", "decided_for")
    )
    departments = [_deciding_department(task) for task in decided]
    silent = [
        task.department.name for task in decided if task.state == ReviewTask.State.DEEMED_APPROVED
    ]
    definition = application.definition
    item = definition.item
    # The region whose implementation the case was filed under, as frozen with it (versions
    # frozen before regions existed name none: their implementation says).
    region_code = (
        definition.region.code if definition.region else application.implementation.region.code
    )
    decision, created = DecisionRecord.objects.get_or_create(
        application=application,
        defaults={
            "tracking_number": application.tracking_number,
            "item_code": item.code,
            "item_name": item.name,
            "item_name_en": item.name_en,
            "region_code": region_code,
            "applicant_display": name,
            "outcome": application.status,
            "departments": "、".join(dict.fromkeys(departments)),
            "deemed_approved_by": "、".join(dict.fromkeys(silent)),
            "decided_at": application.decided_at,
        },
    )
    if created:
        record_event(application, ApplicationEvent.Kind.PUBLISHED)
    return decision
