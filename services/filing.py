"""Filing: a draft is started, saved as often as the applicant likes, and submitted once.

Submission stores everything in one transaction (answers, files, the frozen item definition,
the tracking number and the timeline event) and announces it; routing happens after commit.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import appended_together, record
from accounts.models import Region, User
from accounts.notifications import notify
from common.bilingual import text_in_reader_language

from .catalogue import freeze_definition, serving_definition
from .definitions import ItemDefinition
from .lifecycle import change_status, record_event
from .materials import NewFile, store_attachments
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
from .regions import implementation_for
from .review import review
from .signals import application_submitted, application_withdrawn, supplement_provided

Status = Application.Status
Event = ApplicationEvent.Kind


def start_draft(
    item: ServiceItem,
    applicant,
    *,
    filed_by=None,
    letter: bool = False,
    region: Region | None = None,
) -> Application:
    """Start a draft in `applicant`'s name, filed by `filed_by` when someone files for them: a
    service-centre clerk (staff), an agent under an authorisation, or an enterprise's member.
    PermissionDenied says why when they may not (services/parties.py), logged, nothing made.

    The case follows the implementation of `region` (the one chosen, else the applicant's
    account's; services/regions.py); ValidationError when no region serves the item.

    `letter`: started by services.letters.write_letter, the only way to a letter item's case
    (its Letter row is what the triage and the answers read)."""
    implementation = implementation_for(item, region or applicant.region)
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
            implementation=implementation,
            applicant=applicant,
            filed_by=filed_by,
            filing_capacity=capacity,
            authorisation=authorisation,
            subject_account=applicant,
            # Once-only: what the account already holds is filled in; the applicant may correct it.
            answers=identity_answers(serving_definition(implementation), applicant),
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


def start_draft_for(
    filer, item: ServiceItem, on_behalf_of, *, region: Region | None = None
) -> Application:
    """Start a draft for the filer themself, or for the account id `on_behalf_of` they act for
    (an enterprise, a principal), in `region`; the page and the API share it."""
    on_behalf_of = str(on_behalf_of or "").strip()
    if not on_behalf_of or on_behalf_of == str(filer.pk):
        return start_draft(item, filer, region=region)
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
    return start_draft(item, principal, filed_by=filer, region=region)


# What a concurrent request may change on a case its applicant is editing (an autosave in another
# tab, a submission): read again under the row lock. The rest of the row does not change while
# the applicant edits, and the instance keeps what it has loaded with it (item, people).
CHANGED_WHILE_EDITING = ["status", "answers", "updated_at", "item_version", "accepted_at"]


def lock_for_filing(application: Application) -> Application:
    """Take the case's row lock (only its own row: see `submit`) and bring onto `application`
    what a concurrent request changed before it; one query."""
    application.refresh_from_db(
        fields=CHANGED_WHILE_EDITING,
        from_queryset=Application.objects.select_for_update(of=("self",)),
    )
    return application


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
    lock_for_filing(application)
    if not application.is_editable_by_applicant:
        raise ValidationError(_("This application can no longer be changed."))
    check_still_entitled(application, actor)
    keep_answers_and_files(application, answers, uploads, actor, definition=definition)
    return application


def keep_answers_and_files(
    application: Application,
    answers: dict,
    uploads: dict,
    actor,
    *,
    definition: ItemDefinition | None = None,
) -> None:
    """`save_draft` on a case the caller has locked and checked: one UPDATE for the answers,
    and, if files were chosen, one UPDATE and one INSERT for all of them."""
    application.answers = merged_answers(application.answers, answers)
    if not uploads:
        application.save(update_fields=["answers", "updated_at"])
        return
    keep_answers_superseding_files(application, list(uploads))
    definition = definition or application.definition
    files = []
    for material_code, upload in uploads.items():
        material = definition.material(material_code)
        files.append(
            NewFile(
                material_code,
                upload,
                upload.sniffed_type,
                material_kind=material.kind if material else "",
            )
        )
    store_attachments(application, files, actor, supersede=False)


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


def merged_answers(kept: dict, given: dict) -> dict:
    """Answers not given are kept; one given as None or "" was emptied by the applicant and goes."""
    merged = {**kept, **given}
    return {name: value for name, value in merged.items() if value not in (None, "")}


def keep_answers_superseding_files(application: Application, material_codes: list[str]) -> None:
    """Save the answers and mark the current files of these materials superseded, in one
    statement: the new files are inserted next (services/materials.store_attachments)."""
    application.updated_at = timezone.now()
    answers_field = Application._meta.get_field("answers")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH superseded AS (
                UPDATE services_attachment SET is_current = false
                WHERE application_id = %(application)s AND is_current
                    AND material_code = ANY(%(codes)s)
            )
            UPDATE services_application SET answers = %(answers)s, updated_at = %(now)s
            WHERE id = %(application)s
            """,
            {
                "application": application.pk,
                "codes": material_codes,
                "answers": answers_field.get_db_prep_save(application.answers, connection),
                "now": application.updated_at,
            },
        )


