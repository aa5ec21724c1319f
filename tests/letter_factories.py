"""Letters (政民互动) for tests: the catalogue's letter item, a letter written, triaged, answered."""

from accounts.models import Department, User
from approvals.letters import answer_letter, triage_letter
from approvals.models import ACCEPTANCE_STAGE, ReviewTask
from approvals.routing import route_application
from services.letters import write_letter
from services.models import Letter, ServiceItem
from tests.factories import CitizenFactory, ServiceItemFactory, clerk_of, service_centre


def letter_item(**fields) -> ServiceItem:
    """The published item letters are written under (triage 1 working day, answers 15)."""
    service_centre()
    return ServiceItemFactory(
        code="letters",
        kind=ServiceItem.Kind.LETTER,
        name="政民互动来信",
        name_en="Letters to the government",
        legal_basis="《信访工作条例》",
        **fields,
    )


def letter_of(
    writer: User | None = None,
    *,
    kind: str = Letter.Kind.SUGGESTION,
    topic: str = "关于增设公交站点的建议",
    body: str = "建议在长江西路增设一个公交站点。",
    department_code: str = "",
    consent: bool = True,
    route: bool = True,
) -> Letter:
    """A letter written and, unless `route` is False, routed to the triage (as the worker does)."""
    if not ServiceItem.objects.filter(kind=ServiceItem.Kind.LETTER).exists():
        letter_item()
    letter = write_letter(
        writer or CitizenFactory(),
        kind=kind,
        topic=topic,
        body=body,
        department_code=department_code,
        consent_to_publish=consent,
    )
    if route:
        route_application(letter.pk)
    return letter


def triage_task(letter: Letter) -> ReviewTask:
    return ReviewTask.objects.get(application_id=letter.pk, stage_order=ACCEPTANCE_STAGE)


def triaged(letter: Letter, *departments: Department) -> list[ReviewTask]:
    task = triage_task(letter)
    triage_letter(task.pk, clerk_of(task.department), department_ids=[d.pk for d in departments])
    return list(
        ReviewTask.objects.filter(application_id=letter.pk, stage_order=1).order_by(
            "department__code"
        )
    )


def answered(
    task: ReviewTask, reviewer: User, text: str = "感谢您的建议，我局已研究。"
) -> ReviewTask:
    return answer_letter(task.pk, reviewer, answer=text)
