"""Errors that say "try again later", not "this case is wrong".

PostgreSQL restarting or failing over, a connection cut, Redis unreachable while a task
publishes a follow-up. Every Celery task retries them (portal/celery.py, PortalTask); a task
that catches errors of its own lets these through to that retry.
"""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerUnavailable,
    RedisConnectionError,
    RedisTimeoutError,
)
