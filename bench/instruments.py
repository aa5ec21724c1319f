"""CPU and size of each generated written instrument (issue 18): target p95 ≤ 150 ms, ≤ 200 KB.

`python -m bench instruments [--quick] [--screenshots DIR]`, or `run_instrument_benchmark()`
from the main run (Django set up, database migrated). Cases of every kind of instrument are made
through the real pipeline on the demo catalogue (filing, routing, deciding), with the
after-commit hook disconnected so that nothing is generated behind the benchmark's back; then
each instrument is issued by `instruments.generation.issue_instrument`, the function the Celery
task calls, and its CPU time (this process: rendering, signing, the ORM) and PDF size are
recorded. The first instruments warm the process up (fonts loaded, the seal drawn) and are not
counted, as a long-running worker would have done that long ago.

--screenshots DIR writes the first page of one instrument of each kind as PNG (poppler's
pdftoppm), for docs/instruments.md and the README.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CPU_TARGET_MS = 150
SIZE_TARGET_BYTES = 200 * 1024
WARM_UP = 5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def make_cases(count: int) -> list[int]:
    """`count` decided or notified cases, every kind of instrument among them; their event ids."""
    from django.db.models.signals import post_save

    from accounts.models import User
    from approvals import clocks
    from approvals.decisions import Outcome, decide
    from approvals.models import ReviewTask
    from instruments.content import EVENT_INSTRUMENTS
    from portal.demo import load_demo
    from services.models import ApplicationEvent, ServiceItem
    from tests.factories import (
        CitizenFactory,
        acceptance_task,
        application_at_acceptance,
        clerk_of,
        head_of,
        number_people_from,
        reviewer_of,
        routed_application,
    )

    post_save.disconnect(sender=ApplicationEvent, dispatch_uid="instruments-after-event")
    logging.getLogger("instruments").setLevel(logging.WARNING)
    logging.getLogger("approvals").setLevel(logging.WARNING)
    load_demo()
    # The factories number people from 0 in each process; a database measured before (`bench
    # --reuse`) already has those names, so number on from every account there is.
    number_people_from(User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1)
    permit = ServiceItem.objects.get(code="residence-permit")
    request = ServiceItem.objects.get(code="information-disclosure-request")
    answers = {"information": "请公开2025年小餐饮许可名单。", "delivery": "电子邮件"}
    permit_answers = {
        "current_address": "安徽省合肥市蜀山区长江西路100号",
        "moved_in_on": "2026-01-05",
        "basis": "合法稳定住所",
        "employer": "",
    }
    english = CitizenFactory(preferred_language="en")
    reviewers = {}

    def reviewer(department):
        if department.pk not in reviewers:
            reviewers[department.pk] = reviewer_of(department)
        return reviewers[department.pk]

    def decide_all(application, outcome, opinion):
        for task in ReviewTask.objects.filter(application=application, stage_order=1):
            decide(task.pk, reviewer(task.department), outcome, opinion)

    def refusal(n):
        applicant = english if n % 4 == 0 else None
        application = routed_application(permit, applicant, answers=permit_answers)
        decide_all(application, Outcome.REJECT, "居住时间不足半年，不符合申领条件。")

    def approval(n):
        application = routed_application(permit, answers=permit_answers)
        decide_all(application, Outcome.APPROVE, "材料齐全，符合法定条件。")

    def not_accepted(n):
        application = application_at_acceptance(permit, answers=permit_answers)
        task = acceptance_task(application)
        decide(task.pk, clerk_of(task.department), Outcome.REJECT, "不属于本机关职权范围。")

    def supplement(n):
        application = application_at_acceptance(permit, answers=permit_answers)
        task = acceptance_task(application)
        note = "1. 营业执照复印件不清晰\n2. 缺少经营场所平面图\n3. 法定代表人未签字"
        decide(task.pk, clerk_of(task.department), Outcome.REQUEST_SUPPLEMENT, note)

    def extension(n):
        application = routed_application(permit, answers=permit_answers)
        task = ReviewTask.objects.filter(application=application, stage_order=1).first()
        asked = clocks.request_extension(task.pk, reviewer(task.department), 10, "需要现场核查")
        clocks.decide_extension(asked.pk, head_of(task.department), True)

    def answer(n):
        application = routed_application(request, answers=answers)
        decide_all(application, Outcome.APPROVE, "经审查，所申请信息予以公开：共312件。")

    scenarios = [refusal, approval, not_accepted, supplement, extension, answer]
    before = ApplicationEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made, turn = 0, 0
    while made < count:
        scenarios[turn % len(scenarios)](turn)
        turn += 1
        made = ApplicationEvent.objects.filter(
            pk__gt=before, kind__in=list(EVENT_INSTRUMENTS)
        ).count()
    assert User.objects.exists()
    return list(
        ApplicationEvent.objects.filter(pk__gt=before, kind__in=list(EVENT_INSTRUMENTS))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def run_instrument_benchmark(*, count: int = 300, screenshots: Path | None = None) -> dict:
    from instruments.generation import issue_instrument

    print(f"instruments: making cases for {count} instruments", flush=True)
    event_ids = make_cases(count + WARM_UP)
    for event_id in event_ids[:WARM_UP]:
        issue_instrument(event_id)
    rows = []
    for event_id in event_ids[WARM_UP:]:
        started = time.process_time()
        wall = time.perf_counter()
        instrument = issue_instrument(event_id)
        rows.append(
            {
                "kind": instrument.kind,
                "cpu_ms": (time.process_time() - started) * 1000,
                "wall_ms": (time.perf_counter() - wall) * 1000,
                "bytes": instrument.size,
                "english": "+en" in instrument.languages,
            }
        )
    cpu = [row["cpu_ms"] for row in rows]
    sizes = [row["bytes"] for row in rows]
    result = {
        "instruments": len(rows),
        "cpu_p50_ms": percentile(cpu, 0.5),
        "cpu_p95_ms": percentile(cpu, 0.95),
        "wall_p95_ms": percentile([row["wall_ms"] for row in rows], 0.95),
        "bytes_p50": percentile(sizes, 0.5),
        "bytes_p95": percentile(sizes, 0.95),
        "bytes_max": max(sizes),
        "cpu_target_ms": CPU_TARGET_MS,
        "size_target_bytes": SIZE_TARGET_BYTES,
        "by_kind": {
            kind: {
                "count": len(of_kind),
                "cpu_p50_ms": percentile([r["cpu_ms"] for r in of_kind], 0.5),
                "cpu_p95_ms": percentile([r["cpu_ms"] for r in of_kind], 0.95),
                "bytes_p50": statistics.median(r["bytes"] for r in of_kind),
                "bytes_max": max(r["bytes"] for r in of_kind),
            }
            for kind in sorted({row["kind"] for row in rows})
            for of_kind in [[row for row in rows if row["kind"] == kind]]
        },
    }
    result["met"] = (
        result["cpu_p95_ms"] <= CPU_TARGET_MS and result["bytes_max"] <= SIZE_TARGET_BYTES
    )
    print(
        f"instruments: {len(rows)} issued, CPU p50 {result['cpu_p50_ms']:.0f} ms, p95 "
        f"{result['cpu_p95_ms']:.0f} ms (target ≤ {CPU_TARGET_MS}); size p50 "
        f"{result['bytes_p50'] / 1024:.0f} KB, max {result['bytes_max'] / 1024:.0f} KB "
        f"(target ≤ {SIZE_TARGET_BYTES // 1024})",
        flush=True,
    )
    if screenshots:
        write_screenshots(screenshots)
    return result


def write_screenshots(directory: Path) -> None:
    """First page of one instrument of each kind, and the English page of a refusal."""
    from instruments.models import Instrument

    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for kind in Instrument.Kind.values:
            instrument = Instrument.objects.filter(kind=kind).order_by("pk").first()
            if instrument is None:
                continue
            pdf = Path(scratch) / f"{kind}.pdf"
            pdf.write_bytes(bytes(instrument.pdf))
            pages = [("", 1)]
            if "+en" in instrument.languages:
                pages.append(("-en", 2))
            for suffix, page in pages:
                target = directory / f"instrument-{kind.replace('_', '-')}{suffix}"
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page),
                     "-singlefile", str(pdf), str(target)],
                    check=True,
                )  # fmt: skip
                print(f"instruments: wrote {target}.png", flush=True)


def markdown(result: dict) -> str:
    lines = [
        "| written instruments (bench/instruments.py) | CPU p50 ms | CPU p95 ms | PDF p50 KB | "
        "PDF max KB |",
        "|---|---:|---:|---:|---:|",
        f"| all {result['instruments']} (target p95 ≤ {CPU_TARGET_MS} ms, ≤ "
        f"{SIZE_TARGET_BYTES // 1024} KB) | {result['cpu_p50_ms']:.0f} | "
        f"{result['cpu_p95_ms']:.0f} | {result['bytes_p50'] / 1024:.0f} | "
        f"{result['bytes_max'] / 1024:.0f} |",
    ]
    for kind, row in result["by_kind"].items():
        lines.append(
            f"| {kind} ({row['count']}) | {row['cpu_p50_ms']:.0f} | {row['cpu_p95_ms']:.0f} | "
            f"{row['bytes_p50'] / 1024:.0f} | {row['bytes_max'] / 1024:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench instruments")
    parser.add_argument("--quick", action="store_true", help="60 instruments instead of 300")
    parser.add_argument("--screenshots", type=Path, help="write PNGs of the first pages here")
    args = parser.parse_args(argv)

    from urllib.parse import urlsplit

    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_instruments_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = run_instrument_benchmark(count=60 if args.quick else 300, screenshots=args.screenshots)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "instruments.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + markdown(result))
    return 0 if result["met"] else 1
