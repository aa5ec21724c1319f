"""Search latency over 10,000 and 1,000,000 public publications (issue 6).

`python -m bench search [--quick]`, or `run_search_benchmark()` from another harness (Django set
up, database migrated). Publications are seeded inside PostgreSQL by one INSERT … SELECT per
chunk: mixed Chinese and English text drawn from a fixed vocabulary by a hash of the row
number (reproducible), with the search vector computed in the same statement — the same
bigram/'english' vector disclosure.search writes on save — and the GIN index built after the
load. Queries go through `disclosure.search.search()`, the function behind the search page
(first page: ranked hits, the total, the catalogue block). Target: p95 at 1,000,000 ≤ 3× p95
at 10,000.
"""

import argparse
import json
import os
import statistics as stats
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 100_000
REPEATS = 5

# Characters of government texts; every ordered pair (a "word") is a vocabulary entry.
CHINESE_CHARACTERS = (
    "许可经营食品登记企业营业执照税务社会保险住房公积金建设工程规划消防卫生教育交通户籍居住证"
    "审批公开政府信息环境保护市场监督管理安全生产药品医疗机构劳动合同养老失业工伤就业创业补贴"
)
ENGLISH_WORDS = (
    "licence licensing permit permits registration registered business food safety tax taxes "
    "insurance housing fund construction planning fire health education transport residence "
    "approval approvals disclosure information government environment protection market "
    "supervision production medicine medical institution labour contract pension unemployment "
    "injury employment subsidy subsidies notice notices announcement policy policies report "
    "reports statistics annual department bureau application applications decision decisions "
    "inspection inspections standard standards regulation regulations enterprise enterprises "
    "service services online office procedure procedures requirement requirements fee fees"
).split()
WORDS_PER_DOCUMENT = 24  # Chinese two-character words (48 characters)
ENGLISH_PER_DOCUMENT = 8

QUERIES = [
    "许可",
    "食品经营",
    "营业执照",
    "社会保险",
    "消防",
    "公积金",
    "licence",
    "food safety",
    "pension",
    "annual report",
    "许可 licence",
    "住房 housing",
]


def chinese_vocabulary() -> list[str]:
    chars = list(dict.fromkeys(CHINESE_CHARACTERS))
    return [a + b for a in chars for b in chars if a != b][:3000]


def _seed_sql() -> str:
    # Words are drawn by hashint4(row * k) so a run is reproducible; the bigrams of the Chinese
    # text are built in SQL as disclosure.search.split_for_index builds them in Python.
    return """
    WITH docs AS (
        SELECT g,
               (SELECT string_agg((%(zh)s::text[])[1 + abs(hashint4(g * 131 + k)) %% %(nzh)s], '' ORDER BY k)
                  FROM generate_series(1, %(nwords)s) k) AS chinese,
               (SELECT string_agg((%(zh)s::text[])[1 + abs(hashint4(g * 137 + k)) %% %(nzh)s], '' ORDER BY k)
                  FROM generate_series(1, 4) k) AS title_chinese,
               (SELECT string_agg((%(en)s::text[])[1 + abs(hashint4(g * 139 + k)) %% %(nen)s], ' ' ORDER BY k)
                  FROM generate_series(1, %(nenglish)s) k) AS english,
               (%(en)s::text[])[1 + abs(hashint4(g * 149)) %% %(nen)s] AS title_english
          FROM generate_series(%(first)s, %(last)s) g
    ), split AS (
        SELECT docs.*,
               (SELECT string_agg(substr(chinese, k, 2), ' ' ORDER BY k)
                  FROM generate_series(1, length(chinese) - 1) k) AS chinese_bigrams,
               (SELECT string_agg(substr(title_chinese, k, 2), ' ' ORDER BY k)
                  FROM generate_series(1, length(title_chinese) - 1) k) AS title_bigrams
          FROM docs
    )
    INSERT INTO disclosure_publication (
        number, kind, classification, state, title, body, department_id, author_id,
        approved_by_id, created_at, updated_at, published_at, withdrawal_reason, search_vector)
    SELECT 'B' || lpad(g::text, 9, '0'),
           (ARRAY['document', 'notice', 'statistics', 'annual_report'])[1 + g %% 4],
           CASE WHEN g %% 10 = 0 THEN 'internal' ELSE 'public' END,
           'published',
           title_chinese || ' ' || title_english,
           chinese || ' ' || english,
           %(department)s, %(author)s, %(approver)s, now(), now(),
           now() - (g %% 2000) * interval '1 hour', '',
           setweight(to_tsvector('simple', title_bigrams), 'A')
             || setweight(to_tsvector('english', title_english), 'A')
             || setweight(to_tsvector('simple', chinese_bigrams), 'B')
             || setweight(to_tsvector('english', english), 'B')
      FROM split
    """


