"""The application's states, their allowed transitions, and the timeline every change writes."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import record, text_digest

from .models import Application, ApplicationEvent

Status = Application.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    # A draft was never filed: there is nothing to withdraw (and a withdrawn application keeps
    # its tracking number, which a draft does not have).
    Status.DRAFT: {Status.SUBMITTED},
    # Submitted means received and awaiting acceptance (受理) by the service centre.
    Status.SUBMITTED: {
        Status.IN_REVIEW,
        Status.SUPPLEMENT_REQUESTED,
        Status.REJECTED,
        Status.WITHDRAWN,
    },
    Status.IN_REVIEW: {
        Status.SUPPLEMENT_REQUESTED,
        Status.APPROVED,
        Status.REJECTED,
        Status.WITHDRAWN,
    },
    Status.SUPPLEMENT_REQUESTED: {
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.REJECTED,
        Status.WITHDRAWN,
    },
    Status.APPROVED: set(),
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
}


class TransitionNotAllowed(Exception):
    def __init__(self, application: Application, target: str):
        self.application = application
        self.target = target
        super().__init__(
            _("This application is %(current)s and cannot become %(target)s.")
            % {"current": application.get_status_display(), "target": Status(target).label}
        )


def official_language():
    """Texts stored on the record (opinions, timeline notes) are in the portal's official language."""
    return translation.override(settings.LANGUAGE_CODE)


def record_event(
    application: Application,
    kind: str,
    *,
    actor=None,
    department=None,
    note: str = "",
    acting_for=None,
):
    """A line on the applicant's timeline, and the same fact in the audit log.

    `acting_for` names the absent reviewer a substitute acted for (代理审批): "actor for them".
    """
    return _write_event(
        application,
        kind,
        actor=actor,
        department=department,
        note=note,
        audit_action="application.event",
        acting_for=acting_for,
    )


def record_events(applications: list[Application], kind: str, *, note: str = "") -> None:
    """`record_event` for many cases at once (a recount): one INSERT for the timeline lines,
    the same audit entries."""
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(application=application, kind=kind, note=note)
            for application in applications
        ]
    )
    for application in applications:
        record("application.event", obj=application, detail=_event_detail(application, kind, note))


def _event_detail(application: Application, kind: str, note: str, department=None, acting_for=None):
    """What the audit log keeps of a timeline line. The note (an opinion, a reason) stays on
    the timeline; the log keeps its digest, so the text shown can be proven unchanged."""
    return {
        "tracking_number": application.tracking_number,
        "event": kind,
        "department": department.code if department else None,
        "note_sha256": text_digest(note),
        **({"acting_for": acting_for.username} if acting_for is not None else {}),
    }


def _write_event(
    application: Application,
    kind: str,
    *,
    actor,
    department,
    note: str,
    audit_action: str,
    acting_for=None,
    **audit,
):
    event = ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        department=department,
        note=note,
        acting_for=acting_for,
    )
    record(
        audit_action,
        obj=application,
        actor=actor,
        detail={**_event_detail(application, kind, note, department, acting_for), **audit},
    )
    return event


def change_status(
    application: Application,
    target: str,
    *,
    event: str,
    actor=None,
    department=None,
    note: str = "",
    acting_for=None,
    **fields,
) -> None:
    """Move the application to `target` if allowed, racing requests included, and log it.

    The UPDATE is conditional on the current status, so of two concurrent requests that both
    read the same state only one wins; the loser gets TransitionNotAllowed.
    """
    # No atomic block of its own: nothing is written before the refusal is known, so a refusal
    # leaves nothing to undo and the caller's transaction goes on (atomic(savepoint=False) would
    # mark it for rollback); the caller's transaction is where a later failure rolls back.
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("change_status needs the caller's transaction")
    allowed_from = [source for source, targets in ALLOWED_TRANSITIONS.items() if target in targets]
    fields = {"status": target, "updated_at": timezone.now(), **fields}
    updated = Application.objects.filter(pk=application.pk, status__in=allowed_from).update(
        **fields
    )
    if not updated:
        application.refresh_from_db(fields=["status"])
        raise TransitionNotAllowed(application, target)
    for name, value in fields.items():
        setattr(application, name, value)
    _write_event(
        application,
        event,
        actor=actor,
        department=department,
        note=note,
        acting_for=acting_for,
        audit_action="application.status",
        status=target,
    )


@transaction.atomic
def reopen_for_second_answer(application: Application, *, actor, note: str = "", **fields) -> None:
    """A letter's writer, unsatisfied, asks once for a second answer: the answered letter is
    under review again (services/letters.py, approvals/letters.py).

    Not in ALLOWED_TRANSITIONS: a permit's decision is final, and only a letter reopens, once
    (the letter's own row and its constraint `second_answer_only_when_unsatisfied` say so).
    """
    fields = {"status": Status.IN_REVIEW, "updated_at": timezone.now(), **fields}
    updated = Application.objects.filter(
        pk=application.pk, status=Status.APPROVED, item__kind="letter"
    ).update(**fields)
    if not updated:
        application.refresh_from_db(fields=["status"])
        raise TransitionNotAllowed(application, Status.IN_REVIEW)
    for name, value in fields.items():
        setattr(application, name, value)
    _write_event(
        application,
        ApplicationEvent.Kind.SECOND_ANSWER_REQUESTED,
        actor=actor,
        department=None,
        note=note,
        audit_action="application.status",
        status=Status.IN_REVIEW,
    )
