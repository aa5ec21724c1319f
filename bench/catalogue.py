"""A province's catalogue imported at once (issue 16): target ≤ 60 s for 1,000 standard items
and 10,000 implementations on 2 cores; and the admin's list of implementations at that size,
target p95 ≤ 300 ms.

`python -m bench catalogue [--quick]` (`make bench ARGS=catalogue`), or
`run_catalogue_benchmark()` from the main run (Django set up, database migrated). The import
file is made in memory: a province of 3 cities × 4 districts (GB/T 2260-like codes under
990000, which no real province has), each region with its service centre and three
departments, 1,000 standard items with 3 materials and 3 form fields each, and 10,000
implementations (each item in 10 of the 16 regions) with two review stages and a local
material. It is imported through `services.catalogue_import.import_catalogue`, the function
the command and the admin call: a dry run on the empty catalogue, the import, and the same
file again (every entry unchanged, nothing written).

The changelist is fetched with Django's test client logged in as a superuser (TOTP step
included), in process: the admin's own queries and rendering, without the network.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
IMPORT_TARGET_SECONDS = 60
CHANGELIST_TARGET_P95_MS = 300
PROVINCE = "990000"
CITIES = 3
DISTRICTS_PER_CITY = 4
DEPARTMENTS = ("market", "health", "fire")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def province_regions() -> list[dict]:
    regions = [{"code": PROVINCE, "name": "基准省", "level": "province", "parent": None}]
    for city in range(1, CITIES + 1):
        city_code = f"99{city:02d}00"
        regions.append(
            {"code": city_code, "name": f"基准{city}市", "level": "city", "parent": PROVINCE}
        )
        for district in range(1, DISTRICTS_PER_CITY + 1):
            regions.append(
                {
                    "code": f"99{city:02d}{district:02d}",
                    "name": f"基准{city}市{district}区",
                    "level": "district",
                    "parent": city_code,
                }
            )
    return regions


def catalogue_file(*, items: int, implementations: int) -> bytes:
    """A catalogue file of the exchange format, as an administrator would export it."""
    regions = province_regions()
    departments = []
    for region in regions:
        departments.append(
            {
                "code": f"bench-{region['code']}-centre",
                "name": f"{region['name']}政务服务中心",
                "region": region["code"],
                "is_service_centre": True,
            }
        )
        departments += [
            {
                "code": f"bench-{region['code']}-{name}",
                "name": f"{region['name']}{name}局",
                "region": region["code"],
            }
            for name in DEPARTMENTS
        ]
    standard_items = [
        {
            "code": f"bench-item-{number:04d}",
            "name": f"基准事项{number}",
            "name_en": f"Benchmark item {number}",
            "theme": "bench-catalogue",
            "summary": "基准测试用的标准事项。",
            "legal_basis": f"《基准条例》第{number}条",
            "statutory_limit_days": 20,
            "materials": [
                {"code": f"material_{m}", "name": f"申请材料{m}", "order": m} for m in range(3)
            ],
            "fields": [
                {"name": f"field_{f}", "label": f"字段{f}", "max_length": 64, "order": f}
                for f in range(3)
            ],
        }
        for number in range(items)
    ]
    per_item = max(1, implementations // items)
    rows = []
    for number, item in enumerate(standard_items):
        for offset in range(per_item):
            if len(rows) >= implementations:
                break
            region = regions[(number + offset) % len(regions)]["code"]
            rows.append(
                {
                    "item": item["code"],
                    "region": region,
                    "promised_limit_days": 10,
                    "fee": None if number % 3 else "20.00",
                    "accepting_department": f"bench-{region}-centre",
                    "stages": [
                        {
                            "order": 1,
                            "name": "审查",
                            "departments": [
                                {"department": f"bench-{region}-market", "time_limit_days": 5},
                                {"department": f"bench-{region}-fire", "time_limit_days": 5},
                            ],
                        },
                        {
                            "order": 2,
                            "name": "决定",
                            "departments": [
                                {"department": f"bench-{region}-health", "time_limit_days": 3}
                            ],
                        },
                    ],
                    "materials": [{"code": "local_proof", "name": "本地证明", "order": 9}],
                }
            )
    catalogue = {
        "format": "catalogue",
        "version": 1,
        "regions": regions,
        "themes": [{"slug": "bench-catalogue", "name": "基准主题"}],
        "departments": departments,
        "items": standard_items,
        "implementations": rows,
    }
    return json.dumps(catalogue, ensure_ascii=False).encode()


def timed_import(raw: bytes, *, commit: bool) -> tuple[float, dict]:
    from services.catalogue_import import import_catalogue

    started = time.perf_counter()
    report = import_catalogue(raw, commit=commit)
    seconds = time.perf_counter() - started
    if report.errors:
        raise RuntimeError(f"the benchmark's file has errors: {report.errors[:5]}")
    return seconds, report.counts()


def changelist_timings(requests: int) -> dict:
    """p50/p95 of the admin's list of implementations: plain, filtered by region, searched."""
    from django.test import Client

    from accounts.models import Region, User
    from services.models import ItemImplementation
    from tests.authentication import log_in

    admin, _created = User.objects.get_or_create(
        username="bench-catalogue-admin",
        defaults={"kind": User.Kind.STAFF, "is_staff": True, "is_superuser": True},
    )
    client = log_in(Client(SERVER_NAME="localhost"), admin)
    city = Region.objects.get(code="990100")
    last_page = max(0, ItemImplementation.objects.count() // 100 - 1)
    paths = [
        "/admin/services/itemimplementation/",
        f"/admin/services/itemimplementation/?region__id__exact={city.pk}",
        "/admin/services/itemimplementation/?q=bench-item-05",
        f"/admin/services/itemimplementation/?p={min(20, last_page)}",
    ]
    for path in paths:  # warm up: templates compiled, caches filled
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    times = []
    for number in range(requests):
        started = time.perf_counter()
        client.get(paths[number % len(paths)])
        times.append((time.perf_counter() - started) * 1000)
    return {
        "implementations": ItemImplementation.objects.count(),
        "requests": requests,
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "target_p95_ms": CHANGELIST_TARGET_P95_MS,
        "met": percentile(times, 0.95) <= CHANGELIST_TARGET_P95_MS,
    }


def run_catalogue_benchmark(*, quick: bool = False) -> dict:
    items, implementations = (100, 1_000) if quick else (1_000, 10_000)
    raw = catalogue_file(items=items, implementations=implementations)
    print(f"catalogue: file of {len(raw) / 1024 / 1024:.1f} MB", flush=True)
    dry_run_seconds, planned = timed_import(raw, commit=False)
    print(f"catalogue: dry run {dry_run_seconds:.1f} s {planned}", flush=True)
    import_seconds, written = timed_import(raw, commit=True)
    print(f"catalogue: import {import_seconds:.1f} s {written}", flush=True)
    again_seconds, again = timed_import(raw, commit=True)
    print(f"catalogue: same file again {again_seconds:.1f} s {again}", flush=True)
    changelist = changelist_timings(40 if quick else 200)
    print(f"catalogue: changelist {changelist}", flush=True)
    return {
        "items": items,
        "implementations": implementations,
        "file_bytes": len(raw),
        "dry_run_seconds": round(dry_run_seconds, 2),
        "import_seconds": round(import_seconds, 2),
        "reimport_seconds": round(again_seconds, 2),
        "written": written,
        "reimported": again,
        "target_seconds": IMPORT_TARGET_SECONDS,
        "met": import_seconds <= IMPORT_TARGET_SECONDS,
        "changelist": changelist,
    }


def markdown(result: dict) -> str:
    changelist = result["changelist"]
    return (
        "\n".join(
            [
                "| catalogue import (bench/catalogue.py) | figure | target | met |",
                "|---|---:|---:|---|",
                f"| import of {result['items']:,} items and {result['implementations']:,} "
                f"implementations ({result['file_bytes'] / 1024 / 1024:.1f} MB) | "
                f"{result['import_seconds']:.1f} s | ≤ {result['target_seconds']} s | "
                f"{'yes' if result['met'] else '**no**'} |",
                f"| its dry run | {result['dry_run_seconds']:.1f} s | | |",
                f"| the same file again (all unchanged) | {result['reimport_seconds']:.1f} s | | |",
                f"| admin list of implementations p95 ({changelist['implementations']:,} rows, "
                f"p50 {changelist['p50_ms']:.0f} ms) | {changelist['p95_ms']:.0f} ms | "
                f"≤ {changelist['target_p95_ms']} ms | {'yes' if changelist['met'] else '**no**'} |",
            ]
        )
        + "\n"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench catalogue")
    parser.add_argument("--quick", action="store_true", help="100 items and 1,000 implementations")
    args = parser.parse_args(argv)

    from urllib.parse import urlsplit

    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_catalogue_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = run_catalogue_benchmark(quick=args.quick)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "catalogue.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + markdown(result))
    return 0 if result["met"] and result["changelist"]["met"] else 1
