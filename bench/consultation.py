"""A consultation page with 10,000 moderated comments, against the bare view (issue 19).

`python -m bench consultation [--quick]` (`make bench ARGS=consultation`) runs it alone in its
own scratch database; the full `make bench` measures the same page among its others
(`ensure_bench_consultation()`). The consultation is open, its comments published, half of
them answering its question; they are inserted by one INSERT … SELECT, as moderation leaves
them (masked name, masked public copy). The load driver (bench/load.py) then measures, one
after another on the same gunicorn:

- the bare view (the framework's ceiling on this machine);
- the page's first page of comments and a page deep inside them (page 250), as anonymous
  visitors get them (served from the page cache, as the catalogue is);
- the first page as a logged-in citizen sees it (rendered for them: the comment form, their
  own comments), which the page cache never serves.

Target: the anonymous page's requests/s at least 30% of the bare view's.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TITLE = "关于《合肥市物业管理条例（修订草案征求意见稿）》公开征求意见的公告"
COMMENTS = 10_000
CITIZENS = 200
TARGET = 0.3
DEEP_PAGE = 250

COMMENT_TEXTS = [
    "建议第十二条明确业主大会首次会议的召开时限，避免长期无法成立业主委员会。",
    "物业服务费调整应当经业主大会表决，并在小区显著位置公示不少于三十日。",
    "希望增加公共收益公开的规定，每季度在小区公示栏和手机端同步公布。",
    "老旧小区加装电梯的费用分摊办法应当更具体，建议按楼层给出参考比例。",
    "Suggest that Article 20 set a deadline for the developer to hand over the archives.",
    "建议对物业企业的信用评价结果向社会公开，并与招投标挂钩。",
    "停车位优先满足本小区业主需要的规定很好，建议明确租赁期限上限。",
    "希望明确维修资金紧急使用的程序，电梯、消防设施故障时能尽快维修。",
]
ANSWER_TEXTS = ["合适。", "时限太短，建议延长。", "建议分类规定。", "同意草案的规定。"]


def ensure_bench_consultation(comments: int = COMMENTS) -> str:
    """The benchmark's consultation, created with its comments unless it exists; its number."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Department, User
    from disclosure.consultations import draft_consultation
    from disclosure.models import Consultation, Publication

    found = Consultation.objects.filter(publication__title=TITLE).select_related("publication")
    if found.exists():
        return found.get().publication.number
    department = Department.objects.get(code="housing")
    author = User.objects.get(username="reviewer-housing")
    approver = User.objects.get(username="admin")
    today = timezone.localdate()
    with transaction.atomic():
        consultation = draft_consultation(
            author,
            department=department,
            title=TITLE,
            body="\n".join(COMMENT_TEXTS[:4]),
            scope="本市业主、物业服务企业和居民",
            opens_on=today - timedelta(days=10),
            closes_on=today + timedelta(days=30),
            questions=["您认为业主大会首次会议的召开时限是否合适？"],
        )
        publication = consultation.publication
        # Published as portal/demo.py publishes its own: the demo has one reviewer per bureau.
        publication.state = Publication.State.PUBLISHED
        publication.approved_by = approver
        publication.published_at = timezone.now()
        publication.number = f"{publication.published_at:%Y}-{publication.pk:06d}"
        publication.save()
        citizens = User.objects.bulk_create(
            User(username=f"bench-commenter-{n}", kind=User.Kind.CITIZEN, real_name="王五")
            for n in range(CITIZENS)
        )
        question = consultation.questions.get()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO disclosure_consultationcomment (
                    consultation_id, author_id, author_display, body, public_body, state,
                    created_at, moderated_by_id, moderated_at, rejection_reason)
                SELECT %(consultation)s, (%(authors)s::bigint[])[1 + g %% %(n_authors)s],
                       (ARRAY['王*', '李**', '张*', '合肥安居物业服务有限公司'])[1 + g %% 4],
                       (%(texts)s::text[])[1 + g %% %(n_texts)s],
                       (%(texts)s::text[])[1 + g %% %(n_texts)s],
                       'published',
                       %(opened)s + g * interval '1 minute', %(moderator)s,
                       %(opened)s + g * interval '1 minute' + interval '1 hour', ''
                  FROM generate_series(1, %(comments)s) g
                """,
                {
                    "consultation": consultation.pk,
                    "authors": [c.pk for c in citizens],
                    "n_authors": len(citizens),
                    "texts": COMMENT_TEXTS,
                    "n_texts": len(COMMENT_TEXTS),
                    "opened": consultation.opens_at,
                    "moderator": author.pk,
                    "comments": comments,
                },
            )
            cursor.execute(
                """
                INSERT INTO disclosure_consultationanswer (comment_id, question_id, text, public_text)
                SELECT id, %(question)s, (%(texts)s::text[])[1 + id %% 4],
                       (%(texts)s::text[])[1 + id %% 4]
                  FROM disclosure_consultationcomment
                 WHERE consultation_id = %(consultation)s AND id %% 2 = 0
                """,
                {"question": question.pk, "texts": ANSWER_TEXTS, "consultation": consultation.pk},
            )
            cursor.execute("ANALYZE disclosure_consultationcomment")
            cursor.execute("ANALYZE disclosure_consultationanswer")
    print(f"consultation: seeded {comments:,} published comments", flush=True)
    return publication.number


def consultation_pages(number: str) -> list[dict]:
    from django.urls import reverse

    path = reverse("disclosure:consultation", args=[number])
    return [
        {"name": "consultation", "path": path, "who": "anonymous"},
        {"name": "consultation_deep", "path": f"{path}?page={DEEP_PAGE}", "who": "anonymous"},
        {"name": "consultation_citizen", "path": path, "who": "commenters"},
    ]


def commenter_sessions(count: int = 16) -> list[dict]:
    import secrets

    from accounts.models import User
    from bench.people import session_for

    people = User.objects.filter(username__startswith="bench-commenter-").order_by("pk")[:count]
    return [{"sessionid": session_for(p), "csrftoken": secrets.token_hex(16)} for p in people]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench consultation")
    parser.add_argument("--quick", action="store_true", help="5 s windows")
    parser.add_argument("--users", type=int, default=16, help="simulated users per page")
    parser.add_argument("--seconds", type=float, default=20, help="measured window per page")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 5

    from urllib.parse import urlsplit

    from bench.database import use_scratch_database

    own = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "portal"
    use_scratch_database(f"{own}_consultation_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_demo")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.__main__ import drive
    from bench.server import WEB_WORKERS, portal_server
    from portal.demo import load_demo

    call_command("migrate", verbosity=0)
    load_demo()
    number = ensure_bench_consultation()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    with portal_server(RESULTS / "logs") as url:
        load = drive(
            {
                "host": url,
                "users": args.users,
                "warm_up": 2 if args.quick else 5,
                "seconds": args.seconds,
                "identities": {"commenters": commenter_sessions()},
                "pages": [
                    {"name": "ceiling", "path": "/bench/ceiling/", "who": "anonymous"},
                    *consultation_pages(number),
                ],
            }
        )
    pages = load["pages"]
    ceiling = pages["ceiling"]["rps"] or 1
    for page in pages.values():
        page["ratio"] = round(page["rps"] / ceiling, 3)
    result = {
        "started": started,
        "cpus": os.cpu_count(),
        "gunicorn_workers": WEB_WORKERS,
        "comments": COMMENTS,
        "users": args.users,
        "seconds_per_page": args.seconds,
        "target": TARGET,
        "met": pages["consultation"]["ratio"] >= TARGET,
        "pages": pages,
    }
    (RESULTS / "consultation.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + markdown(result))
    return 0 if result["met"] else 1


def markdown(result: dict) -> str:
    lines = [
        f"Consultation page with {result['comments']:,} published comments, 20 a page "
        f"({result['started']}, {result['cpus']} cores, gunicorn {result['gunicorn_workers']} "
        f"workers, {result['users']} simulated users, {result['seconds_per_page']:.0f} s a page):",
        "",
        "| page | requests/s | p50 ms | p95 ms | ratio to bare view | target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, page in result["pages"].items():
        target = f"≥ {result['target']:.0%}" if name == "consultation" else "—"
        lines.append(
            f"| {name} `{page['path']}` | {page['rps']:.0f} | {page['p50_ms']:.0f} | "
            f"{page['p95_ms']:.0f} | {page['ratio']:.0%} | {target} |"
        )
    return "\n".join(lines) + "\n"
