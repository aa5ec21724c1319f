"""docs/api.md's "Walk-through with curl", run as written against a live portal.

The section's `sh` blocks are the script: they run in order, in one bash process, against a
live server with the demo data and a real Celery worker, as a reader would paste them after
`make run`. What each block prints must be what the `json` block after it shows, once ids,
tracking and certificate numbers, dates and times (which differ from run to run) are put aside.
A change to the API that the walk-through does not follow fails here, not in a reader's shell.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from instruments.generation import events_without_instrument
from portal.demo import load_demo
from tests.factories import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("bash", "curl", "jq", "python3")),
        reason="the walk-through needs bash, curl, jq and python3",
    ),
]

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SECTION = "## Walk-through with curl"
STEP_END = "@@ end of step @@"

# What differs from run to run, replaced by a placeholder on both sides of the comparison.
VARIABLE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),
    (re.compile(r"\b\d{16}\b"), "<tracking number>"),
    (re.compile(r"\bZZ\d{12}\b"), "<certificate number>"),
    (re.compile(r'"id":\d+'), '"id":<id>'),
]


def walkthrough_steps(markdown: str) -> list[tuple[str, str | None]]:
    """(script, expected output or None) of each `sh` block of the section, in order."""
    section = markdown[markdown.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"```(sh|json)\n(.*?)```", section, flags=re.DOTALL)
    steps: list[tuple[str, str | None]] = []
    for kind, text in blocks:
        if kind == "sh":
            steps.append((text, None))
        else:
            assert steps and steps[-1][1] is None, "a json block must follow an sh block"
            steps[-1] = (steps[-1][0], text)
    return steps


def normalised(output: str) -> list[str]:
    lines = []
    for line in output.strip().splitlines():
        for pattern, placeholder in VARIABLE:
            line = pattern.sub(placeholder, line)
        lines.append(line.strip())
    return lines


def test_the_walkthrough_in_the_api_docs_runs_as_written(live_server, celery_worker, tmp_path):
    load_demo()
    steps = walkthrough_steps(API_DOC.read_text())
    script = "set -eu\n" + "".join(f"{text}\necho '{STEP_END}'\n" for text, _ in steps)
    environment = {**os.environ, "B": live_server.url}

    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )

    # The worker seals every instrument of the demo's cases and of this one before the test ends,
    # so the database's flush after it never waits on (or deadlocks with) a half-done one.
    assert wait_until(lambda: not events_without_instrument(timezone.now()), timeout=60)
    outputs = result.stdout.split(STEP_END + "\n")
    assert result.returncode == 0, f"step {len(outputs)} failed: {result.stderr}{outputs[-1]}"
    for number, ((text, expected), output) in enumerate(zip(steps, outputs, strict=False)):
        if expected is None:
            assert output.strip() == "", f"step {number} prints what the doc does not show"
        else:
            assert normalised(output) == normalised(expected), f"step {number}:\n{text}"
