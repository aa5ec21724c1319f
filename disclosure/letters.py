"""Letters (政民互动) in public: published with the writer's consent, masked, once answered.

The path is the decision register's: when a case is decided (`application_decided`), a
letter whose writer agreed is written to `PublishedLetter` with its personal data masked —
the writer's name as the register masks it (张三 → 张*, an enterprise by its name), and ID
numbers, mobiles, landlines, e-mails, addresses and the writer's own name wherever they occur
in the letter or the answers (`mask_text`). A second answer rewrites the entry. Without
consent nothing about the letter is published; its figures still count in the statistics.
"""

from django.db.models import QuerySet

from services.models import Application, Letter

from .masking import mask_person_name, mask_text
from .models import PublishedLetter

ANSWERED_STATES = ("approved", "deemed_approved")


def public_writer_name(application: Application) -> str:
    writer = application.applicant
    if writer.is_natural_person:
        return mask_person_name(writer.real_name)
    return writer.applicant_name


def published_answers(application: Application, names: tuple[str, ...]) -> list[dict]:
    tasks = (
        application.review_tasks.filter(stage_order__gt=0, state="approved")
        .select_related("department")
        .order_by("stage_order", "department__code")
    )
    return [
        {
            "department": task.department.name,
            "department_en": task.department.name_en,
            "answer": mask_text(task.opinion, names=names),
            "answered_at": task.decided_at.isoformat(),
            "round": task.stage_order,
        }
        for task in tasks
    ]


def publish_letter(application: Application) -> PublishedLetter | None:
    """The letter and its answers in public, masked, if its writer agreed; else nothing."""
    letter = Letter.objects.filter(application=application).first()
    if letter is None or not letter.consent_to_publish:
        return None
    if application.status != Application.Status.APPROVED:
        return None
    names = (application.applicant.real_name,)  # a natural person even for an enterprise
    published, _created = PublishedLetter.objects.update_or_create(
        application=application,
        defaults={
            "tracking_number": application.tracking_number,
            "kind": letter.kind,
            "topic": mask_text(letter.topic, names=names)[:200],
            "body": mask_text(letter.body, names=names),
            "writer_display": public_writer_name(application),
            "answers": published_answers(application, names),
            "written_at": application.submitted_at,
            "answered_at": application.decided_at,
        },
    )
    return published


def public_letters(*, kind: str = "") -> QuerySet[PublishedLetter]:
    letters = PublishedLetter.objects.all()
    if kind:
        letters = letters.filter(kind=kind)
    return letters.order_by("-answered_at", "-id")


def kind_label(kind: str) -> str:
    try:
        return str(Letter.Kind(kind).label)
    except ValueError:
        return kind
