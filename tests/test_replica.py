"""Which reads go to the read replica (common/replica.py, docs/operations.md).

The "replica" here is a second alias on the test database: its own connection, so the queries
each one ran can be counted, as a web node's two connections would be. Its data is the
primary's, so these tests prove the routing; a real streaming replica that lags, stops and
comes back is in `make faults` (tests/faults/test_read_replica.py).
"""

import copy
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from accounts.audit import record, verify_chain
from accounts.models import AuditEntry
from common.replica import PIN_COOKIE, REPLICA_ALIAS, ReplicaRouter, request_reads
from services.models import ServiceItem
from tests.consultation_factories import consultation_of
from tests.factories import CitizenFactory, DepartmentFactory, ServiceItemFactory, ThemeFactory


@pytest.fixture(scope="module", autouse=True)
def replica_alias():
    """A replica alias on the test database, declared before the tests' database set-up reads
    the aliases (Django allows a test only the aliases it names)."""
    connections.settings[REPLICA_ALIAS] = {
        **copy.deepcopy(connections.settings["default"]),
        "TEST": {"MIRROR": "default"},
    }
    yield
    connections[REPLICA_ALIAS].close()
    del connections[REPLICA_ALIAS]
    del connections.settings[REPLICA_ALIAS]


# Transactional: the data must be committed for the second connection to see it, as it must be
# on a real primary for its replica to receive it.
with_replica = pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS])


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_PIN_SECONDS = 30
    return connections[REPLICA_ALIAS]


def point_replica_at(**where) -> dict:
    connections[REPLICA_ALIAS].close()
    del connections[REPLICA_ALIAS]
    before = {key: connections.settings[REPLICA_ALIAS][key] for key in where}
    connections.settings[REPLICA_ALIAS].update(where)
    return before


@pytest.fixture
def replica_down(replica):
    """The replica alias pointed at a port where nothing listens: connections are refused."""

    def down():
        restore.update(point_replica_at(HOST="127.0.0.1", PORT="1"))

    restore = {}
    yield down
    point_replica_at(**restore)


@pytest.fixture
def no_replica():
    saved = connections.settings.pop(REPLICA_ALIAS)
    yield
    connections.settings[REPLICA_ALIAS] = saved


def content_queries(captured: CaptureQueriesContext) -> list[str]:
    """The page's own queries, without the replica's lag check."""
    return [q["sql"] for q in captured.captured_queries if "pg_is_in_recovery" not in q["sql"]]


def reads_on_each(client, path: str) -> tuple[object, list[str], list[str]]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica,
    ):
        response = client.get(path)
    return response, content_queries(primary), content_queries(replica)


@pytest.fixture
def item():
    return ServiceItemFactory(code="food-shop", name="食品经营许可")


@with_replica
def test_the_public_api_reads_from_the_replica(replica, item, client):
    response, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")

    assert response.status_code == 200
    assert response.json()["name"] == "食品经营许可"
    assert any("services_serviceitem" in sql for sql in on_replica)
    assert not any("services_serviceitem" in sql for sql in on_primary)


@with_replica
def test_public_pages_read_from_the_replica(replica, item, client):
    response, on_primary, on_replica = reads_on_each(client, "/disclosure/decisions/")

    assert response.status_code == 200
    assert on_replica
    assert not on_primary


@with_replica
def test_who_is_asking_is_read_from_the_primary_even_on_public_pages(replica, item, client_for):
    client = client_for(CitizenFactory())

    response, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")

    assert response.status_code == 200
    assert any("django_session" in sql for sql in on_primary)
    assert any("accounts_user" in sql for sql in on_primary)
    assert not any("django_session" in sql or "accounts_user" in sql for sql in on_replica)
    assert any("services_serviceitem" in sql for sql in on_replica)


