"""Claiming tasks from the department queue: one claimant at a time, released by them or the head."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from approvals.claims import claim_task, release_task
from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from approvals.queues import queue_for
from tests.factories import (
    DepartmentFactory,
    ReviewTaskFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The domain functions speak the caller's language; these tests read the English messages.
    with translation.override("en"):
        yield


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def task(market):
    return ReviewTaskFactory(application__item=item_with_stages([[market]]))


def test_a_reviewer_claims_an_open_task_of_their_department(task, market):
    reviewer = reviewer_of(market)

    claim_task(task.pk, reviewer)

    task.refresh_from_db()
    assert task.claimed_by == reviewer
    assert task.claimed_at is not None


def test_claiming_ones_own_claim_again_changes_nothing(task, market):
    reviewer = reviewer_of(market)
    claim_task(task.pk, reviewer)
    first_claimed_at = ReviewTask.objects.get(pk=task.pk).claimed_at

    claim_task(task.pk, reviewer)

    assert ReviewTask.objects.get(pk=task.pk).claimed_at == first_claimed_at


def test_a_colleague_cannot_claim_a_task_already_claimed(task, market):
    claim_task(task.pk, reviewer_of(market, real_name="王芳"))

    with pytest.raises(ValidationError, match="王芳 is already working on this task"):
        claim_task(task.pk, reviewer_of(market))


def test_a_reviewer_of_another_department_cannot_claim(task):
    with pytest.raises(PermissionDenied):
        claim_task(task.pk, reviewer_of(DepartmentFactory()))
    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


def test_a_decided_task_cannot_be_claimed(task, market):
    decide(task.pk, reviewer_of(market), Outcome.APPROVE)

    with pytest.raises(ValidationError, match="already been decided"):
        claim_task(task.pk, reviewer_of(market))


def test_a_colleague_cannot_decide_a_task_someone_else_claimed(task, market):
    claim_task(task.pk, reviewer_of(market, real_name="王芳"))

    with pytest.raises(ValidationError, match="王芳 is working on this task"):
        decide(task.pk, reviewer_of(market), Outcome.APPROVE)
    assert ReviewTask.objects.get(pk=task.pk).state == ReviewTask.State.PENDING


def test_the_claimant_decides_their_claimed_task(task, market):
    reviewer = reviewer_of(market)
    claim_task(task.pk, reviewer)

    decide(task.pk, reviewer, Outcome.APPROVE)

    assert ReviewTask.objects.get(pk=task.pk).state == ReviewTask.State.APPROVED


def test_the_claimant_releases_the_task_back_to_the_queue(task, market):
    reviewer = reviewer_of(market)
    claim_task(task.pk, reviewer)

    release_task(task.pk, reviewer)

    task.refresh_from_db()
    assert (task.claimed_by, task.claimed_at) == (None, None)


def test_a_colleague_cannot_release_someone_elses_claim(task, market):
    claimant = reviewer_of(market)
    claim_task(task.pk, claimant)

    with pytest.raises(PermissionDenied):
        release_task(task.pk, reviewer_of(market))
    assert ReviewTask.objects.get(pk=task.pk).claimed_by == claimant


def test_the_head_releases_a_claim_of_a_reviewer_who_is_away(task, market):
    claim_task(task.pk, reviewer_of(market))

    release_task(task.pk, head_of(market))

    assert ReviewTask.objects.get(pk=task.pk).claimed_by is None


def test_claims_and_releases_are_in_the_audit_log(task, market):
    from accounts.models import AuditEntry

    reviewer = reviewer_of(market)
    claim_task(task.pk, reviewer)
    release_task(task.pk, reviewer)

    entries = AuditEntry.objects.filter(action="task.claim", object_id=str(task.pk))
    assert [entry.detail["released"] for entry in entries.order_by("pk")] == [False, True]


def test_the_queue_narrows_to_my_claims_or_unclaimed_tasks(market):
    item = item_with_stages([[market]])
    mine, unclaimed = routed_application(item), routed_application(item)
    reviewer = reviewer_of(market)
    claim_task(ReviewTask.objects.get(application=mine, stage_order=1).pk, reviewer)

    assert [t.application for t in queue_for(reviewer, claimed="mine")] == [mine]
    assert [t.application for t in queue_for(reviewer, claimed="unclaimed")] == [unclaimed]


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_produce_one_claim(task, market):
    reviewers = [reviewer_of(market), reviewer_of(market)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = claim_task(task.pk, reviewers[index])
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(isinstance(r, ValidationError) for r in results) == 1
    winner = next(r for r in results if isinstance(r, ReviewTask)).claimed_by
    assert ReviewTask.objects.get(pk=task.pk).claimed_by == winner
