"""Filing: a draft is started, saved as often as the applicant likes, and submitted once.

Submission stores everything in one transaction (answers, files, the frozen item definition,
the tracking number and the timeline event) and announces it; routing happens after commit.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import appended_together, record
from accounts.models import User
from accounts.notifications import notify
from common.bilingual import text_in_reader_language

from .catalogue import freeze_definition, item_definition
from .definitions import ItemDefinition
from .lifecycle import change_status, record_event
from .materials import store_attachment
from .models import (
    Application,
    ApplicationEvent,
    ApplicationGroupObjectPermission,
    ApplicationUserObjectPermission,
    Attachment,
    ServiceItem,
)
from .once_only import identity_answers
from .parties import (
    case_recipients,
    check_still_entitled,
    entitlement_to_file,
    filed_for_line,
    fix_subject,
    grant_filing,
    subject_of,
)
from .review import review
from .signals import application_submitted, application_withdrawn, supplement_provided

Status = Application.Status
Event = ApplicationEvent.Kind


def start_draft(
    item: ServiceItem, applicant, *, filed_by=None, letter: bool = False
) -> Application:
    """Start a draft in `applicant`'s name, filed by `filed_by` when someone files for them: a
    service-centre clerk (staff), an agent under an authorisation, or an enterprise's member.
    PermissionDenied says why when they may not (services/parties.py), logged, nothing made.

    `letter`: started by services.letters.write_letter, the only way to a letter item's case
    (its Letter row is what the triage and the answers read)."""
    if not item.is_published:
        raise ValidationError(_("This service is not open for applications."))
    if item.is_letter and not letter:
        raise ValidationError(_("Letters are written on the page “Write to the government”."))
    at_counter = filed_by is not None and filed_by.kind == filed_by.Kind.STAFF
    if at_counter:
        capacity, authorisation = Application.Capacity.SERVICE_CENTRE, None
    else:
        entitlement = entitlement_to_file(filed_by or applicant, applicant, item)
        capacity, authorisation = entitlement.capacity, entitlement.authorisation
    if capacity == Application.Capacity.IN_PERSON:
        filed_by = None
    if not item.accepts(applicant):
        raise PermissionDenied(
            _("This service is for %(audience)s.") % {"audience": item.get_audience_display()}
        )
    with transaction.atomic(), appended_together():
        application = Application.objects.create(
            item=item,
            applicant=applicant,
            filed_by=filed_by,
            filing_capacity=capacity,
            authorisation=authorisation,
            subject_account=applicant,
            # Once-only: what the account already holds is filled in; the applicant may correct it.
            answers=identity_answers(item_definition(item), applicant),
        )
        grant_filing(application)
        record_event(
            application,
            Event.CREATED,
            actor=filed_by or applicant,
            note=filed_for_line(application) if filed_by is not None and not at_counter else "",
        )
        if at_counter:
            record_event(application, Event.ASSISTED_FILING, actor=filed_by)
    return application


def start_draft_for(filer, item: ServiceItem, on_behalf_of) -> Application:
    """Start a draft for the filer themself, or for the account id `on_behalf_of` they act for
    (an enterprise, a principal); the page and the API share it."""
    on_behalf_of = str(on_behalf_of or "").strip()
    if not on_behalf_of or on_behalf_of == str(filer.pk):
        return start_draft(item, filer)
    principal = (
        User.objects.filter(pk=on_behalf_of, is_active=True).first()
        if on_behalf_of.isdigit()
        else None
    )
    if principal is None or principal.kind == User.Kind.STAFF:
        raise ValidationError(_("Choose whom you file for."))
    if filer.kind == User.Kind.STAFF:
        # Civil servants file for a citizen only at the counter (services/counter.py), which
        # checks that they are the service centre's.
        raise PermissionDenied(_("Civil servants cannot apply with a staff account."))
    return start_draft(item, principal, filed_by=filer)


@transaction.atomic
def save_draft(
    application: Application,
    answers: dict,
    uploads: dict,
    actor,
    *,
    definition: ItemDefinition | None = None,
) -> Application:
    """Keep what the applicant typed and attached so far; nothing is checked for completeness.

    `definition`: the item definition the caller already read (the form's), if it did.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable_by_applicant:
        raise ValidationError(_("This application can no longer be changed."))
    check_still_entitled(application, actor)
    # Answers not given are kept; one given as None or "" was emptied by the applicant and goes.
    merged = {**application.answers, **answers}
    application.answers = {name: value for name, value in merged.items() if value not in (None, "")}
    application.save(update_fields=["answers", "updated_at"])
    if uploads and definition is None:
        definition = application.definition
    for material_code, upload in uploads.items():
        material = definition.material(material_code)
        store_attachment(
            application,
            material_code,
            upload,
            upload.sniffed_type,
            actor,
            material_kind=material.kind if material else "",
        )
    return application


@transaction.atomic
def remove_attachment(application: Application, attachment_id: int, actor) -> Attachment:
    """Take a file off a draft or a supplement: it stops being current but is never deleted,
    like a file replaced by a new upload (what was once submitted stays on record)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable_by_applicant:
        raise ValidationError(_("This application can no longer be changed."))
    attachment = application.attachments.filter(pk=attachment_id, is_current=True).first()
    if attachment is None:
        raise Http404(_("No such attachment."))
    attachment.is_current = False
    attachment.save(update_fields=["is_current"])
    record(
        "application.attachment_removed",
        obj=application,
        actor=actor,
        detail={"material": attachment.material_code, "sha256": attachment.sha256},
    )
    return attachment


def missing_requirements(
    application: Application, definition: ItemDefinition | None = None
) -> list[str]:
    """What still stops the application from being submitted, in words the applicant reads.

    `definition`: the item definition the caller already read, if it did.
    """
    if definition is None:
        definition = application.definition
    present = set(
        application.attachments.filter(is_current=True).values_list("material_code", flat=True)
    )
    missing = [
        _("Answer “%(label)s”.") % {"label": text_in_reader_language(field.label, field.label_en)}
        for field in definition.fields
        if field.is_required and application.answers.get(field.name) in (None, "")
    ]
    missing += [
        _("Attach “%(name)s”.") % {"name": text_in_reader_language(material.name, material.name_en)}
        for material in definition.materials
        if material.is_required and material.code not in present
    ]
    return missing


def tracking_number_for(application: Application) -> str:
    # Date of submission plus the row id: unique without a second sequence, readable on the phone.
    return f"{timezone.localdate(application.submitted_at):%Y%m%d}{application.pk:08d}"


@transaction.atomic
@appended_together()
def submit(
    application: Application, actor, *, definition: ItemDefinition | None = None
) -> Application:
    """`definition`: the item definition the caller checked the answers against (the form's),
    frozen as it is; read anew if not given."""
    # Only the application's row (of=self): a FOR UPDATE on the joined item would block every
    # other filing's foreign-key check on that item and, with the audit log's lock, deadlock
    # concurrent submissions (found by tests/faults/test_broker_outage.py).
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=application.pk)
    )
    if application.status != Status.DRAFT:
        raise ValidationError(_("This application has already been submitted."))
    # The definition checked is the one frozen: read once, here if the caller has not.
    if definition is None:
        definition = application.definition
    check_still_entitled(application, actor)
    missing = missing_requirements(application, definition)
    if missing:
        raise ValidationError(missing)
    fix_subject(application)
    version = freeze_definition(application.item, definition)
    if definition.acceptance_step is None:
        raise ValidationError(
            _("No service centre accepts this service yet. Please contact the service centre.")
        )
    now = timezone.now()
    application.submitted_at = now
    change_status(
        application,
        Status.SUBMITTED,
        event=Event.SUBMITTED,
        actor=actor,
        note=filed_for_line(application) if actor.pk != application.applicant_id else "",
        submitted_at=now,
        item_version=version,
        tracking_number=tracking_number_for(application),
        subject_account=application.subject_account,
        subject_name=application.subject_name,
    )
    acknowledge_receipt(application)
    application_submitted.send(sender=Application, application=application)
    return application


def acknowledge_receipt(application: Application) -> None:
    """The applicant's receipt: the tracking number, in their inbox and by e-mail."""
    item = application.definition.item
    notify(
        case_recipients(application),
        "application_received",
        f"receipt:{application.pk}",
        {
            "tracking_number": application.tracking_number,
            # The licensed party, which the applicant may not be (a company being founded).
            "subject_name": subject_of(application).name,
            "item_name": item.name,
            "item_name_en": item.name_en,
        },
        url=application.get_absolute_url(),
    )


@transaction.atomic
def provide_supplement(application: Application, actor, *, note: str = "") -> Application:
    """The applicant answered a supplement request: the same review tasks continue."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Status.SUPPLEMENT_REQUESTED:
        # Without this a draft would "return" to submitted without a tracking number.
        raise ValidationError(_("No supplement has been requested for this application."))
    missing = missing_requirements(application)
    if missing:
        raise ValidationError(missing)
    # A supplement to the acceptance notice returns the case to acceptance, not to review.
    back_to = Status.IN_REVIEW if application.accepted_at else Status.SUBMITTED
    change_status(application, back_to, event=Event.SUPPLEMENT_PROVIDED, actor=actor, note=note)
    review().resume_after_supplement(application, actor=actor)
    supplement_provided.send(sender=Application, application=application, actor=actor)
    return application


class Filed(StrEnum):
    """What the application form's buttons did."""

    SAVED = "saved"
    SUBMITTED = "submitted"
    SUPPLEMENT_PROVIDED = "supplement_provided"


@transaction.atomic
def file_form(
    application: Application,
    *,
    answers: dict,
    uploads: dict,
    actor,
    send: bool,
    definition: ItemDefinition | None = None,
) -> tuple[Application, Filed]:
    """Keep what the form holds and, when the applicant sends it, submit a draft or provide
    the supplement a department asked for (the form's one "send" button does both).

    One transaction: when sending is refused (something is missing) nothing is saved, and the
    form shows what the applicant typed with the reasons. `definition`: the form's.
    """
    application = save_draft(application, answers, uploads, actor, definition=definition)
    if not send:
        return application, Filed.SAVED
    if application.status == Status.DRAFT:
        return submit(application, actor, definition=definition), Filed.SUBMITTED
    return provide_supplement(application, actor), Filed.SUPPLEMENT_PROVIDED


@transaction.atomic
def withdraw(application: Application, actor, *, reason: str = "") -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    change_status(application, Status.WITHDRAWN, event=Event.WITHDRAWN, actor=actor, note=reason)
    review().close_open_tasks(application, actor=actor)
    application_withdrawn.send(sender=Application, application=application, actor=actor)
    return application


def discard_draft(application: Application, actor, *, request=None) -> None:
    """Delete a draft its applicant no longer wants, with its files and permissions.

    A draft was never filed: no department saw it and no time limit ran, so nothing of it needs
    keeping but the fact that it was discarded (the audit log). A submitted case is withdrawn
    instead, and stays on the record.
    """
    with transaction.atomic(), appended_together():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.DRAFT:
            raise ValidationError(_("Only a draft can be discarded."))
        files = [attachment.file.name for attachment in application.attachments.all()]
        record(
            "application.draft_discarded",
            obj=application,
            actor=actor,
            detail={"item": application.item.code, "files": len(files)},
            request=request,
        )
        application.attachments.all().delete()
        # Each grant revoked is logged (audit_receivers); the deletion would cascade anyway.
        ApplicationUserObjectPermission.objects.filter(content_object=application).delete()
        ApplicationGroupObjectPermission.objects.filter(content_object=application).delete()
        application.delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in files])
