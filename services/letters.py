"""Letters to the government (政民互动): writing one, and the writer's rating of the answer.

A letter is an application of a catalogue item of kind `letter` (services.models.ItemKind).
Writing one starts, fills and submits that application in one transaction, so from then on
the virtual government handles it exactly as it handles a permit: routing to the service
centre, whose acceptance step is the triage; review tasks for the departments the triage
assigns (`assigned_steps`), each with its deadline; clock stops, extensions, the staff
queue and the sweeper. What differs is data: the steps' timeout policy is `answer_required`
(silence is escalated, never deemed), and the answering stage's departments come from the
triage (approvals/letters.py), not from the catalogue.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Department

from .definitions import StageDefinition, StepDefinition
from .filing import start_draft, submit
from .materials import sniff_material, store_attachment
from .models import Application, Letter, ServiceItem, TimeoutPolicy

Satisfaction = Letter.Satisfaction
LETTER_ATTACHMENT = "letter-attachment"


def topic_max_chars() -> int:
    return settings.LETTER_TOPIC_MAX_CHARS


def body_max_chars() -> int:
    return settings.LETTER_BODY_MAX_CHARS


def max_attachments() -> int:
    return settings.LETTER_MAX_ATTACHMENTS


def letter_item() -> ServiceItem | None:
    """The published catalogue item letters are written under (the first, if several)."""
    return (
        ServiceItem.objects.published()
        .filter(kind=ServiceItem.Kind.LETTER)
        .order_by("code")
        .first()
    )


def is_letter(application: Application) -> bool:
    return application.definition.item.is_letter


def may_write(user) -> bool:
    return user.is_authenticated and user.kind in {"citizen", "enterprise"}


# --- checks shared by the page and the API ----------------------------------------------------


def check_letter_text(*, topic: str, body: str) -> tuple[str, str]:
    """The topic and the text, stripped; refused when empty or over the stated limits."""
    topic, body = (topic or "").strip(), (body or "").strip()
    errors = {}
    if not topic:
        errors["topic"] = _("Give your letter a topic.")
    elif len(topic) > topic_max_chars():
        errors["topic"] = _(
            "A topic may be at most %(limit)s characters long (it has %(length)s)."
        ) % {"limit": topic_max_chars(), "length": len(topic)}
    if not body:
        errors["body"] = _("Write your letter.")
    elif len(body) > body_max_chars():
        errors["body"] = _(
            "A letter may be at most %(limit)s characters long (it has %(length)s)."
        ) % {"limit": body_max_chars(), "length": len(body)}
    if errors:
        raise ValidationError(errors, code="invalid_letter")
    return topic, body


def department_named(code: str) -> Department | None:
    """The department a writer addresses by its code; none asked for: None."""
    code = (code or "").strip()
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise ValidationError(
            {
                "department": _(
                    "There is no department “%(code)s”. Choose one from the list, or leave it "
                    "empty and the service centre will find the right one."
                )
                % {"code": code[:40]}
            },
            code="no_such_department",
        )
    return department


def check_kind(kind: str) -> str:
    if kind not in Letter.Kind.values:
        raise ValidationError(
            {"kind": _("Choose enquiry, suggestion, complaint or praise.")}, code="invalid_kind"
        )
    return kind


# --- writing ------------------------------------------------------------------------------------


def write_letter(
    writer,
    *,
    kind: str,
    topic: str,
    body: str,
    department_code: str = "",
    consent_to_publish: bool = False,
    attachments: list[UploadedFile] = (),
    item: ServiceItem | None = None,
) -> Letter:
    """Write and send a letter: one transaction stores it with its files and submits its
    application, which is routed to the triage after commit like every application.

    The text is stored as written: pages show it as text (escaped), never as HTML.
    """
    if not may_write(writer):
        raise PermissionDenied(_("Citizens and enterprises write letters, with their own account."))
    kind = check_kind(kind)
    topic, body = check_letter_text(topic=topic, body=body)
    addressed_to = department_named(department_code)
    attachments = list(attachments or [])
    if len(attachments) > max_attachments():
        raise ValidationError(
            {"attachments": _("Attach at most %(limit)s files.") % {"limit": max_attachments()}},
            code="too_many_files",
        )
    # Every file is checked like a material: size, the real type from its bytes, the scanner.
    sniffed = [(upload, sniff_material(upload)) for upload in attachments]
    item = item or letter_item()
    if item is None:
        raise ValidationError(_("Letters are not received yet. Please contact the service centre."))
    with transaction.atomic():
        application = start_draft(item, writer, letter=True)
        letter = Letter.objects.create(
            application=application,
            kind=kind,
            topic=topic,
            body=body,
            addressed_to=addressed_to,
            consent_to_publish=bool(consent_to_publish),
        )
        for number, (upload, content_type) in enumerate(sniffed, start=1):
            store_attachment(
                application, f"{LETTER_ATTACHMENT}-{number}", upload, content_type, writer
            )
        letter.application = submit(application, writer)  # with its tracking number
    return letter


# --- the answering departments, as the engine's steps -------------------------------------------


def assigned_steps(application: Application, stage: StageDefinition) -> tuple[StepDefinition, ...]:
    """The steps of a stage: the catalogue's, or, for a letter's answering stage, one per
    department the triage assigned, each with the stage's limit and never deemed."""
    if not stage.assigned_at_triage:
        return stage.steps
    departments = list(application.letter.answering_departments.order_by("code"))
    if not departments:
        raise ValidationError(
            {"departments": _("Assign the letter to at least one department.")},
            code="no_department",
        )
    return tuple(
        StepDefinition(
            department_id=department.pk,
            code=department.code,
            name=department.name,
            name_en=department.name_en,
            time_limit_days=stage.assigned_time_limit_days,
            timeout_policy=TimeoutPolicy.ANSWER_REQUIRED.value,
            reminder_days=2,
        )
        for department in departments
    )


