"""Routing: after commit, a real Celery worker turns a submission into parallel review tasks."""

import logging
import threading
from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from approvals.deadlines import deadline_after
from approvals.models import ACCEPTANCE_STAGE, ReviewTask
from approvals.routing import open_stage, route_application
from approvals.tasks import route_unrouted_applications
from services.models import Application, ApplicationEvent
from tests.conftest import TEST_BROKER_DATABASE
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    accept,
    application_at_acceptance,
    application_form_data,
    apply_through_the_portal,
    draft_application,
    item_with_stages,
    pdf_upload,
    routed_application,
    service_centre,
    submitted_application,
    wait_until,
)


@pytest.fixture
def first_stage():
    return [DepartmentFactory(name="市市场监督管理局"), DepartmentFactory(name="市卫生健康委员会")]


@pytest.fixture
def second_stage():
    return [DepartmentFactory(name="市消防救援支队")]


@pytest.fixture
def item(first_stage, second_stage):
    return item_with_stages([first_stage, second_stage], time_limit_days=3)


def is_routed(application: Application) -> bool:
    return Application.objects.filter(pk=application.pk, routed_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_worker_routes_a_submission_to_the_service_centre_for_acceptance(
    celery_worker, client_for, item
):
    application = apply_through_the_portal(client_for(CitizenFactory()), item)

    assert wait_until(lambda: is_routed(application)), "the worker did not route the application"
    task = ReviewTask.objects.get(application=application)
    assert (task.department, task.stage_order) == (service_centre(), ACCEPTANCE_STAGE)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.current_stage == ACCEPTANCE_STAGE


@pytest.mark.django_db
def test_acceptance_sends_the_case_to_every_department_of_the_first_stage_at_once(
    item, first_stage
):
    application = application_at_acceptance(item)

    application = accept(application)

    tasks = ReviewTask.objects.filter(application=application, stage_order=1)
    assert {task.department_id for task in tasks} == {department.pk for department in first_stage}
    assert {task.state for task in tasks} == {ReviewTask.State.PENDING}
    assert application.status == Application.Status.IN_REVIEW
    assert application.current_stage == 1


@pytest.mark.django_db(transaction=True)
def test_every_routed_task_has_its_working_day_deadline(celery_worker, client_for, item):
    application = apply_through_the_portal(client_for(CitizenFactory()), item)

    assert wait_until(lambda: is_routed(application))
    application.refresh_from_db()
    acceptance = ReviewTask.objects.get(application=application)
    assert acceptance.time_limit_days == 5  # Art. 32, the item's acceptance limit
    assert acceptance.due_at == deadline_after(application.routed_at, 5)

    application = accept(application)
    for task in ReviewTask.objects.filter(application=application, stage_order=1):
        assert task.state == ReviewTask.State.PENDING
        assert task.time_limit_days == 3
        assert task.due_at == deadline_after(application.accepted_at, 3)
    # Three departments handle it jointly: 45 working days overall from acceptance (Art. 42).
    assert application.due_at == deadline_after(application.accepted_at, 45)


@pytest.mark.django_db(transaction=True)
def test_routing_tells_the_applicant_which_departments_received_the_case(
    celery_worker, client_for, item
):
    application = apply_through_the_portal(client_for(CitizenFactory()), item)

    assert wait_until(lambda: is_routed(application))
    routed = application.events.get(kind=ApplicationEvent.Kind.ROUTED)
    assert routed.department == service_centre()
    accept(application)
    opened = application.events.get(kind=ApplicationEvent.Kind.STAGE_OPENED)
    assert "市市场监督管理局" in opened.note
    assert "市卫生健康委员会" in opened.note


@pytest.mark.django_db
def test_routing_an_application_again_creates_no_more_tasks(item):
    application = application_at_acceptance(item)

    again = route_application(application.pk)

    assert again == []
    assert ReviewTask.objects.filter(application=application).count() == 1
    assert application.events.filter(kind=ApplicationEvent.Kind.ROUTED).count() == 1


@pytest.mark.django_db
def test_routing_an_accepted_application_again_creates_no_more_tasks(item):
    application = routed_application(item)

    again = route_application(application.pk)

    assert again == []
    assert ReviewTask.objects.filter(application=application).count() == 3


@pytest.mark.django_db
def test_opening_a_stage_twice_creates_no_duplicate_tasks(item):
    application = routed_application(item)

    tasks = open_stage(application, 1, timezone.now())

    assert len(tasks) == 2
    assert ReviewTask.objects.filter(application=application, stage_order=1).count() == 2


@pytest.mark.django_db
def test_database_refuses_a_second_task_for_the_same_department_and_stage(item, first_stage):
    application = routed_application(item)

    with pytest.raises(IntegrityError, match="one_task_per_department_per_stage"):
        with transaction.atomic():
            ReviewTask.objects.create(
                application=application,
                stage_order=1,
                stage_name="重复",
                department=first_stage[0],
                time_limit_days=3,
                due_at=timezone.now(),
                remind_at=timezone.now(),
            )


@pytest.mark.django_db(transaction=True)
def test_submission_succeeds_while_the_broker_is_unreachable(
    broker_outage, client_for, item, caplog
):
    citizen = CitizenFactory()
    client = client_for(citizen)
    application = draft_application(item, citizen)

    with broker_outage(), caplog.at_level(logging.WARNING, logger="approvals.receivers"):
        response = client.post(
            reverse("services:edit", args=[application.pk]),
            application_form_data(submit=True, id_card=pdf_upload(), site_photo=pdf_upload()),
        )

    application.refresh_from_db()
    assert response.status_code == 302
    assert application.status == Application.Status.SUBMITTED
    assert application.tracking_number
    assert any(application.tracking_number in str(m) for m in get_messages(response.wsgi_request))
    assert application.routed_at is None
    assert not ReviewTask.objects.filter(application=application).exists()
    assert "will be routed by the reconciler" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_reconciler_in_the_worker_routes_a_submission_whose_message_was_lost(
    celery_worker, broker_outage, item, settings
):
    with broker_outage():
        application = submitted_application(item)
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - settings.ROUTING_GRACE - timedelta(seconds=1)
    )
    assert not is_routed(application)

    route_unrouted_applications.delay()

    assert wait_until(lambda: is_routed(application)), (
        "the reconciler did not route the application"
    )
    assert ReviewTask.objects.get(application=application).stage_order == ACCEPTANCE_STAGE


