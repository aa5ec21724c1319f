"""Disclosure on request (依申请公开): a catalogue item that runs through the ordinary pipeline.

The request is an application of the item(s) named in settings.DISCLOSURE_REQUEST_ITEMS
(demo: "information-disclosure-request", 20 working days, one extension of up to 20: both
limits are data on the item, Regulations on the Disclosure of Government Information
Art. 33). The department's decision opinion is the answer, and reaches the applicant on their
case page like every department's feedback. Staff may then publish the answer for everyone
(Art. 45 encourages publishing information that is requested often): the requester's name
and personal data are never part of what is published.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.permissions import departments_of
from services.models import Application

from .masking import mask_text
from .models import Publication

DEFAULT_REQUEST_ITEMS = ("information-disclosure-request",)


def disclosure_request_item_codes() -> tuple[str, ...]:
    return tuple(getattr(settings, "DISCLOSURE_REQUEST_ITEMS", DEFAULT_REQUEST_ITEMS))


def answered_requests(user) -> QuerySet[Application]:
    """Decided disclosure requests that one of the person's departments answered."""
    return (
        Application.objects.filter(
            item__code__in=disclosure_request_item_codes(),
            status__in=[Application.Status.APPROVED, Application.Status.REJECTED],
            review_tasks__department__in=departments_of(user),
            review_tasks__stage_order__gt=0,
        )
        .distinct()
        .select_related("item", "applicant")
        .order_by("-decided_at")
    )


def answer_of(application: Application) -> str:
    """The answer as the applicant received it: every deciding department's opinion."""
    tasks = application.review_tasks.filter(stage_order__gt=0).exclude(opinion="")
    return "\n\n".join(task.opinion for task in tasks.order_by("stage_order", "department_id"))


def publishable_answer(application: Application) -> tuple[str, str]:
    """(title, text) of the answer as it may be published: the question and the answer, masked.

    The requester is never named; anything in the texts that looks like personal data (the
    requester's name, ID numbers, phones, e-mails, addresses) is masked as well.
    """
    applicant = application.applicant
    names = (applicant.real_name,)  # a natural person even for an enterprise (the handler)
    question = mask_text(application.answers.get("information", ""), names=names)
    answer = mask_text(answer_of(application), names=names)
    title = _("Answer to a disclosure request: %(question)s") % {
        "question": question[:60] + ("…" if len(question) > 60 else "")
    }
    text = _("Information requested:\n%(question)s\n\nAnswer:\n%(answer)s") % {
        "question": question,
        "answer": answer,
    }
    return title[:200], text


def draft_answer_publication(application_id: int, author) -> Publication:
    """Start the publication of an answer: a draft, which a second person approves as usual."""
    from .publishing import draft_publication

    application = answered_requests(author).filter(pk=application_id).first()
    if application is None:
        raise PermissionDenied(_("This is not a disclosure request your department answered."))
    department = (
        application.review_tasks.filter(stage_order__gt=0, department__in=departments_of(author))
        .select_related("department")
        .first()
        .department
    )
    title, text = publishable_answer(application)
    return draft_publication(
        author,
        department=department,
        kind=Publication.Kind.REQUEST_ANSWER,
        classification=Publication.Classification.PUBLIC,
        title=title,
        body=text,
        answers_application=application,
    )
