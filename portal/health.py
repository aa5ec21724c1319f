"""/health/: whether this web process can reach what the portal needs, for load balancers.

Beat schedules `portal.health.heartbeat` every 30 seconds: beat records when it sent one
(before_task_publish, in the beat process) and the worker running it records when it ran, so
one page tells whether database, Redis, beat and workers are alive. 200 when database and Redis
answer (the web can take filings: routing waits in the outbox if workers are down), 503
otherwise.

Anyone may ask, so anyone gets only that status and {"status": "ok"} or "unavailable": which
server is down and how stale the workers are is for monitoring, which sends
`Authorization: Bearer <HEALTH_TOKEN>`, or asks from this host (the client's address as the
lock-outs count it, so a proxy on the same host does not make every caller local).
"""

import hmac
import ipaddress
import time

from celery import shared_task
from celery.signals import before_task_publish
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from common.ratelimits import client_ip
from common.replica import replica_configured, replica_lag_seconds

STALE_AFTER_SECONDS = 120


BEAT_KEY = "portal:heartbeat:beat"
WORKER_KEY = "portal:heartbeat:worker"


@shared_task(ignore_result=True, expires=60)
def heartbeat() -> None:
    cache.set(WORKER_KEY, time.time(), timeout=None)


@before_task_publish.connect
def note_beat_sent_heartbeat(sender=None, **kwargs):
    if sender == "portal.health.heartbeat":
        cache.set(BEAT_KEY, time.time(), timeout=None)


def _check(probe) -> tuple[bool, str]:
    try:
        probe()
        return True, "ok"
    except Exception as error:  # a health check reports every failure, whatever its type
        return False, error.__class__.__name__


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def may_see_the_detail(request) -> bool:
    token = settings.HEALTH_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(client_ip(request) or "").is_loopback
    except ValueError:
        return False


@never_cache
def health(request):
    database_ok, database = _check(_database)
    redis_ok, redis = _check(lambda: cache.get(WORKER_KEY))
    beats = cache.get_many([BEAT_KEY, WORKER_KEY]) if redis_ok else {}
    now = time.time()

    def age(key):
        return round(now - beats[key]) if key in beats else None

    status = 200 if database_ok and redis_ok else 503
    if not may_see_the_detail(request):
        return JsonResponse({"status": "ok" if status == 200 else "unavailable"}, status=status)
    body = {
        "status": "ok" if status == 200 else "unavailable",
        "database": database,
        "redis": redis,
        "last_beat_seconds_ago": age(BEAT_KEY),
        "last_worker_seconds_ago": age(WORKER_KEY),
        "workers_stale": age(WORKER_KEY) is None or age(WORKER_KEY) > STALE_AFTER_SECONDS,
    }
    if replica_configured():
        # Reported, never a 503: public reads fall back to the primary (common/replica.py).
        body["replica_lag_seconds"] = replica_lag_seconds(fresh=True)
    return JsonResponse(body, status=status)
