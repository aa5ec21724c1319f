"""The factories' traits bring a case to the state they name, through the portal's own steps."""

import pytest

from approvals.models import ReviewTask
from services.models import Application, ApplicationEvent
from tests.factories import (
    ApplicationFactory,
    DepartmentFactory,
    ReviewTaskFactory,
    item_with_stages,
)

pytestmark = pytest.mark.django_db

Status = Application.Status
State = ReviewTask.State


@pytest.mark.parametrize(
    "trait, status",
    [
        (None, Status.DRAFT),
        ("complete", Status.DRAFT),
        ("submitted", Status.SUBMITTED),
        ("at_acceptance", Status.SUBMITTED),
        ("in_review", Status.IN_REVIEW),
        ("supplement_requested", Status.SUPPLEMENT_REQUESTED),
        ("approved", Status.APPROVED),
        ("rejected", Status.REJECTED),
        ("withdrawn", Status.WITHDRAWN),
    ],
)
def test_each_application_trait_reaches_its_status(trait, status):
    application = ApplicationFactory(**({trait: True} if trait else {}))

    assert application.status == status
    assert Application.objects.get(pk=application.pk).status == status


def test_a_complete_draft_has_every_answer_and_material_it_needs():
    from services.filing import missing_requirements

    application = ApplicationFactory(complete=True)

    assert missing_requirements(application) == []


def test_at_acceptance_waits_for_the_service_centre_and_in_review_has_its_first_stage_open():
    waiting = ApplicationFactory(at_acceptance=True)
    reviewing = ApplicationFactory(in_review=True)

    assert [(t.stage_order, t.state) for t in waiting.review_tasks.all()] == [(0, State.PENDING)]
    assert reviewing.current_stage == 1
    assert reviewing.review_tasks.get(stage_order=1).state == State.PENDING


def test_approved_goes_through_every_stage_and_issues_the_certificate():
    first, second = DepartmentFactory(), DepartmentFactory()

    application = ApplicationFactory(item=item_with_stages([[first], [second]]), approved=True)

    assert set(application.review_tasks.values_list("stage_order", "state")) == {
        (0, State.APPROVED),
        (1, State.APPROVED),
        (2, State.APPROVED),
    }
    assert application.certificate.number
    assert application.events.filter(kind=ApplicationEvent.Kind.APPROVED).exists()


@pytest.mark.parametrize(
    "trait, state",
    [
        (None, State.PENDING),
        ("decided", State.APPROVED),
        ("rejected", State.REJECTED),
        ("supplement_requested", State.SUPPLEMENT_REQUESTED),
    ],
)
def test_each_review_task_trait_reaches_its_state(trait, state):
    task = ReviewTaskFactory(**({trait: True} if trait else {}))

    assert task.stage_order == 1
    assert task.state == state


def test_a_review_task_of_a_chosen_department_of_a_given_case():
    market, tax = DepartmentFactory(code="market"), DepartmentFactory(code="tax")
    application = ApplicationFactory(item=item_with_stages([[market, tax]]), in_review=True)

    task = ReviewTaskFactory(application=application, department=tax, decided=True)

    assert (task.department, task.state) == (tax, State.APPROVED)
    assert application.review_tasks.get(department=market).state == State.PENDING
