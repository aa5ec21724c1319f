"""The audit chains (issue 21): split per department against one chain, and the two suites.

`python -m bench chains [--quick]`, or `run_chain_benchmark()` from the main run (Django set
up, database migrated). In the same run, on the same database:

1. Filing throughput with 4 departments, 8 filers at once: each filing is the real thing
   (`start_draft` then `submit`, each entry recorded in its case's chain), first with the log
   as one chain (every entry forced into the system's chain, as before issue 21), then split.
2. Audit appends per second from 8 threads across 4 departments, each append its own
   transaction (the lock is held until commit), one chain against split chains.
3. Sign and verify per second: SM2 (gmssl-pyx) against Ed25519 (cryptography), and SM3
   against SHA-256 over an audit entry's size.

Figures are printed as ratios (split / one chain, SM2 / Ed25519); absolute rates depend on a
machine that is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

RESULTS = Path(__file__).resolve().parent / "results"
DEPARTMENTS = 4
THREADS = 8


def _setup(departments: int, threads: int):
    from accounts.models import Department, User
    from services.models import ItemImplementation, ReviewStage, ServiceItem, StageDepartment, Theme
    from services.regions import default_region

    city = default_region()
    theme, _ = Theme.objects.get_or_create(slug="bench-chains", defaults={"name": "审计链基准"})
    items, chain_departments = [], []
    for n in range(departments):
        department, _ = Department.objects.get_or_create(
            code=f"bench-chain-{n}", defaults={"name": f"基准部门{n}", "region": city}
        )
        item, created = ServiceItem.objects.get_or_create(
            code=f"bench-chain-item-{n}",
            defaults={
                "name": f"基准事项{n}",
                "theme": theme,
                "summary": "基准",
                "legal_basis": "基准",
                "audience": "both",
            },
        )
        if created:
            implementation = ItemImplementation.objects.create(
                item=item, region=city, accepting_department=department, is_published=True
            )
            stage = ReviewStage.objects.create(implementation=implementation, order=1, name="审查")
            StageDepartment.objects.create(stage=stage, department=department, time_limit_days=5)
        items.append(item)
        chain_departments.append(department)
    citizens = []
    for n in range(threads):
        citizen, created = User.objects.get_or_create(
            username=f"bench-chain-filer-{n}",
            defaults={"kind": User.Kind.CITIZEN, "real_name": f"基准{n}"},
        )
        citizens.append(citizen)
    return items, chain_departments, citizens


@contextmanager
def one_chain():
    """The log as it was before issue 21: every entry in one chain, under one lock."""
    with mock.patch("accounts.audit._department_id_of", lambda obj, department: None):
        yield


def _in_threads(threads: int, work) -> tuple[int, float]:
    """Run work(thread_number) in `threads` threads at once; (operations, seconds)."""
    from django.db import connection

    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            counts[number] = work(number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), seconds


def filing_rate(items, citizens, per_thread: int) -> float:
    from services.filing import start_draft, submit

    def work(number: int) -> int:
        item = items[number % len(items)]
        for _ in range(per_thread):
            application = start_draft(item, citizens[number])
            submit(application, citizens[number])
        return per_thread

    done, seconds = _in_threads(len(citizens), work)
    return done / seconds


def append_rate(departments, threads: int, per_thread: int) -> float:
    from django.db import transaction

    from accounts import audit

    def work(number: int) -> int:
        department = departments[number % len(departments)]
        for n in range(per_thread):
            with transaction.atomic():
                audit.record("bench.append", department=department, detail={"n": n})
        return per_thread

    done, seconds = _in_threads(threads, work)
    return done / seconds


def per_second(operation, seconds: float = 1.0) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        operation()
        count += 1
    return count / elapsed


def signature_rates(seconds: float) -> dict:
    from accounts import signing

    message = b"x" * 512  # about an anchor's or a certificate's signed bytes
    rates = {}
    for algorithm in (signing.ED25519, signing.SM2):
        entry = signing.generate_key_entry("bench", algorithm)
        (key,) = signing.parse_signing_keys(entry, "BENCH_KEYS")
        signature = key.sign(message)
        rates[algorithm] = {
            "sign_per_second": round(per_second(lambda k=key: k.sign(message), seconds)),
            "verify_per_second": round(
                per_second(lambda k=key, s=signature: k.verify(message, s), seconds)
            ),
        }
    for algorithm in (signing.SHA256, signing.SM3):
        rates[algorithm] = {
            "hash_per_second": round(
                per_second(lambda a=algorithm: signing.digest(message, a), seconds)
            )
        }
    return rates


def run_chain_benchmark(*, quick: bool = False) -> dict:
    from accounts import audit

    items, departments, citizens = _setup(DEPARTMENTS, THREADS)
    filings = 5 if quick else 25
    appends = 50 if quick else 250
    # Warm-up: the chains exist, the processes' caches are filled.
    filing_rate(items, citizens[:DEPARTMENTS], 1)
    with one_chain():
        one_filing = filing_rate(items, citizens, filings)
        one_append = append_rate(departments, THREADS, appends)
    split_filing = filing_rate(items, citizens, filings)
    split_append = append_rate(departments, THREADS, appends)
    if not audit.verify_chain().is_intact:
        raise RuntimeError("The audit log does not verify after the benchmark.")
    crypto = signature_rates(0.5 if quick else 2.0)
    return {
        "departments": DEPARTMENTS,
        "threads": THREADS,
        "filing": {
            "one_chain_per_second": round(one_filing, 1),
            "split_per_second": round(split_filing, 1),
            "ratio": round(split_filing / one_filing, 2),
        },
        "appends": {
            "one_chain_per_second": round(one_append, 1),
            "split_per_second": round(split_append, 1),
            "ratio": round(split_append / one_append, 2),
        },
        "crypto": crypto,
        "sm2_to_ed25519": {
            "sign": round(
                crypto["SM2"]["sign_per_second"] / crypto["Ed25519"]["sign_per_second"], 2
            ),
            "verify": round(
                crypto["SM2"]["verify_per_second"] / crypto["Ed25519"]["verify_per_second"], 2
            ),
        },
        "sm3_to_sha256": round(
            crypto["sm3"]["hash_per_second"] / crypto["sha256"]["hash_per_second"], 2
        ),
    }


def markdown(result: dict) -> str:
    filing, appends, crypto = result["filing"], result["appends"], result["crypto"]
    return "\n".join(
        [
            f"Audit chains ({result['departments']} departments, {result['threads']} threads "
            "at once; bench/chains.py):",
            "",
            "| measure | one chain | split chains | split / one |",
            "|---|---:|---:|---:|",
            f"| filings per second (start + submit) | {filing['one_chain_per_second']} | "
            f"{filing['split_per_second']} | {filing['ratio']:.2f} |",
            f"| audit appends per second (one per transaction) | "
            f"{appends['one_chain_per_second']} | {appends['split_per_second']} | "
            f"{appends['ratio']:.2f} |",
            "",
            "| algorithm | sign/s | verify/s |",
            "|---|---:|---:|",
            f"| Ed25519 (cryptography) | {crypto['Ed25519']['sign_per_second']} | "
            f"{crypto['Ed25519']['verify_per_second']} |",
            f"| SM2 (gmssl-pyx) | {crypto['SM2']['sign_per_second']} | "
            f"{crypto['SM2']['verify_per_second']} |",
            f"| SM2 / Ed25519 | {result['sm2_to_ed25519']['sign']:.2f} | "
            f"{result['sm2_to_ed25519']['verify']:.2f} |",
            "",
            f"SM3 / SHA-256 hashes per second over 512 bytes: {result['sm3_to_sha256']:.2f} "
            f"({crypto['sm3']['hash_per_second']} / {crypto['sha256']['hash_per_second']}).",
            "",
        ]
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench chains")
    parser.add_argument("--quick", action="store_true", help="fewer filings and appends")
    args = parser.parse_args(argv)

    from urllib.parse import urlsplit

    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_chains_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = run_chain_benchmark(quick=args.quick)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chains.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + markdown(result))
    return 0
