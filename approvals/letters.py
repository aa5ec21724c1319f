"""Letters (政民互动) in the virtual government: triage, answers and the second answer.

None of this is a second engine. The triage is the decision on a letter's acceptance task
(`decide`), after the departments it names are stored on the letter; accepting opens the
answering stage through `join_stage` → `open_stage`, which reads those departments
(services.letters.assigned_steps). An answer is a department's decision with its text as the
opinion. The second answer reopens the case and opens its on-request stage with the same
`open_stage`. Deadlines, clock stops, extensions, claims, the queue and the sweeper are the
applications' own.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import appended_together, record
from accounts.models import Department
from services.lifecycle import reopen_for_second_answer
from services.models import Application, Letter

from .deadlines import deadline_after
from .decisions import Outcome, decide
from .locking import lock_task
from .models import ACCEPTANCE_STAGE, ReviewTask
from .permissions import can_review
from .routing import open_stage, record_stage_opened

SECOND_ANSWER_STAGE = 2


def _letter_task(task_id: int, actor) -> tuple[Application, ReviewTask, Letter]:
    application, task = lock_task(task_id)
    letter = Letter.objects.filter(application=application).first()
    if letter is None:
        raise ValidationError(_("This task is not a letter's."), code="not_a_letter")
    if not can_review(actor, task):
        raise PermissionDenied(_("You do not review for this department."))
    return application, task, letter


@transaction.atomic
@appended_together()
def triage_letter(task_id: int, clerk, *, department_ids: list[int], note: str = "") -> Letter:
    """The service centre sends the letter to the departments that answer it (分办), all at
    once; their tasks open with their deadlines as any review stage's."""
    application, task, letter = _letter_task(task_id, clerk)
    if not task.is_acceptance:
        raise ValidationError(_("This letter has already been triaged."), code="triaged")
    if not task.is_open:
        raise ValidationError(_("This letter has already been triaged."), code="triaged")
    wanted = {int(pk) for pk in department_ids or []}
    departments = list(Department.objects.filter(pk__in=wanted))
    if not wanted:
        raise ValidationError(
            {"departments": _("Assign the letter to at least one department.")},
            code="no_department",
        )
    if len(departments) != len(wanted):
        raise ValidationError(
            {"departments": _("One of the departments chosen does not exist.")},
            code="no_such_department",
        )
    letter.answering_departments.set(departments)
    names = "、".join(department.name for department in departments)
    decide(task.pk, clerk, Outcome.APPROVE, (note or "").strip() or names)
    record(
        "letter.triage",
        obj=application,
        actor=clerk,
        detail={"departments": sorted(department.code for department in departments)},
    )
    return letter


def answer_letter(task_id: int, reviewer, *, answer: str) -> ReviewTask:
    """A department's answer to the letter: its decision on its task, the answer as opinion."""
    return decide(task_id, reviewer, Outcome.APPROVE, (answer or "").strip())


@transaction.atomic
@appended_together()
def request_second_answer(letter_id: int, writer, *, reason: str = "") -> list[ReviewTask]:
    """An unsatisfied writer asks, once, for a second answer: the same departments answer
    again, each within its limit, as a new stage of the same case."""
    application = Application.objects.select_for_update(of=("self",)).get(pk=letter_id)
    letter = Letter.objects.select_for_update(of=("self",)).get(pk=letter_id)
    if application.applicant_id != writer.pk:
        raise PermissionDenied(_("Only the writer asks for a second answer."))
    if letter.second_answer_requested_at is not None:
        raise ValidationError(
            _("A second answer has already been asked for; it can be asked for once."),
            code="second_answer_asked",
        )
    if application.status != Application.Status.APPROVED:
        raise ValidationError(_("The letter has not been answered yet."), code="not_answered")
    if letter.satisfaction != Letter.Satisfaction.UNSATISFIED:
        raise ValidationError(
            _(
                "Rate the answer as unsatisfied first: a second answer is for an answer that "
                "did not satisfy you."
            ),
            code="not_unsatisfied",
        )
    now = timezone.now()
    letter.second_answer_requested_at = now
    letter.save(update_fields=["second_answer_requested_at"])
    definition = application.definition
    stage = definition.stage(SECOND_ANSWER_STAGE)
    reopen_for_second_answer(
        application,
        actor=writer,
        note=(reason or "").strip()[:1000],
        current_stage=SECOND_ANSWER_STAGE,
        decided_at=None,
        due_at=deadline_after(now, stage.assigned_time_limit_days),
    )
    tasks = open_stage(application, SECOND_ANSWER_STAGE, now)
    record_stage_opened(application, tasks)
    record(
        "letter.second_answer",
        obj=application,
        actor=writer,
        detail={"reason_given": bool((reason or "").strip())},
    )
    return tasks


def is_letter_task(task: ReviewTask) -> bool:
    return Letter.objects.filter(application_id=task.application_id).exists()


def is_triage(task: ReviewTask) -> bool:
    return task.stage_order == ACCEPTANCE_STAGE
