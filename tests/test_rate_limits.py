"""Rate limits on login, registration, filing and certificate verification (common/ratelimits.py),
counted in Redis as in production; each test starts from zero (conftest.fresh_rate_limits)."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from common.ratelimits import by_ip, client_ip
from services.models import Application
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    draft_application,
    item_with_stages,
)

pytestmark = pytest.mark.django_db


def client_from(address: str, language: str = "en") -> Client:
    return Client(headers={"accept-language": language}, REMOTE_ADDR=address)


def registration(n: int) -> dict:
    # Invalid on purpose (no ID number): a refused form counts as much as an accepted one.
    return {"username": f"bot{n}", "password1": PASSWORD, "password2": PASSWORD}


def test_registration_beyond_the_limit_from_one_address_gets_429(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": "3/h"}
    client = client_from("198.51.100.7")
    url = reverse("accounts:register_citizen")

    allowed = [client.post(url, registration(n)).status_code for n in range(3)]
    refused = client.post(url, registration(3))

    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert client.get(url).status_code == 200  # reading the form is never limited


def test_the_429_page_is_translated(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": "1/h"}
    client = client_from("198.51.100.7", language="zh-hans")
    url = reverse("accounts:register_citizen")
    client.post(url, registration(0))

    refused = client.post(url, registration(1))

    assert refused.status_code == 429
    assert "请求过于频繁" in refused.content.decode()


def test_a_registration_refused_for_the_limit_creates_no_account(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": "1/h"}
    client = client_from("198.51.100.7")
    url = reverse("accounts:register_citizen")
    client.post(url, registration(0))

    client.post(url, {**registration(1), "real_name": "机器人", "resident_id": "x"})

    assert not User.objects.filter(username="bot1").exists()


def test_registration_limit_counts_each_address_separately(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": "1/h"}
    url = reverse("accounts:register_citizen")
    client_from("198.51.100.7").post(url, registration(0))

    response = client_from("203.0.113.9").post(url, registration(1))

    assert response.status_code == 200


def test_login_attempts_beyond_the_limit_from_one_address_get_429(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/10m"}
    client = client_from("198.51.100.7")
    usernames = [CitizenFactory().username for _ in range(4)]

    statuses = [
        client.post(reverse("accounts:login"), {"username": u, "password": PASSWORD}).status_code
        for u in usernames
    ]

    assert statuses == [302, 302, 302, 429]


def test_the_admins_login_form_has_the_same_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/10m"}
    client = client_from("198.51.100.7")

    statuses = [
        client.post("/admin/login/", {"username": "x", "password": "y"}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_filing_beyond_the_limit_gets_429_and_starts_no_application(settings, client_for):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "filing": "2/10m"}
    item = item_with_stages([[DepartmentFactory()]])
    citizen = CitizenFactory()
    client = client_for(citizen)
    url = reverse("services:start", args=[item.code])

    # "new": a second draft beside the first, as the guide's "Start a new application instead".
    statuses = [client.post(url, {"new": "1"}).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert Application.objects.filter(applicant=citizen).count() == 2


def test_certificate_verification_beyond_the_limit_gets_429(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verification": "3/m"}
    client = client_from("198.51.100.7")
    urls = [reverse("disclosure:certificate", args=[f"NO-SUCH-{n}"]) for n in range(3)]

    statuses = [client.get(url).status_code for url in urls]
    refused = client.get(reverse("disclosure:verify_certificate"))

    assert statuses == [404, 404, 404]
    assert refused.status_code == 429


def test_with_redis_unreachable_the_limits_let_people_through(settings):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": "redis://127.0.0.1:1/0"},
    }

    response = client_from("198.51.100.7").post(reverse("accounts:register_citizen"), {})

    assert response.status_code == 200


def test_without_a_proxy_the_address_is_the_connection_s(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "198.51.100.7"


def test_behind_one_proxy_the_address_is_the_one_it_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )

    assert client_ip(request) == "198.51.100.7"


def test_ipv6_clients_are_counted_per_64_network():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")

    assert by_ip("g", request) == "2001:db8:1:2::"


# --- every writing method, on the pages and the API ------------------------------------------------

WRITING_METHODS = ("post", "put", "patch", "delete")
LIMITED, NOT_ALLOWED = 429, 405


@dataclass
class Door:
    scope: str
    url: Callable  # of the draft application
    answers: dict  # method -> status of each request while under the limit
    api: bool = False


# Two requests under a limit of 2, then the third. A door that takes the method answers it until
# the limit, then 429; a page that does not take it answers 405 and writes nothing; the API
# counts every writing method before it looks for a handler, so even one it lacks ends in 429.
DOORS = {
    "page: start a draft": Door(
        "filing",
        lambda draft: reverse("services:start", args=[draft.item.code]),
        {"post": 302, "put": NOT_ALLOWED, "patch": NOT_ALLOWED, "delete": NOT_ALLOWED},
    ),
    "page: the application form": Door(
        "filing",
        lambda draft: reverse("services:edit", args=[draft.pk]),
        {"post": 302, "put": NOT_ALLOWED, "patch": NOT_ALLOWED, "delete": NOT_ALLOWED},
    ),
    "api: applications": Door(
        "filing",
        lambda draft: reverse("api:application-list"),
        {"post": 400, "put": NOT_ALLOWED, "patch": NOT_ALLOWED, "delete": NOT_ALLOWED},
        api=True,
    ),
    "api: an application": Door(
        "filing",
        lambda draft: reverse("api:application-detail", args=[draft.pk]),
        {"post": NOT_ALLOWED, "put": NOT_ALLOWED, "patch": 200, "delete": NOT_ALLOWED},
        api=True,
    ),
    "api: submitting": Door(
        "filing",
        lambda draft: reverse("api:application-submit", args=[draft.pk]),
        {"post": 400, "put": NOT_ALLOWED, "patch": NOT_ALLOWED, "delete": NOT_ALLOWED},
        api=True,
    ),
}
PAGE_BODY = {"business_name": "合肥市某某商店"}
API_BODY = json.dumps({"answers": {"business_name": "合肥市某某商店"}})


@pytest.mark.parametrize("method", WRITING_METHODS)
@pytest.mark.parametrize("door_name", DOORS)
def test_every_writing_method_is_counted_by_the_filing_limit(
    door_name, method, settings, client_for
):
    door = DOORS[door_name]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, door.scope: "2/10m"}
    citizen = CitizenFactory()
    draft = draft_application(item_with_stages([[DepartmentFactory()]]), citizen)
    client = client_for(citizen)
    if door.api:
        kwargs = {"data": API_BODY, "content_type": "application/json"}
    else:
        kwargs = {"data": PAGE_BODY} if method == "post" else {}
    url = door.url(draft)

    statuses = [getattr(client, method)(url, **kwargs).status_code for _ in range(3)]

    under_the_limit = door.answers[method]
    if under_the_limit == NOT_ALLOWED and not door.api:
        assert statuses == [NOT_ALLOWED] * 3
    else:
        assert statuses == [under_the_limit, under_the_limit, LIMITED]


def test_patching_answers_through_the_api_uses_up_the_pages_filing_limit(settings, client_for):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "filing": "2/10m"}
    citizen = CitizenFactory()
    draft = draft_application(item_with_stages([[DepartmentFactory()]]), citizen)
    client = client_for(citizen)
    api_url = reverse("api:application-detail", args=[draft.pk])

    patched = [
        client.patch(api_url, API_BODY, content_type="application/json").status_code
        for _ in range(2)
    ]
    page = client.post(reverse("services:edit", args=[draft.pk]), PAGE_BODY)

    assert patched == [200, 200]
    assert page.status_code == LIMITED