class _Seed:
    def __init__(self):
        from django.contrib.auth import get_user_model

        from accounts.models import Department
        from services.regions import default_region

        User = get_user_model()
        # Every department belongs to a region (services/regions.py).
        self.department = Department.objects.get_or_create(
            code="bench",
            # The migrations' first city, as every department belongs to a region.
            defaults={
                "name": "基准测试局",
                "name_en": "Benchmark Bureau",
                "region": default_region(),
            },
        )[0]
        self.author = User.objects.get_or_create(
            username="bench-author", defaults={"kind": "staff"}
        )[0]
        self.approver = User.objects.get_or_create(
            username="bench-approver", defaults={"kind": "staff"}
        )[0]
        self.count = 0

    def grow_to(self, total: int) -> None:
        from django.db import connection

        zh, en = chinese_vocabulary(), ENGLISH_WORDS
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS publication_search")
            while self.count < total:
                last = min(total, self.count + CHUNK)
                cursor.execute(
                    _seed_sql(),
                    {
                        "zh": zh,
                        "nzh": len(zh),
                        "en": en,
                        "nen": len(en),
                        "nwords": WORDS_PER_DOCUMENT,
                        "nenglish": ENGLISH_PER_DOCUMENT,
                        "first": self.count + 1,
                        "last": last,
                        "department": self.department.pk,
                        "author": self.author.pk,
                        "approver": self.approver.pk,
                    },
                )
                self.count = last
                print(f"search: seeded {self.count:,} publications", flush=True)
            cursor.execute(
                "CREATE INDEX publication_search ON disclosure_publication USING gin (search_vector)"
            )
            cursor.execute("ANALYZE disclosure_publication")


def _measure(queries: list[str], repeats: int) -> dict:
    from disclosure.search import search

    for query in queries:  # warm the caches once, as a running server would be
        search(query)
    latencies, totals = [], {}
    for _ in range(repeats):
        for query in queries:
            started = time.perf_counter()
            results = search(query)
            latencies.append((time.perf_counter() - started) * 1000)
            totals[query] = results.total
    latencies.sort()
    return {
        "p50_ms": round(stats.median(latencies), 2),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 2),
        "max_ms": round(latencies[-1], 2),
        "matches": totals,
    }


def run_search_benchmark(
    sizes=(10_000, 1_000_000), quick: bool = False, repeats: int = REPEATS
) -> dict:
    """Seed up to each size in turn, measure, and return the figures (also printed)."""
    if quick:
        sizes = tuple(min(size, 20_000) for size in sizes[:1]) + (100_000,)
    seed = _Seed()
    rows = []
    for size in sizes:
        started = time.perf_counter()
        seed.grow_to(size)
        seeded = time.perf_counter() - started
        figures = _measure(QUERIES, repeats)
        rows.append({"publications": size, "seed_seconds": round(seeded, 1), **figures})
        print(
            f"search: {size:>9,} publications: p50 {figures['p50_ms']:7.2f} ms, "
            f"p95 {figures['p95_ms']:7.2f} ms (seeded in {seeded:.0f} s)",
            flush=True,
        )
    ratio = rows[-1]["p95_ms"] / rows[0]["p95_ms"]
    print(
        f"search: p95 ratio {rows[-1]['publications']:,}/{rows[0]['publications']:,} = {ratio:.2f} (target ≤ 3)"
    )
    return {"sizes": rows, "p95_ratio": round(ratio, 2), "queries": QUERIES}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 publications")
    args = parser.parse_args(argv)

    from urllib.parse import urlsplit

    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_search_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = run_search_benchmark(quick=args.quick)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0 if result["p95_ratio"] <= 3 else 1