# --- the writer's rating ------------------------------------------------------------------------


def rate_letter(letter_id: int, writer, *, satisfaction: str, comment: str = "") -> Letter:
    """The writer rates the answer they received (the second one, if they asked for it);
    each answer is rated once."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError(
            {"satisfaction": _("Choose satisfied, basically satisfied or unsatisfied.")},
            code="invalid_satisfaction",
        )
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError(
            {"comment": _("A comment may be at most 1000 characters long.")}, code="too_long"
        )
    with transaction.atomic():
        letter = (
            Letter.objects.select_for_update(of=("self",))
            .select_related("application")
            .get(pk=letter_id)
        )
        application = letter.application
        if application.applicant_id != writer.pk:
            raise PermissionDenied(_("Only the writer rates the answer to a letter."))
        if application.status != Application.Status.APPROVED:
            raise ValidationError(
                _("The letter has not been answered yet; rate it once it is."),
                code="not_answered",
            )
        now = timezone.now()
        if letter.second_answer_requested_at is None:
            if letter.satisfaction:
                raise ValidationError(_("You have already rated this answer."), code="rated")
            letter.satisfaction, letter.rating_comment, letter.rated_at = (
                satisfaction,
                comment,
                now,
            )
        else:
            if letter.second_satisfaction:
                raise ValidationError(_("You have already rated this answer."), code="rated")
            letter.second_satisfaction, letter.second_rated_at = satisfaction, now
            if comment:
                letter.rating_comment = comment
        letter.save()
        record(
            "letter.rating",
            obj=application,
            actor=writer,
            detail={
                "satisfaction": satisfaction,
                "round": 2 if letter.second_answer_requested_at else 1,
            },
        )
    return letter


def may_ask_second_answer(letter: Letter) -> bool:
    return (
        letter.application.status == Application.Status.APPROVED
        and letter.satisfaction == Satisfaction.UNSATISFIED
        and letter.second_answer_requested_at is None
    )
