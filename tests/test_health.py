"""/health/ for load balancers and docker-compose: database, Redis, beat and workers."""

import time

from django.core.cache import cache

from portal.health import BEAT_KEY, WORKER_KEY, heartbeat


def test_health_reports_database_and_redis_ok_and_stale_workers(client, db):
    cache.delete_many([BEAT_KEY, WORKER_KEY])
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert body["workers_stale"] is True and body["last_worker_seconds_ago"] is None


def test_a_heartbeat_run_by_a_worker_makes_workers_fresh(client, db):
    heartbeat.run()
    cache.set(BEAT_KEY, time.time() - 10)
    body = client.get("/health/").json()
    assert body["workers_stale"] is False
    assert body["last_worker_seconds_ago"] <= 1
    assert 9 <= body["last_beat_seconds_ago"] <= 12


def test_health_answers_503_when_redis_is_unreachable(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["redis"] != "ok"


def test_an_anonymous_caller_from_elsewhere_gets_only_the_status(client, db):
    response = client.get("/health/", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_an_anonymous_caller_from_elsewhere_learns_nothing_of_an_outage_but_503(
    client, db, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = client.get("/health/", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_monitoring_with_the_token_gets_the_detail_from_anywhere(client, db, settings):
    settings.HEALTH_TOKEN = "monitoring-token-5d1c"

    response = client.get(
        "/health/",
        REMOTE_ADDR="203.0.113.9",
        headers={"authorization": "Bearer monitoring-token-5d1c"},
    )

    assert response.json()["database"] == "ok"


def test_a_wrong_token_gets_only_the_status(client, db, settings):
    settings.HEALTH_TOKEN = "monitoring-token-5d1c"

    response = client.get(
        "/health/", REMOTE_ADDR="203.0.113.9", headers={"authorization": "Bearer guess"}
    )

    assert response.json() == {"status": "ok"}


def test_without_a_configured_token_an_empty_bearer_is_not_accepted(client, db, settings):
    settings.HEALTH_TOKEN = ""

    response = client.get(
        "/health/", REMOTE_ADDR="203.0.113.9", headers={"authorization": "Bearer "}
    )

    assert "database" not in response.json()


def test_behind_a_proxy_on_this_host_a_remote_caller_is_not_local(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    response = client.get(
        "/health/", REMOTE_ADDR="127.0.0.1", headers={"x-forwarded-for": "203.0.113.9"}
    )

    assert response.json() == {"status": "ok"}


def test_a_caller_on_the_server_itself_gets_the_detail(client, db):
    response = client.get("/health/", REMOTE_ADDR="127.0.0.1")

    assert response.json()["redis"] == "ok"
