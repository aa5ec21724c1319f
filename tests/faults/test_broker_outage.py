"""Redis is down while citizens file: every application is kept, and routed once it is back.

200 applications are submitted over HTTP to gunicorn while Redis is stopped; each applicant
gets a tracking number. Redis starts again; the worker reconnects and beat's reconciler routes
every one of them, none twice, within 60 seconds.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from django.db.models import Count

from approvals.models import ACCEPTANCE_STAGE, ReviewTask
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

APPLICATIONS = 200
CITIZENS = 20


def file_application(visitor: Visitor, item) -> tuple[int, str]:
    """Start a draft on the guide and submit it with its materials; returns (id, final page)."""
    started = visitor.post(f"/services/{item.code}/apply/", {})
    assert started.status == 302, (started.status, started.body[:500])
    application_id = int(started.location.rstrip("/").split("/")[-2])
    files = {
        f"material__{code}": (f"{code}.pdf", PDF_BYTES, "application/pdf")
        for code in item.materials.values_list("code", flat=True)
    }
    submitted = visitor.post(
        f"/applications/{application_id}/edit/", {**DEFAULT_ANSWERS, "submit": ""}, files
    )
    assert submitted.status == 302, (submitted.status, submitted.body[:2000])
    page = visitor.get(submitted.location)
    return application_id, page.body


def routed_count(ids) -> int:
    return Application.objects.filter(pk__in=ids, routed_at__isnull=False).count()


def test_applications_filed_while_redis_is_down_are_all_routed_once_it_is_back(stack):
    item = item_with_stages([[DepartmentFactory(name="市市场监督管理局")]])
    citizens = [CitizenFactory() for _ in range(CITIZENS)]
    stack.web()
    stack.worker("worker")
    stack.beat()
    visitors = [Visitor.logged_in(stack.web_port, citizen) for citizen in citizens]

    stack.redis.stop()
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        filed = list(
            pool.map(lambda n: file_application(visitors[n % CITIZENS], item), range(APPLICATIONS))
        )
    filing_seconds = time.monotonic() - started

    ids = [application_id for application_id, _page in filed]
    submitted = Application.objects.filter(pk__in=ids, status=Application.Status.SUBMITTED)
    assert submitted.count() == APPLICATIONS
    for application in submitted:
        page = dict(filed)[application.pk]
        assert application.tracking_number in page, "the applicant was not shown the number"
    assert routed_count(ids) == 0, "routed although Redis was down"

    stack.redis.start()
    seconds = wait_for(lambda: routed_count(ids) == APPLICATIONS, 60, "routing after Redis")

    tasks = ReviewTask.objects.filter(application__in=ids)
    assert tasks.count() == APPLICATIONS
    assert set(tasks.values_list("stage_order", flat=True)) == {ACCEPTANCE_STAGE}
    routed_events = (
        ApplicationEvent.objects.filter(application__in=ids, kind=ApplicationEvent.Kind.ROUTED)
        .values("application")
        .annotate(n=Count("id"))
    )
    assert len(routed_events) == APPLICATIONS
    assert {row["n"] for row in routed_events} == {1}
    figure(
        f"Redis down: {APPLICATIONS} applications filed over HTTP in {filing_seconds:.1f} s, "
        f"all with a tracking number; all {APPLICATIONS} routed once, "
        f"{seconds:.1f} s after Redis came back"
    )
