"""Celery delivers at least once and every task of the portal is ready for it."""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable

from portal.celery import app


def portal_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_a_message_is_acknowledged_only_after_its_task_ran():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_redis_redelivers_only_after_the_longest_task_has_been_stopped():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility


def test_every_task_retries_transient_errors_a_bounded_number_of_times_and_keeps_no_result():
    tasks = portal_tasks()
    assert {
        "approvals.tasks.route_application_task",
        "approvals.tasks.route_unrouted_applications",
        "approvals.tasks.sweep_deadlines",
        "services.tasks.delete_orphan_attachment_files",
        "portal.health.heartbeat",
    } <= set(tasks)
    for name, task in tasks.items():
        for error in (OperationalError, InterfaceError, BrokerUnavailable):
            assert error in task.autoretry_for, f"{name} does not retry {error.__name__}"
        assert 0 < task.max_retries <= 10, name
        assert task.retry_backoff, name
        assert task.ignore_result, name


def test_every_periodic_task_exists_and_its_message_expires():
    tasks = portal_tasks()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in tasks
        expires = entry.get("options", {}).get("expires") or tasks[entry["task"]].expires
        assert expires, f"{entry['task']} would pile up while the workers are down"
