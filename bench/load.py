"""The load driver: `python -m bench.load PLAN.json RESULT.json`, in its own process.

Locust (headless, as a library) plays one kind of visitor at a time against the benchmark's
gunicorn: the same number of simulated users, no think time, a warm-up whose figures are
thrown away, then a measured window. Pages are measured one after another in one run, so
every figure is comparable with the bare view measured minutes before on the same machine.

The plan (written by bench/__main__.py) names the server, the sessions of each kind of
visitor (bench/people.py) and the pages; the result holds requests/s, p50 and p95 per page,
and the filing window's start and end, which the orchestrator matches with the database.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time

from locust import FastHttpUser, constant, events, task
from locust.env import Environment

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
FILING_ANSWERS = {
    "information": "申请公开本市2025年度企业开办并联审批的办理时限统计数据。",
    "delivery": "电子邮件",
    "submit": "1",
}


class Visitor(FastHttpUser):
    """One simulated person; `identities` are the cookies of the people of this kind."""

    abstract = True
    wait_time = constant(0)
    identities: list[dict] = []
    path = "/"

    def on_start(self):
        self.identity = random.choice(self.identities) if self.identities else None

    def headers(self, identity: dict | None = None, **extra) -> dict:
        identity = identity or self.identity
        headers = {"Accept-Language": "zh-hans", **extra}
        if identity:
            headers["Cookie"] = (
                f"sessionid={identity['sessionid']}; csrftoken={identity['csrftoken']}"
            )
        # The server's Set-Cookie (the sliding session expiry) must not pile up beside ours.
        self.client.cookiejar.clear()
        return headers

    def get_page(self, path: str, name: str):
        with self.client.get(
            path, headers=self.headers(), name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location')}")


def page_visitor(name: str, path: str, identities: list[dict]) -> type[Visitor]:
    def open_page(self):
        target = self.path
        if "{case}" in target:
            target = target.format(case=self.identity["case"])
        self.get_page(target, name)

    return type(
        f"Visitor_{name}",
        (Visitor,),
        {"path": path, "identities": identities, "open_page": task(open_page)},
    )


def filing_visitor(item_code: str, identities: list[dict]) -> type[Visitor]:
    """Files an application end to end: start a draft, open its form, submit it.

    Each filing uses the next applicant in turn, so the per-person filing rate limit
    (RATE_LIMIT_FILING) is met the way a crowd of different citizens meets it.
    """
    turn = itertools.cycle(identities)

    def file_application(self):
        identity = next(turn)
        start = self.client.post(
            f"/services/{item_code}/apply/",
            headers=self.headers(identity, **{"X-CSRFToken": identity["csrftoken"]}),
            name="filing: start draft",
            allow_redirects=False,
        )
        if start.status_code != 302 or "/edit/" not in start.headers.get("Location", ""):
            return
        edit = start.headers["Location"]
        form = self.client.get(edit, headers=self.headers(identity), name="filing: open form")
        token = CSRF_FIELD.search(form.content or b"")
        if form.status_code != 200 or token is None:
            return
        with self.client.post(
            edit,
            data={**FILING_ANSWERS, "csrfmiddlewaretoken": token.group(1).decode()},
            headers=self.headers(identity),
            name="filing: submit",
            allow_redirects=False,
            catch_response=True,
        ) as submitted:
            # Success is the redirect to the status page; a 200 is the form with errors.
            if submitted.status_code != 302 or "/edit/" in submitted.headers.get("Location", ""):
                submitted.failure(f"not submitted: HTTP {submitted.status_code}")

    return type(
        "Filer", (Visitor,), {"identities": identities, "file_application": task(file_application)}
    )


# Importing locust monkey-patches the standard library with gevent: time.sleep below yields
# to the simulated users' greenlets.
def measure(user_class: type[Visitor], host: str, users: int, warm_up: float, seconds: float):
    user_class.host = host
    environment = Environment(user_classes=[user_class], events=events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    time.sleep(warm_up)
    environment.stats.reset_all()
    started = time.time()
    time.sleep(seconds)
    ended = time.time()
    runner.quit()
    return environment.stats, started, ended


def figures(entry, seconds: float) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.num_requests / seconds, 1),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
    }


def run(plan: dict) -> dict:
    results = {"pages": {}, "filing": None}
    for page in plan["pages"]:
        visitor = page_visitor(page["name"], page["path"], plan["identities"].get(page["who"], []))
        warm_up = max(plan["warm_up"], page.get("warm_up", 0))
        stats, started, ended = measure(
            visitor, plan["host"], plan["users"], warm_up, plan["seconds"]
        )
        results["pages"][page["name"]] = {
            "path": page["path"],
            **figures(stats.total, ended - started),
        }
        print(f"load: {page['name']:<10} {results['pages'][page['name']]}", flush=True)
    filing = plan.get("filing")
    if filing:
        visitor = filing_visitor(filing["item"], plan["identities"]["filers"])
        stats, started, ended = measure(
            visitor, plan["host"], filing["users"], plan["warm_up"], filing["seconds"]
        )
        results["filing"] = {
            "window_start": started,
            "window_end": ended,
            "requests": {
                name: figures(entry, ended - started)
                for (name, _method), entry in stats.entries.items()
            },
        }
        print(f"load: filing     {results['filing']['requests']}", flush=True)
    return results


if __name__ == "__main__":
    plan_path, result_path = sys.argv[1:3]
    with open(plan_path) as plan_file:
        outcome = run(json.load(plan_file))
    with open(result_path, "w") as result_file:
        json.dump(outcome, result_file, indent=2)
