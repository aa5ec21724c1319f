"""The Celery app of the virtual government; its tasks live in each app's tasks.py.

Delivery is at least once (settings: acks_late, reject_on_worker_lost): a message is
acknowledged only after its task finished, so a worker that dies mid-task leaves it to be
delivered again. Every task is therefore written to be run twice without effect (unique
constraints, conditional updates, row locks), and none relies on a result backend.
"""

import os

from celery import Celery, Task

from common.transient import TRANSIENT_ERRORS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")


class PortalTask(Task):
    """Every task of the portal retries transient errors a bounded number of times.

    Backoff 2, 4, 8 … seconds (jittered, at most a minute): five tries span a PostgreSQL
    restart or failover. After the last one the task fails and is logged; what it should have
    done is not lost, because beat's reconciler and sweeper find the work again in PostgreSQL.
    """

    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    ignore_result = True


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal"], related_name="health")
