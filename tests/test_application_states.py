"""An application's status changes only as services/lifecycle.ALLOWED_TRANSITIONS says.

Every pair of statuses is tried through `change_status()`, the one door: an allowed move
changes the status and writes its timeline event, a refused one changes nothing. Each
application is brought to its starting status by the portal's own functions (the factory's
traits), never by writing the column.
"""

import itertools

import pytest
from django.utils import timezone

from services.filing import submit
from services.lifecycle import ALLOWED_TRANSITIONS, TransitionNotAllowed, change_status
from services.models import Application, ApplicationEvent
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
Event = ApplicationEvent.Kind

TRAIT_OF = {
    Status.DRAFT: "complete",
    Status.SUBMITTED: "submitted",
    Status.IN_REVIEW: "in_review",
    Status.SUPPLEMENT_REQUESTED: "supplement_requested",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.WITHDRAWN: "withdrawn",
}
EVENT_OF = {
    Status.DRAFT: Event.CREATED,
    Status.SUBMITTED: Event.SUBMITTED,
    Status.IN_REVIEW: Event.ACCEPTED,
    Status.SUPPLEMENT_REQUESTED: Event.SUPPLEMENT_REQUESTED,
    Status.APPROVED: Event.APPROVED,
    Status.REJECTED: Event.REJECTED,
    Status.WITHDRAWN: Event.WITHDRAWN,
}

PAIRS = list(itertools.product(Status.values, Status.values))
ALLOWED = [(source, target) for source, target in PAIRS if target in ALLOWED_TRANSITIONS[source]]
REFUSED = [pair for pair in PAIRS if pair not in ALLOWED]


def application_in(status: str) -> Application:
    application = ApplicationFactory(**{TRAIT_OF[status]: True})
    assert application.status == status
    return application


def test_the_table_names_every_status():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    assert set(TRAIT_OF) == set(Status.values)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_move_changes_the_status_and_writes_its_event(source, target):
    application = application_in(source)
    events_before = application.events.count()

    if source == Status.DRAFT:  # a draft has no tracking number until submission gives one
        submit(application, application.applicant)
    else:
        change_status(application, target, event=EVENT_OF[target], decided_at=timezone.now())

    assert Application.objects.get(pk=application.pk).status == target
    assert application.events.count() > events_before
    assert application.events.order_by("id").last().kind == EVENT_OF[target]


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_a_refused_move_changes_nothing(source, target):
    application = application_in(source)
    events_before = application.events.count()

    with pytest.raises(TransitionNotAllowed):
        change_status(application, target, event=EVENT_OF[target])

    assert Application.objects.get(pk=application.pk).status == source
    assert application.events.count() == events_before
