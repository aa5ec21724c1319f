"""What the consultations tell people, through accounts' notifications.

Called inside the transaction of the event announced: the inbox line commits with it and the
e-mail goes out after commit (accounts/notifications.py). Keys name the event, so a second
sweep or a retried task announces nothing twice.
"""

from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.notifications import department_staff, notify

from .models import Consultation, ConsultationComment


def _moment(value) -> str:
    # Dates in e-mails are the same in both languages: Asia/Shanghai, ISO order.
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _consultation(consultation: Consultation) -> dict:
    publication = consultation.publication
    return {
        "title": publication.title,
        "number": publication.number or "",
        "department_name": publication.department.name,
        "department_name_en": publication.department.name_en,
        "closes": _moment(consultation.closes_at),
        "report_due": _moment(consultation.report_due_at),
    }


def _staff_path(consultation: Consultation) -> str:
    return reverse("disclosure:staff_consultation", args=[consultation.pk])


def tell_author_comment_moderated(comment: ConsultationComment) -> None:
    """The author learns whether their comment is public now, or why it is not."""
    consultation = comment.consultation
    notify(
        [comment.author],
        "comment_moderated",
        f"comment:{comment.pk}:moderated",
        {
            **_consultation(consultation),
            "published": comment.state == ConsultationComment.State.PUBLISHED,
            "reason": comment.rejection_reason,
        },
        url=consultation.get_absolute_url(),
    )


def tell_departments_comments_closed(consultation_ids: list[int]) -> int:
    """The department's staff: comments have closed, and the feedback report is due by …"""
    sent = 0
    for consultation in _consultations(consultation_ids):
        sent += len(
            notify(
                department_staff(consultation.publication.department_id),
                "consultation_closed",
                f"consultation:{consultation.pk}:closed",
                {**_consultation(consultation), "comments": consultation.comments.count()},
                url=_staff_path(consultation),
            )
        )
    return sent


def tell_heads_report_overdue(consultation_ids: list[int]) -> int:
    """The heads: their department's feedback report is past its deadline."""
    sent = 0
    for consultation in _consultations(consultation_ids):
        sent += len(
            notify(
                department_staff(
                    consultation.publication.department_id, roles=[Membership.Role.HEAD]
                ),
                "feedback_report_overdue",
                f"consultation:{consultation.pk}:report-overdue",
                _consultation(consultation),
                url=_staff_path(consultation),
            )
        )
    return sent


def _consultations(ids: list[int]):
    return Consultation.objects.filter(pk__in=ids).select_related("publication__department")