@with_replica
def test_reading_a_public_page_logged_in_does_not_pin_to_the_primary(replica, client_for):
    client = client_for(CitizenFactory())

    first, _, on_replica = reads_on_each(client, "/disclosure/decisions/")
    second, _, on_replica_again = reads_on_each(client, "/disclosure/decisions/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert PIN_COOKIE not in first.cookies
    assert on_replica and on_replica_again


@with_replica
def test_a_persons_own_pages_read_from_the_primary(replica, client_for):
    client = client_for(CitizenFactory())

    response, on_primary, on_replica = reads_on_each(client, "/applications/")

    assert response.status_code == 200
    assert on_primary
    assert not on_replica


@with_replica
def test_whoever_has_just_written_reads_from_the_primary_for_a_while(replica, item, client_for):
    client = client_for(CitizenFactory())

    written = client.post("/display/elderly-mode/", {"elderly": "on"})
    _, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")

    assert PIN_COOKIE in written.cookies
    assert written.cookies[PIN_COOKIE]["max-age"] == 30
    assert any("services_serviceitem" in sql for sql in on_primary)
    assert not on_replica
    with time_machine.travel(timedelta(seconds=31)):
        _, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")
    assert any("services_serviceitem" in sql for sql in on_replica)


@with_replica
def test_a_forged_pin_cookie_is_ignored(replica, item, client):
    client.cookies[PIN_COOKIE] = "1"

    _, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")

    assert any("services_serviceitem" in sql for sql in on_replica)


@with_replica
def test_an_api_client_that_wrote_reads_from_the_primary_for_a_while(replica):
    consultation = consultation_of(DepartmentFactory())
    comments = f"/api/v1/consultations/{consultation.pk}/comments/"
    writer = Client(
        headers={"authorization": f"Token {AuthToken.objects.create(CitizenFactory())[1]}"}
    )
    reader = Client(
        headers={"authorization": f"Token {AuthToken.objects.create(CitizenFactory())[1]}"}
    )

    written = writer.post(comments, {"body": "建议明确起算时间。"}, content_type="application/json")
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as writers_reads:
        assert writer.get(comments).status_code == 200
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as readers_reads:
        assert reader.get(comments).status_code == 200

    assert written.status_code == 201
    assert not content_queries(writers_reads)
    assert content_queries(readers_reads)


@with_replica
def test_reads_after_a_write_in_the_same_request_come_from_the_primary(replica):
    router = ReplicaRouter()
    with request_reads(from_replica=True):
        before = router.db_for_read(ServiceItem)
        ThemeFactory(slug="after-write", name="写后读")
        after = router.db_for_read(ServiceItem)

    assert (before, after) == (REPLICA_ALIAS, "default")


@with_replica
def test_reads_inside_a_transaction_come_from_the_primary(replica):
    router = ReplicaRouter()
    with request_reads(from_replica=True), transaction.atomic():
        inside = router.db_for_read(AuditEntry)

    assert inside == "default"


@with_replica
def test_the_audit_chains_head_is_read_from_the_primary_during_a_public_read(replica):
    record("test.before", detail={})
    with (
        request_reads(from_replica=True),
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica,
    ):
        record("test.during_a_public_read", detail={})

    assert not [q for q in on_replica.captured_queries if "accounts_auditentry" in q["sql"]]
    assert verify_chain().is_intact


@with_replica
def test_a_replica_further_behind_than_allowed_is_not_read(replica, item, client, settings):
    # The alias is no replica: its lag is 0 s, which no negative allowance accepts.
    settings.REPLICA_MAX_LAG_SECONDS = -1

    response, on_primary, on_replica = reads_on_each(client, "/api/v1/services/food-shop/")

    assert response.status_code == 200
    assert any("services_serviceitem" in sql for sql in on_primary)
    assert not on_replica


@with_replica
def test_an_unreachable_replica_is_skipped(replica_down, item, client):
    replica_down()

    response = client.get("/api/v1/services/food-shop/")

    assert response.status_code == 200
    assert response.json()["name"] == "食品经营许可"


@with_replica
def test_health_reports_the_replicas_lag_without_failing_on_it(replica_down, client):
    up = client.get("/health/")
    replica_down()
    down = client.get("/health/")

    assert (up.status_code, up.json()["replica_lag_seconds"]) == (200, 0.0)
    assert (down.status_code, down.json()["replica_lag_seconds"]) == (200, None)


def test_without_a_replica_nothing_is_routed_or_pinned(db, no_replica, client_for):
    client = client_for(CitizenFactory())

    written = client.post("/display/elderly-mode/", {"elderly": "on"})

    assert REPLICA_ALIAS not in connections.settings
    assert PIN_COOKIE not in written.cookies
    assert ServiceItem.objects.all().db == "default"
    assert ReplicaRouter().db_for_read(ServiceItem) is None


def test_nothing_is_migrated_on_the_replica():
    assert ReplicaRouter().allow_migrate(REPLICA_ALIAS, "services") is False
    assert ReplicaRouter().allow_migrate("default", "services") is True
