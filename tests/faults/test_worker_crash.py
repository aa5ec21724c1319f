"""A worker killed with SIGKILL in the middle of routing: every case is routed exactly once.

500 routing messages wait in Redis. A worker starts on them and is SIGKILLed (its pool too)
while routing; the transactions it had open are rolled back by PostgreSQL, the messages it
held are unacknowledged. A new worker takes the rest of the queue and beat's reconciler the
cases whose message died with the first worker.
"""

import signal

from django.db.models import Count
from django.utils import timezone

from approvals.models import ACCEPTANCE_STAGE, ReviewTask
from approvals.tasks import route_application_task
from services.models import Application, ApplicationEvent
from tests.factories import DepartmentFactory, item_with_stages, submitted_application
from tests.faults.cases import copies_of
from tests.faults.conftest import figure
from tests.faults.servers import wait_for

APPLICATIONS = 500


def routed(ids) -> int:
    return Application.objects.filter(pk__in=ids, routed_at__isnull=False).count()


def test_a_worker_killed_while_routing_leaves_no_case_unrouted_or_routed_twice(stack):
    model = submitted_application(item_with_stages([[DepartmentFactory()]]))
    others = copies_of(model, APPLICATIONS - 1, submitted_at=timezone.now())
    ids = [model.pk, *(application.pk for application in others)]
    for application_id in ids:
        route_application_task.delay(application_id)
    stack.beat()

    first = stack.worker("first", concurrency=2)
    wait_for(lambda: routed(ids) >= 100, 120, f"the first worker routing\n{first.tail()}")
    first.send(signal.SIGKILL)
    first.proc.wait()
    at_kill = routed(ids)
    assert at_kill < APPLICATIONS, "the worker finished before it could be killed"

    stack.worker("second", concurrency=2)
    seconds = wait_for(lambda: routed(ids) == APPLICATIONS, 90, "routing after the crash")

    tasks = ReviewTask.objects.filter(application__in=ids)
    assert tasks.count() == APPLICATIONS
    assert set(tasks.values_list("stage_order", flat=True)) == {ACCEPTANCE_STAGE}
    events = (
        ApplicationEvent.objects.filter(application__in=ids, kind=ApplicationEvent.Kind.ROUTED)
        .values("application")
        .annotate(n=Count("id"))
    )
    assert len(events) == APPLICATIONS and {row["n"] for row in events} == {1}
    figure(
        f"Worker SIGKILLed after {at_kill}/{APPLICATIONS} routed; a new worker and the "
        f"reconciler routed the other {APPLICATIONS - at_kill} in {seconds:.1f} s, each case once"
    )
