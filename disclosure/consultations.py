"""Public consultation on drafts (征求意见): a publication with a comment period and a feedback
deadline that the sweeper watches.

Interim Regulations on Major Administrative Decision-making Procedures (重大行政决策程序暂行条例)
Art. 14: the draft is published with how to comment and for how long, as a rule at least 30
days; a shorter period must be explained when it is published. Art. 15: the department
studies the comments and makes public how it took them into account (意见采纳情况).

The draft is an ordinary publication of kind "consultation": drafted by a civil servant,
approved by a second one, numbered, searchable, in the feeds and the sitemap, withdrawable
(disclosure/publishing.py). This module adds what a consultation has besides:

- the period (opening and closing moments) and the questions, written with the draft;
- comments by logged-in citizens and enterprises, accepted only while the period runs,
  public only after moderation, the author's name and any identifier in the text masked;
- the feedback report, itself a publication (kind "feedback_report") approved by a second
  person, due `report_limit_days` working days after closing (approvals.deadlines);
- the sweep that tells the department when comments close and escalates a late report to the
  department's heads, each exactly once (docs/participation.md says why it is a sweep of its
  own beside approvals' and not part of it).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Department, User
from approvals.deadlines import deadline_after
from common.page_cache import page_changed
from services.lifecycle import official_language

from .masking import mask_person_name, mask_text
from .models import (
    Consultation,
    ConsultationAnswer,
    ConsultationComment,
    ConsultationQuestion,
    Publication,
)
from .notifications import (
    tell_author_comment_moderated,
    tell_departments_comments_closed,
    tell_heads_report_overdue,
)
from .permissions import can_moderate
from .publishing import draft_publication

BATCH_SIZE = 200
MAX_QUESTIONS = 10

Phase = Consultation.Phase
CommentState = ConsultationComment.State


def minimum_period_days() -> int:
    return settings.CONSULTATION_MIN_DAYS


def comment_max_chars() -> int:
    return settings.CONSULTATION_COMMENT_MAX_CHARS


def answer_max_chars() -> int:
    return settings.CONSULTATION_ANSWER_MAX_CHARS


def _local(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment), timezone.get_default_timezone())


def opening_moment(day: date) -> datetime:
    """Comments open at the start of the opening day (Asia/Shanghai)."""
    return _local(day, time.min)


def closing_moment(day: date) -> datetime:
    """Comments are taken until the very end of the closing day."""
    return _local(day, time.max)


def report_deadline(closes_at: datetime, working_days: int) -> datetime:
    """The end of office hours on the `working_days`-th working day after comments close."""
    return deadline_after(closes_at, working_days)


def shown_moment(moment: datetime) -> str:
    """A moment as the reader's language writes it, in the portal's time zone."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# --- drafting ------------------------------------------------------------------------------------


def check_period(
    *, opens_on: date, closes_on: date, shortened_reason: str = "", today: date | None = None
) -> None:
    """Refuse a period that ends before it starts or in the past, or one shorter than the
    minimum without the reason Art. 14 asks to publish. Errors name the form's fields."""
    today = today or timezone.localdate()
    if closes_on < opens_on:
        raise ValidationError(
            {"closes_on": _("The closing date is before the opening date.")}, code="period_order"
        )
    if closes_on < today:
        raise ValidationError(
            {"closes_on": _("The closing date has already passed.")}, code="period_past"
        )
    days = (closes_on - opens_on).days + 1
    if days < minimum_period_days() and not shortened_reason.strip():
        raise ValidationError(
            {
                "shortened_reason": _(
                    "The period is %(days)s days, shorter than %(minimum)s: say why "
                    "(the reason is published with the draft)."
                )
                % {"days": days, "minimum": minimum_period_days()}
            },
            code="period_too_short",
        )