@pytest.mark.django_db
def test_reconciler_leaves_recent_submissions_to_their_own_message(item):
    application = submitted_application(item)

    routed = route_unrouted_applications()

    assert routed == 0
    application.refresh_from_db()
    assert application.routed_at is None


@pytest.mark.django_db
def test_reconciler_routes_each_forgotten_submission_once(item, settings):
    forgotten = [submitted_application(item) for _ in range(2)]
    Application.objects.filter(pk__in=[a.pk for a in forgotten]).update(
        submitted_at=timezone.now() - settings.ROUTING_GRACE - timedelta(minutes=5)
    )

    assert route_unrouted_applications() == 2
    assert route_unrouted_applications() == 0
    tasks = ReviewTask.objects.filter(application__in=forgotten)
    assert sorted(tasks.values_list("application", "stage_order")) == [
        (application.pk, ACCEPTANCE_STAGE) for application in forgotten
    ]


@pytest.mark.django_db(transaction=True)
def test_worker_consumes_routing_messages_from_redis_not_in_process(
    celery_worker, celery_app, client_for, item
):
    worker_threads = []

    def remember_thread(**kwargs):
        worker_threads.append(threading.current_thread())

    task_prerun.connect(remember_thread, weak=False)
    try:
        application = apply_through_the_portal(client_for(CitizenFactory()), item)
        assert wait_until(lambda: is_routed(application))
    finally:
        task_prerun.disconnect(remember_thread)

    assert not celery_app.conf.task_always_eager
    assert celery_worker.consumer.connection.as_uri().startswith("redis://")
    assert celery_worker.consumer.connection.as_uri().endswith(f"/{TEST_BROKER_DATABASE}")
    assert worker_threads and threading.current_thread() not in worker_threads