def missing_requirements(
    application: Application,
    definition: ItemDefinition | None = None,
    *,
    present_materials: set[str] | None = None,
) -> list[str]:
    """What still stops the application from being submitted, in words the applicant reads.

    `definition`: the item definition the caller already read, if it did. `present_materials`:
    the codes of the current files, if the caller read them under the case's lock.
    """
    if definition is None:
        definition = application.definition
    present = present_materials
    if present is None:
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
        .select_related("item", "implementation")
        .get(pk=application.pk)
    )
    check_still_entitled(application, actor)
    return submit_locked(application, actor, definition=definition)


def submit_locked(
    application: Application,
    actor,
    *,
    definition: ItemDefinition | None = None,
    present_materials: set[str] | None = None,
) -> Application:
    """`submit` on a case the caller has locked and whose filer it has checked, inside the
    caller's transaction and appended_together() block. `present_materials`: as for
    `missing_requirements`."""
    # The definition checked is the one frozen: read once, here if the caller has not.
    if definition is None:
        definition = application.definition
    check_submittable(application, definition, present_materials=present_materials)
    # The definition about to be frozen names the chain: not read a second time for the log.
    application.__dict__.setdefault("audit_department_id", definition.lead_department_id)
    version = freeze_definition(application.implementation, definition)
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
    acknowledge_receipt(application, definition)
    application_submitted.send(sender=Application, application=application)
    return application


def check_submittable(
    application: Application,
    definition: ItemDefinition,
    *,
    present_materials: set[str] | None = None,
) -> None:
    """ValidationError with every reason the draft cannot be submitted; writes nothing (the
    licensed party is fixed on the instance only)."""
    if application.status != Status.DRAFT:
        raise ValidationError(_("This application has already been submitted."))
    missing = missing_requirements(application, definition, present_materials=present_materials)
    if missing:
        raise ValidationError(missing)
    fix_subject(application)
    if definition.acceptance_step is None:
        raise ValidationError(
            _("No service centre accepts this service yet. Please contact the service centre.")
        )


def acknowledge_receipt(application: Application, definition: ItemDefinition | None = None) -> None:
    """The applicant's receipt: the tracking number, in their inbox and by e-mail."""
    item = (definition or application.definition).item
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


def file_form(
    application: Application,
    *,
    answers: dict,
    uploads: dict,
    actor,
    send: bool,
    definition: ItemDefinition | None = None,
    locked_and_checked: bool = False,
    present_materials: set[str] | None = None,
) -> tuple[Application, Filed]:
    """Keep what the form holds and, when the applicant sends it, submit a draft or provide
    the supplement a department asked for (the form's one "send" button does both).

    One transaction: when sending is refused (something is missing) nothing is saved, and the
    form shows what the applicant typed with the reasons. `definition`: the form's.

    `locked_and_checked`: the caller holds the case's lock and has checked that the actor may
    still file it: the case is neither read nor checked again. `present_materials`: the codes
    of the case's current files, read under that lock: a draft is then checked before anything
    is written. Saving alone raises nothing the caller would catch, so only a refusal after a
    write (a supplement's, or a draft's without those codes) needs a savepoint inside the
    caller's transaction.
    """
    checked_before_writing = (
        send
        and locked_and_checked
        and present_materials is not None
        and application.status == Status.DRAFT
    )
    if checked_before_writing:
        # Refused before anything is written, so there is nothing to undo: no savepoint.
        application.answers = merged_answers(application.answers, answers)
        check_submittable(
            application,
            definition or application.definition,
            present_materials=present_materials | set(uploads),
        )
    with transaction.atomic(savepoint=send and not checked_before_writing), appended_together():
        if not locked_and_checked:
            lock_for_filing(application)
            if not application.is_editable_by_applicant:
                raise ValidationError(_("This application can no longer be changed."))
            check_still_entitled(application, actor)
        keep_answers_and_files(application, answers, uploads, actor, definition=definition)
        if not send:
            return application, Filed.SAVED
        if application.status == Status.DRAFT:
            present = None if present_materials is None else present_materials | set(uploads)
            submitted = submit_locked(
                application, actor, definition=definition, present_materials=present
            )
            return submitted, Filed.SUBMITTED
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
