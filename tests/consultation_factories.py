"""Consultations on drafts for the tests: drafted, approved by a second person, commented on.

Kept beside tests/factories.py (people, catalogue, cases), which they build on.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Department, User
from disclosure.consultations import (
    Moderation,
    draft_consultation,
    moderate_comment,
    submit_comment,
)
from disclosure.models import Consultation, ConsultationComment
from disclosure.publishing import approve_publication
from tests.factories import CitizenFactory, head_of, reviewer_of

DRAFT_TEXT = "第一条　为优化营商环境，制定本办法。\n第二条　企业开办在3个工作日内办结。"


def consultation_of(
    department: Department,
    *,
    opens_on: date | None = None,
    closes_on: date | None = None,
    questions: tuple[str, ...] = ("您认为3个工作日的时限是否合适？",),
    title: str = "关于《优化营商环境办法（征求意见稿）》公开征求意见的公告",
    published: bool = True,
    author: User | None = None,
    approver: User | None = None,
    **fields,
) -> Consultation:
    """A consultation of the department, open for 30 days from yesterday unless told otherwise,
    published by a second person (its head) unless `published=False`."""
    today = timezone.localdate()
    opens_on = opens_on or today - timedelta(days=1)
    author = author or reviewer_of(department)
    consultation = draft_consultation(
        author,
        department=department,
        title=title,
        body=fields.pop("body", DRAFT_TEXT),
        scope=fields.pop("scope", "本市企业和居民"),
        opens_on=opens_on,
        closes_on=closes_on or opens_on + timedelta(days=29),
        questions=list(questions),
        **fields,
    )
    if published:
        approve_publication(consultation.publication.pk, approver or head_of(department))
    return Consultation.objects.select_related("publication__department").get(pk=consultation.pk)


def comment_on(
    consultation: Consultation,
    author: User | None = None,
    *,
    body: str = "建议明确3个工作日从受理之日起算。",
    answers: dict[int, str] | None = None,
    moderated: str | None = None,
    moderator: User | None = None,
    reason: str = "",
) -> ConsultationComment:
    """A comment, pending unless `moderated` is Moderation.PUBLISH or Moderation.REJECT."""
    comment = submit_comment(
        consultation, author or CitizenFactory(), body=body, answers=answers or {}
    )
    if moderated:
        moderator = moderator or reviewer_of(consultation.publication.department)
        if moderated == Moderation.REJECT:
            reason = reason or "与征求意见稿无关。"
        comment = moderate_comment(comment.pk, moderator, moderated, reason)
    return comment
