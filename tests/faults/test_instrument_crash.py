"""A worker killed with SIGKILL while it seals instruments: each exists exactly once, numbered
without a gap.

300 acceptance events wait for their notices. A worker starts on them and is SIGKILLed (its pool
too) mid-generation; the transaction it had open (counter row locked, PDF rendered, not yet
committed) is rolled back by PostgreSQL with the number it had taken. A new worker takes the
rest of the queue and beat's reconciler the events whose message died with the first worker.
"""

import signal

from django.db.models import Count
from django.utils import timezone

from instruments.models import Instrument
from services.models import ApplicationEvent
from tests.factories import DepartmentFactory, item_with_stages, submitted_application
from tests.faults.cases import copies_of
from tests.faults.conftest import figure
from tests.faults.servers import wait_for

EVENTS = 300


def issued(event_ids) -> int:
    return Instrument.objects.filter(event__in=event_ids).count()


def test_a_worker_killed_while_sealing_leaves_every_instrument_existing_exactly_once(stack):
    from instruments.tasks import issue_instrument_task

    department = DepartmentFactory(code="crash-dept")
    model = submitted_application(item_with_stages([[department]]))
    cases = [model, *copies_of(model, EVENTS - 1, submitted_at=timezone.now())]
    # bulk_create sends no post_save: the messages are sent below, all at once.
    events = ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                application=case, kind=ApplicationEvent.Kind.ACCEPTED, department=department
            )
            for case in cases
        ]
    )
    ids = [event.pk for event in events]
    for event_id in ids:
        issue_instrument_task.delay(event_id)
    stack.beat()

    first = stack.worker("first", concurrency=2)
    wait_for(lambda: issued(ids) >= 40, 180, f"the first worker sealing\n{first.tail()}")
    first.send(signal.SIGKILL)
    first.proc.wait()
    at_kill = issued(ids)
    assert at_kill < EVENTS, "the worker finished before it could be killed"

    stack.worker("second", concurrency=2)
    seconds = wait_for(lambda: issued(ids) == EVENTS, 240, "sealing after the crash")

    per_event = Instrument.objects.filter(event__in=ids).values("event").annotate(n=Count("id"))
    assert len(per_event) == EVENTS and {row["n"] for row in per_event} == {1}
    serials = sorted(
        Instrument.objects.filter(department=department).values_list("serial", flat=True)
    )
    assert serials == list(range(1, EVENTS + 1)), "numbers with a gap or a duplicate"
    figure(
        f"Worker SIGKILLed after {at_kill}/{EVENTS} instruments sealed; a new worker and the "
        f"reconciler sealed the other {EVENTS - at_kill} in {seconds:.1f} s, each once, "
        f"numbered 1–{EVENTS} without a gap"
    )
