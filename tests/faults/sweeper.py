"""One sweeper process for test_two_sweepers: waits for the start signal, sweeps, reports.

python -m tests.faults.sweeper START_FILE RESULT_FILE
"""

import json
import os
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
django.setup()

from approvals.timeouts import sweep_overdue_tasks  # noqa: E402

start, result = Path(sys.argv[1]), Path(sys.argv[2])
while not start.exists():
    time.sleep(0.01)
began = time.monotonic()
swept = sweep_overdue_tasks()
result.write_text(
    json.dumps(
        {
            "deemed_approved": swept.deemed_approved,
            "escalated": swept.escalated,
            "seconds": time.monotonic() - began,
        }
    )
)