def draft_consultation(
    author: User,
    *,
    department: Department,
    title: str,
    body: str,
    scope: str,
    opens_on: date,
    closes_on: date,
    questions: list[str] = (),
    shortened_reason: str = "",
    report_limit_days: int | None = None,
    attachments: list[UploadedFile] = (),
) -> Consultation:
    """A draft for public comment, approved and published like any publication."""
    check_period(opens_on=opens_on, closes_on=closes_on, shortened_reason=shortened_reason)
    questions = [q.strip() for q in questions if q and q.strip()]
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(
            {"questions": _("Ask at most %(count)s questions.") % {"count": MAX_QUESTIONS}}
        )
    report_limit_days = report_limit_days or settings.CONSULTATION_REPORT_WORKING_DAYS
    closes_at = closing_moment(closes_on)
    with transaction.atomic():
        publication = draft_publication(
            author,
            department=department,
            kind=Publication.Kind.CONSULTATION,
            classification=Publication.Classification.PUBLIC,
            title=title,
            body=body,
            attachments=attachments,
        )
        consultation = Consultation.objects.create(
            publication=publication,
            scope=scope.strip(),
            opens_at=opening_moment(opens_on),
            closes_at=closes_at,
            shortened_reason=shortened_reason.strip(),
            report_limit_days=report_limit_days,
            report_due_at=report_deadline(closes_at, report_limit_days),
        )
        ConsultationQuestion.objects.bulk_create(
            ConsultationQuestion(consultation=consultation, order=n, text=text[:500])
            for n, text in enumerate(questions, start=1)
        )
        record(
            "consultation.draft",
            obj=consultation,
            actor=author,
            detail={"opens": str(opens_on), "closes": str(closes_on), "questions": len(questions)},
        )
    return consultation


def publication_published(publication: Publication) -> None:
    """What a consultation's publishing means; called by approve_publication in its transaction.

    A draft for comment whose closing day has passed is not published (no comment could be
    made: it must be drafted again with a new period). A feedback report, once published,
    meets its consultation's deadline.
    """
    if publication.kind == Publication.Kind.CONSULTATION:
        consultation = Consultation.objects.filter(publication=publication).first()
        if consultation is None:
            raise ValidationError(
                _("A draft for comment needs its comment period: draft it as a consultation."),
                code="no_period",
            )
        if consultation.closes_at <= publication.published_at:
            raise ValidationError(
                _("Comments on this draft closed on %(closes)s: draft it again with a new period.")
                % {"closes": shown_moment(consultation.closes_at)},
                code="period_over",
            )
    elif publication.kind == Publication.Kind.FEEDBACK_REPORT:
        Consultation.objects.filter(report=publication, report_published_at=None).update(
            report_published_at=publication.published_at
        )


# --- comments ------------------------------------------------------------------------------------


def public_name(author: User) -> str:
    """The commenter as the public sees them: a person masked (张*), an enterprise by name."""
    if author.kind == User.Kind.ENTERPRISE and author.enterprise_name:
        return author.enterprise_name
    return mask_person_name(author.real_name)


def accepts_comments_from(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.kind in (User.Kind.CITIZEN, User.Kind.ENTERPRISE)
    )


def check_open(consultation: Consultation, now: datetime | None = None) -> None:
    """Refuse a comment outside the period, saying when it opens or when it closed."""
    phase = consultation.phase(now)
    if phase == Phase.UPCOMING:
        raise ValidationError(
            _("Comments open on %(opens)s.") % {"opens": shown_moment(consultation.opens_at)},
            code="not_open_yet",
        )
    if phase == Phase.CLOSED:
        raise ValidationError(
            _("This consultation closed on %(closes)s; comments are no longer accepted.")
            % {"closes": shown_moment(consultation.closes_at)},
            code="closed",
        )


