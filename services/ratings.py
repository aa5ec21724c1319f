"""Ratings (好差评): the applicant says how a finished case was handled, once.

Shown on the case's status page and counted in the public statistics (disclosure reads
`Rating` directly). Only a case that has ended can be rated: before that the applicant would
be rating a process still running.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import record

from .models import Application, Rating

MAX_COMMENT_LENGTH = 1000


def rate(application: Application, user, score, comment: str = "") -> Rating:
    """Record the applicant's rating of a finished case; a second rating is refused."""
    if application.applicant_id != user.pk:
        raise PermissionDenied(_("Only the applicant rates an application."))
    if not application.is_closed or application.submitted_at is None:
        raise ValidationError(_("You can rate the service once your application has ended."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose from 1 (poor) to 5 (very good).")})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {"comment": _("At most %(max)s characters, please.") % {"max": MAX_COMMENT_LENGTH}}
        )
    try:
        with transaction.atomic():
            rating = Rating.objects.create(application=application, score=score, comment=comment)
    except IntegrityError:
        # Two submissions racing: the unique constraint keeps one, the other is told.
        raise ValidationError(_("You have already rated this application.")) from None
    record("application.rating", obj=application, actor=user, detail={"score": score})
    return rating
