"""PostgreSQL restarted while citizens file: a clean 503, nothing half written, filing resumes.

Eight applicants file continuously over HTTP (start a draft, submit it with its materials).
PostgreSQL is stopped with a fast shutdown, kept down two seconds and started again; gunicorn
and the worker are not touched. Every answer is a redirect (done) or the 503 page, never a
traceback; every application is whole (a draft, or submitted with its number, snapshot,
materials and one "submitted" event); filing succeeds again by itself, and every submitted
case is routed.
"""

import threading
import time
from collections import Counter

from django.db import connections
from django.db.models import Count

from services.models import Application, ApplicationEvent
from tests.factories import (
    DEFAULT_ANSWERS,
    PDF_BYTES,
    CitizenFactory,
    DepartmentFactory,
    item_with_stages,
)
from tests.faults.conftest import figure
from tests.faults.http import Visitor
from tests.faults.servers import wait_for

CLIENTS = 8


def file_once(visitor: Visitor, item, materials) -> list:
    """One filing; returns the answers it got (status, body) — a 503 ends it early."""
    started = visitor.post(f"/services/{item.code}/apply/", {})
    if started.status != 302:
        return [started]
    application_id = int(started.location.rstrip("/").split("/")[-2])
    files = {f"material__{c}": (f"{c}.pdf", PDF_BYTES, "application/pdf") for c in materials}
    submitted = visitor.post(
        f"/applications/{application_id}/edit/", {**DEFAULT_ANSWERS, "submit": ""}, files
    )
    return [started, submitted]


def test_a_database_restart_under_filing_load_gives_clean_503s_and_filing_resumes(stack):
    item = item_with_stages([[DepartmentFactory()]])
    materials = list(item.materials.values_list("code", flat=True))
    stack.web()
    stack.worker("worker")
    stack.beat()
    visitors = [Visitor.logged_in(stack.web_port, CitizenFactory()) for _ in range(CLIENTS)]
    connections.close_all()  # the test process must not hold connections across the restart

    answers: list[tuple[float, object]] = []
    stop = threading.Event()

    def applicant(visitor):
        while not stop.is_set():
            for answer in file_once(visitor, item, materials):
                answers.append((time.monotonic(), answer))
                if answer.status == 503:
                    time.sleep(0.2)  # a person, or a client honouring Retry-After, waits

    threads = [threading.Thread(target=applicant, args=(v,)) for v in visitors]
    for thread in threads:
        thread.start()
    time.sleep(4)
    stack.postgres.stop()
    health = Visitor(stack.web_port).get("/health/")
    time.sleep(2)
    stack.postgres.start()
    back = time.monotonic()
    wait_for(
        lambda: any(t > back and a.status == 302 for t, a in answers[-50:]), 30, "filing again"
    )
    resumed = min(t for t, a in answers if t > back and a.status == 302) - back
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(60)

    # Load balancers see it too: /health/ says which dependency is away.
    assert health.status == 503 and '"database": "ok"' not in health.body, health.body
    assert '"redis": "ok"' in health.body

    statuses = Counter(answer.status for _t, answer in answers)
    assert set(statuses) <= {302, 503}, statuses
    unavailable = [answer for _t, answer in answers if answer.status == 503]
    assert unavailable, "the restart was not felt: no request met the database down"
    for answer in unavailable:
        assert "Service temporarily unavailable" in answer.body
        assert "Traceback" not in answer.body
    assert [a.status for t, a in answers if t > back + resumed + 1] and {
        a.status for t, a in answers if t > back + resumed + 1
    } == {302}, "filing did not stay up after the restart"

    # Nothing half written: a draft, or a whole submission.
    submitted = Application.objects.exclude(status=Application.Status.DRAFT)
    assert not Application.objects.filter(status="draft", tracking_number__isnull=False).exists()
    events = Counter(
        ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.SUBMITTED).values_list(
            "application", flat=True
        )
    )
    for application in submitted.annotate(files=Count("attachments")):
        assert application.tracking_number and application.item_version_id
        assert events[application.pk] == 1
        assert application.files == len(materials)
    assert not set(events) - set(submitted.values_list("pk", flat=True))
    ids = list(submitted.values_list("pk", flat=True))
    wait_for(
        lambda: Application.objects.filter(pk__in=ids, routed_at__isnull=True).count() == 0,
        60,
        "routing of the cases submitted around the restart",
    )
    connections.close_all()
    figure(
        f"PostgreSQL restarted under filing load: {statuses[302]} redirects, {statuses[503]} "
        f"clean 503 pages, 0 tracebacks, {len(ids)} applications whole and routed; "
        f"filing resumed {resumed:.1f} s after PostgreSQL was back"
    )