def _clean_answers(consultation: Consultation, answers: dict[int, str]) -> dict[int, str]:
    """The non-empty answers, each to one of the consultation's questions and not too long."""
    questions = dict(consultation.questions.values_list("pk", "order"))
    cleaned, errors = {}, []
    for question_id, text in (answers or {}).items():
        text = (text or "").strip()
        if not text:
            continue
        if question_id not in questions:
            errors.append(
                _("There is no question %(id)s in this consultation.") % {"id": question_id}
            )
        elif len(text) > answer_max_chars():
            errors.append(
                _(
                    "The answer to question %(order)s may be at most %(limit)s characters long "
                    "(it has %(length)s)."
                )
                % {
                    "order": questions[question_id],
                    "limit": answer_max_chars(),
                    "length": len(text),
                }
            )
        cleaned[question_id] = text
    if errors:
        raise ValidationError({"answers": errors}, code="invalid_answer")
    return cleaned


def check_comment_text(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write your comment.")}, code="empty")
    if len(body) > comment_max_chars():
        raise ValidationError(
            {
                "body": _("A comment may be at most %(limit)s characters long (it has %(length)s).")
                % {"limit": comment_max_chars(), "length": len(body)}
            },
            code="too_long",
        )
    return body


def submit_comment(
    consultation: Consultation, author: User, *, body: str, answers: dict[int, str] | None = None
) -> ConsultationComment:
    """A citizen's or an enterprise's comment, kept for moderation; nothing public yet.

    The text is stored as written: pages show it as text (escaped), never as HTML.
    """
    if not accepts_comments_from(author):
        raise PermissionDenied(_("Citizens and enterprises comment, with their own account."))
    if consultation.publication.state != Publication.State.PUBLISHED:
        raise ValidationError(_("This consultation is not open for comment."), code="not_public")
    check_open(consultation)
    body = check_comment_text(body)
    answers = _clean_answers(consultation, answers or {})
    with transaction.atomic():
        comment = ConsultationComment.objects.create(
            consultation=consultation, author=author, author_display=public_name(author), body=body
        )
        ConsultationAnswer.objects.bulk_create(
            ConsultationAnswer(comment=comment, question_id=question_id, text=text)
            for question_id, text in answers.items()
        )
        record(
            "consultation.comment",
            obj=comment,
            actor=author,
            detail={"consultation": consultation.pk, "answers": len(answers)},
        )
    return comment


class Moderation:
    PUBLISH = "publish"
    REJECT = "reject"
    CHOICES = (PUBLISH, REJECT)


# The one transition table of a comment: moderation happens once.
MODERATION_TARGET = {
    Moderation.PUBLISH: CommentState.PUBLISHED,
    Moderation.REJECT: CommentState.REJECTED,
}


def moderate_comment(
    comment_id: int, moderator: User, decision: str, reason: str = ""
) -> ConsultationComment:
    """Publish a pending comment (its text masked), or keep it off the page with a reason the
    author is told. A comment is moderated once: a second moderator finds it done."""
    if decision not in Moderation.CHOICES:
        raise ValidationError({"decision": _("Publish the comment or refuse it.")})
    reason = (reason or "").strip()
    if decision == Moderation.REJECT and not reason:
        raise ValidationError(
            {"reason": _("Say why the comment is not published; its author is told.")},
            code="reason_required",
        )
    with transaction.atomic():
        comment = (
            ConsultationComment.objects.select_for_update(of=("self",))
            .select_related("consultation__publication__department", "author")
            .get(pk=comment_id)
        )
        consultation = comment.consultation
        if not can_moderate(moderator, consultation):
            raise PermissionDenied(_("You may not moderate comments of this department."))
        if comment.state != CommentState.PENDING:
            raise ValidationError(
                _("This comment has already been moderated: %(state)s.")
                % {"state": comment.get_state_display()},
                code="already_moderated",
            )
        now = timezone.now()
        comment.state = MODERATION_TARGET[decision]
        comment.moderated_by = moderator
        comment.moderated_at = now
        if decision == Moderation.PUBLISH:
            # Personal data the author (or anyone) put in the text is masked in the public copy.
            names = (comment.author.real_name,)
            comment.public_body = mask_text(comment.body, names=names)
            for answer in comment.answers.all():
                answer.public_text = mask_text(answer.text, names=names)
                answer.save(update_fields=["public_text"])
        else:
            comment.rejection_reason = reason
        comment.save()
        record(
            "consultation.moderate",
            obj=comment,
            actor=moderator,
            detail={"decision": decision, "consultation": consultation.pk},
        )
        tell_author_comment_moderated(comment)
        if decision == Moderation.PUBLISH:
            # At once and again after the commit, so that a render racing this transaction
            # is not served (as services/receivers.py does for the catalogue).
            consultation_page_changed(consultation.pk)
            transaction.on_commit(lambda: consultation_page_changed(consultation.pk))
    return comment


# --- the feedback report (意见采纳情况) -------------------------------------------------------------


@dataclass(frozen=True)
class CommentCounts:
    received: int
    published: int
    not_published: int
    pending: int


def comment_counts(consultation: Consultation) -> CommentCounts:
    counts = consultation.comments.aggregate(
        received=Count("pk"),
        published=Count("pk", filter=Q(state=CommentState.PUBLISHED)),
        rejected=Count("pk", filter=Q(state=CommentState.REJECTED)),
        pending=Count("pk", filter=Q(state=CommentState.PENDING)),
    )
    return CommentCounts(
        received=counts["received"],
        published=counts["published"],
        not_published=counts["rejected"],
        pending=counts["pending"],
    )


def report_text(
    consultation: Consultation,
    counts: CommentCounts,
    *,
    adopted_count: int,
    adopted: str,
    not_adopted: str,
) -> tuple[str, str]:
    """Title and text of the report, in the portal's official language (a stored record)."""
    with official_language():
        title = _("Feedback on the comments received: %(title)s") % {
            "title": consultation.publication.title
        }
        summary = _(
            "Comments were taken from %(opens)s to %(closes)s. %(received)s comments were "
            "received, %(published)s of them published after moderation; %(adopted)s were "
            "adopted in full or in part."
        ) % {
            "opens": formats.date_format(timezone.localtime(consultation.opens_at), "DATE_FORMAT"),
            "closes": formats.date_format(
                timezone.localtime(consultation.closes_at), "DATE_FORMAT"
            ),
            "received": counts.received,
            "published": counts.published,
            "adopted": adopted_count,
        }
        text = "\n\n".join(
            [
                summary,
                _("What was adopted"),
                adopted,
                _("What was not adopted, and why"),
                not_adopted,
            ]
        )
    return title[:200], text


def draft_feedback_report(
    consultation_id: int, author: User, *, adopted_count: int, adopted: str, not_adopted: str
) -> Publication:
    """The department's account of the comments, drafted once comments have closed; a second
    person approves it like any publication, and its publishing meets the deadline."""
    adopted, not_adopted = (adopted or "").strip(), (not_adopted or "").strip()
    if not adopted or not not_adopted:
        raise ValidationError(
            _("Say what was adopted, and what was not and why."), code="report_incomplete"
        )
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update(of=("self",))
            .select_related("publication__department", "report")
            .get(pk=consultation_id)
        )
        if consultation.publication.state != Publication.State.PUBLISHED:
            raise ValidationError(_("Only a published consultation has a feedback report."))
        if consultation.phase() != Phase.CLOSED:
            raise ValidationError(
                _("The feedback report is written once comments close on %(closes)s.")
                % {"closes": shown_moment(consultation.closes_at)},
                code="still_open",
            )
        report = consultation.report
        if report is not None and report.state != Publication.State.WITHDRAWN:
            raise ValidationError(
                _("This consultation's feedback report is already drafted."), code="report_exists"
            )
        counts = comment_counts(consultation)
        if not 0 <= adopted_count <= counts.received:
            raise ValidationError(
                {
                    "adopted_count": _("Between 0 and the %(received)s comments received.")
                    % {"received": counts.received}
                }
            )
        # Staff may quote commenters: their names and identifiers are masked in the report.
        names = tuple(consultation.comments.values_list("author__real_name", flat=True).distinct())
        title, text = report_text(
            consultation,
            counts,
            adopted_count=adopted_count,
            adopted=mask_text(adopted, names=names),
            not_adopted=mask_text(not_adopted, names=names),
        )
        publication = draft_publication(
            author,
            department=consultation.publication.department,
            kind=Publication.Kind.FEEDBACK_REPORT,
            classification=Publication.Classification.PUBLIC,
            title=title,
            body=text,
        )
        consultation.report = publication
        consultation.adopted_count = adopted_count
        consultation.report_published_at = None
        consultation.save(update_fields=["report", "adopted_count", "report_published_at"])
        record(
            "consultation.report_draft",
            obj=consultation,
            actor=author,
            detail={"report": publication.pk, "adopted": adopted_count},
        )
    return publication


