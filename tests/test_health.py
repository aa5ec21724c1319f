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