# --- the sweep: comments closed, late reports ----------------------------------------------------


def _closing_unnoticed(now: datetime):
    return Consultation.objects.filter(closing_noticed_at__isnull=True, closes_at__lt=now)


def _reports_awaited(now: datetime):
    return Consultation.objects.filter(
        report_published_at__isnull=True, report_escalated_at__isnull=True, report_due_at__lt=now
    )


def _claim(queryset, now: datetime, *, mark: str, order_by: str, batch_size: int) -> list[int]:
    """Set `mark` on a batch of due consultations, each once; returns their ids.

    SKIP LOCKED lets two sweepers share the work; the partial index on the column being set
    means a consultation leaves the query as soon as its batch commits. Drafts and withdrawn
    consultations are left alone (nothing was asked of the public, or it was called off).
    """
    ids = list(
        queryset.filter(publication__state=Publication.State.PUBLISHED)
        .select_for_update(of=("self",), skip_locked=True)
        .order_by(order_by)
        .values_list("pk", flat=True)[:batch_size]
    )
    Consultation.objects.filter(pk__in=ids).update(**{mark: now})
    return ids


@dataclass
class ConsultationSweep:
    closed: list[int]
    escalated: list[int]


def sweep_consultations(
    now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> ConsultationSweep:
    """Tell each department whose consultation closed, and escalate each late feedback report
    to the department's heads: each exactly once, a batch per transaction."""
    now = now or timezone.now()
    result = ConsultationSweep(closed=[], escalated=[])
    while True:
        with transaction.atomic():
            closed = _claim(
                _closing_unnoticed(now),
                now,
                mark="closing_noticed_at",
                order_by="closes_at",
                batch_size=batch_size,
            )
            tell_departments_comments_closed(closed)
        result.closed += closed
        if len(closed) < batch_size:
            break
    while True:
        with transaction.atomic():
            late = _claim(
                _reports_awaited(now),
                now,
                mark="report_escalated_at",
                order_by="report_due_at",
                batch_size=batch_size,
            )
            for consultation_id in late:
                record(
                    "consultation.report_overdue",
                    obj=("disclosure.consultation", consultation_id),
                    detail={"escalated_at": now.isoformat()},
                )
            tell_heads_report_overdue(late)
        result.escalated += late
        if len(late) < batch_size:
            break
    return result


# --- the public page's cache ----------------------------------------------------------------------


def consultation_page_version(consultation_id: int, phase: str, report_published: bool) -> str:
    """The page cache's version of a consultation's public page (common/page_cache.py).

    The phase and the report are part of it, so the page a visitor is served changes the moment
    comments open or close or the report is published, without anyone invalidating it; a
    comment published by a moderator invalidates it (consultation_page_changed).
    """
    return f"consultation:{consultation_id}:{phase}:{'report' if report_published else 'none'}"


def consultation_page_changed(consultation_id: int) -> None:
    for phase in Phase.values:
        for report_published in (False, True):
            page_changed(consultation_page_version(consultation_id, phase, report_published))
