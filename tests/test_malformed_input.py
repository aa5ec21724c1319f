"""Malformed input sent to every route, as each kind of person: no answer may be a server error.

The routes are the permission matrix's (tests/test_permission_matrix.py), so a new URL is swept
as soon as it has its row there. The query parameters are the ones each route reads: every
route is first asked plainly while the query dictionary records which names the view looked up
(its forms, filters and pagination included); then each of those names gets each bad value.
Every JSON body the API documents gets deep nesting, wrong types, lone surrogates and NUL bytes.

A bad value may be refused (400), not found (404) or ignored (200); it may never be a 500.
Each test builds the world once and sweeps every route with it, each request in a savepoint
rolled back after it, so that the sweep stays within seconds.
"""

import json
import re
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse
from drf_spectacular.generators import SchemaGenerator

from tests.factories import CitizenFactory, DepartmentFactory, draft_application, item_with_stages
from tests.test_permission_matrix import EXPECTED, FORBIDDEN, LOGIN, NOT_FOUND, ROLES, World

# As they arrive over HTTP, already percent-encoded.
BAD_QUERY_VALUES = {
    "NUL byte": "a%00b",
    "lone surrogate": "%ED%A0%80",
    "broken percent-encoding": "%zz%E4%B8",
    "10,000 characters": "9" * 10_000,
    "impossible date": "2026-02-30",
    "integer beyond 64 bits": "99999999999999999999",
}
BAD_PATH_VALUES = {
    "NUL byte": "%00",
    "lone surrogate": "%ED%A0%80",
    "broken percent-encoding": "%zz",
    "10,000 characters": "9" * 10_000,
}


def deeply_nested(depth: int = 5_000) -> str:
    return "[" * depth + "]" * depth


# Sent as raw JSON text: json.dumps would refuse to write a lone surrogate unescaped.
BAD_JSON_VALUES = {
    "lone surrogate": '"\\ud800"',
    "NUL byte": '"a\\u0000b"',
    "nested 5,000 deep": deeply_nested(),
    "number": "12345678901234567890123",
    "float": "1e400",
    "boolean": "true",
    "null": "null",
    "list": '["a", 1, null]',
    "object": '{"a": {"b": 1}}',
    "10,000 characters": json.dumps("9" * 10_000),
}

WHOLE_BODY_VALUES = ("lone surrogate", "NUL byte", "nested 5,000 deep", "list", "float")


class RecordingQueryDict(QueryDict):
    """request.GET remembering every name a view looked up in it."""

    names_read: set[str] = set()

    def __getitem__(self, key):
        RecordingQueryDict.names_read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingQueryDict.names_read.add(key)
        return super().__contains__(key)

    def getlist(self, key, default=None):
        RecordingQueryDict.names_read.add(key)
        return super().getlist(key, default)


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker, media_root):
    """The permission matrix's world, built once for the module and rolled back after it:
    every test here only reads it (each request's writes are rolled back, see `send`)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root):
        with transaction.atomic():
            yield World()
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def sweep_settings(db, settings, media_root):
    # The sweep is one very busy visitor: no rate limit may stop it before it has tried all.
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "1000000/m")
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute", "user": "1000000/minute"},
    }
    settings.MEDIA_ROOT = media_root  # where the world's files are


def client_as(role: str, world: World, client_for) -> Client:
    client = (
        Client(headers={"accept-language": "en"})
        if role == "anonymous"
        else client_for(world.people[role])
    )
    # A server error is a status to report here, not an exception ending the sweep.
    client.raise_request_exception = False
    return client


@contextmanager
def rolled_back():
    """Whatever a request writes (or a failed query poisons) is undone before the next."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


def send(client: Client, method: str, path: str, **kwargs):
    with rolled_back():
        return getattr(client, method)(path, **kwargs)


# Refused before the view runs: nothing of the request is read.
REFUSED = {LOGIN, FORBIDDEN, NOT_FOUND, 401}


def get_routes(world: World, role: str | None = None) -> list[tuple[str, str]]:
    """Every GET route of the matrix (that `role`'s view answers, if given) and its address."""
    return [
        (name, reverse(name, args=row.kwargs(world) if row.kwargs else []))
        for name, row in sorted(EXPECTED.items())
        if row.method == "get" and (role is None or row.expected[role] not in REFUSED)
    ]


def names_read_by(client: Client, path: str, monkeypatch) -> set[str]:
    monkeypatch.setattr("django.core.handlers.wsgi.QueryDict", RecordingQueryDict)
    RecordingQueryDict.names_read = set()
    try:
        send(client, "get", path)
    finally:
        monkeypatch.undo()
    return set(RecordingQueryDict.names_read)


def describe(failures) -> str:
    return "\n".join(f"{status} {what}" for status, what in failures)


# Each kind of person (the matrix's second citizen and second department's reviewer see what
# the first ones do): anonymous, a citizen who owns the cases, an enterprise, a reviewer and a
# head of the case's department, an administrator.
KINDS_OF_PERSON = ("anonymous", "citizen_a", "enterprise", "reviewer_x", "head_x", "admin")


@pytest.mark.parametrize("role", KINDS_OF_PERSON)
def test_no_bad_query_value_gives_a_server_error(role, sweep_world, client_for, monkeypatch):
    """Each bad value in every parameter the route read at once: a form or a filter checks
    them all together, and the middleware refuses a NUL wherever it is."""
    client = client_as(role, sweep_world, client_for)
    failures = []
    swept = 0
    for name, path in get_routes(sweep_world, role):
        parameters = sorted(names_read_by(client, path, monkeypatch))
        if not parameters:
            continue
        for label, value in BAD_QUERY_VALUES.items():
            query = "&".join(f"{parameter}={value}" for parameter in parameters)
            response = send(client, "get", f"{path}?{query}")
            swept += 1
            if response.status_code >= 500:
                failures.append((response.status_code, f"{name} ?{','.join(parameters)}= {label}"))

    assert swept > 0
    assert not failures, describe(failures)


def test_the_sweep_finds_the_parameters_the_pages_and_the_api_read(
    sweep_world, client_for, monkeypatch
):
    client = client_as("anonymous", sweep_world, client_for)

    catalogue = names_read_by(client, reverse("services:catalogue"), monkeypatch)
    decisions_api = names_read_by(client, reverse("api:decision-list"), monkeypatch)

    assert {"q", "theme", "audience"} <= catalogue
    assert {"page", "page_size"} <= decisions_api


def path_variants(name: str, world: World):
    """The route's address with each of its text arguments replaced by a marker, if any."""
    row = EXPECTED[name]
    args = list(row.kwargs(world)) if row.kwargs else []
    for position in range(len(args)):
        marked = [*args]
        marked[position] = "zzMARKERzz"
        try:
            yield reverse(name, args=marked)
        except NoReverseMatch:
            continue  # a number: the address does not take text there


@pytest.mark.parametrize("role", ["anonymous", "citizen_a", "reviewer_x"])
def test_no_bad_path_value_gives_a_server_error(role, sweep_world, client_for):
    client = client_as(role, sweep_world, client_for)
    failures = []
    for name, _path in get_routes(sweep_world):
        for marked in path_variants(name, sweep_world):
            for label, value in BAD_PATH_VALUES.items():
                response = send(client, "get", marked.replace("zzMARKERzz", value))
                if response.status_code >= 500:
                    failures.append((response.status_code, f"{name} path {label}"))

    assert not failures, describe(failures)


# --- JSON bodies ---------------------------------------------------------------------------------


def json_operations() -> list[tuple[str, str, dict]]:
    """(path template, method, schema of its JSON body) for every operation reading JSON."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    components = document["components"]["schemas"]
    operations = []
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = content["application/json"]["schema"]
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[-1]]
            operations.append((template, method, body))
    return operations


def concrete_path(template: str, world: World) -> tuple[str, str] | None:
    """The route of the matrix whose real address matches the template, and that address."""
    pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
    for name, row in EXPECTED.items():
        if not name.startswith("api:"):
            continue
        path = reverse(name, args=row.kwargs(world) if row.kwargs else [])
        if pattern.match(path):
            return name, path
    return None


def bad_bodies(body_schema: dict, world: World) -> dict[str, str]:
    """Each bad JSON value as the whole body, and in every property of the body at once."""
    properties = body_schema.get("properties", {})
    # As the whole body, one wrong type stands for all: the serializer wants an object.
    bodies = {f"body {label}": BAD_JSON_VALUES[label] for label in WHOLE_BODY_VALUES}
    answer_names = [field.name for field in world.item.fields.all()] + ["current_address"]
    for label, raw in BAD_JSON_VALUES.items():
        members = ", ".join(f"{json.dumps(name)}: {raw}" for name in properties)
        bodies[f"every property {label}"] = "{" + members + "}"
        # Free-form objects (answers by field name): the bad value under every known name.
        nested = "{" + ", ".join(f"{json.dumps(n)}: {raw}" for n in answer_names) + "}"
        members = ", ".join(
            f"{json.dumps(name)}: {nested}"
            for name, schema in properties.items()
            if schema.get("type") == "object" or "additionalProperties" in schema
        )
        if members:
            bodies[f"every entry {label}"] = "{" + members + "}"
    return bodies


def first_role_reaching(name: str) -> str:
    """Someone whose request the route's view reads (not refused before it parses the body)."""
    return next(role for role in ROLES if EXPECTED[name].expected[role] not in REFUSED)


# The matrix reads the submitted case; only a draft's answers can be changed.
BODY_PATHS = {
    ("api:application-detail", "patch"): lambda w: reverse(
        "api:application-detail", args=[w.draft.pk]
    ),
}


def test_no_bad_json_body_gives_a_server_error(sweep_world, client_for):
    clients = {role: client_as(role, sweep_world, client_for) for role in ROLES}
    failures = []
    swept = 0
    for template, method, body_schema in json_operations():
        found = concrete_path(template, sweep_world)
        assert found, f"No row of the permission matrix reaches {method.upper()} {template}"
        name, path = found
        if (name, method) in BODY_PATHS:
            path = BODY_PATHS[name, method](sweep_world)
        role = first_role_reaching(name)
        for label, body in bad_bodies(body_schema, sweep_world).items():
            response = send(clients[role], method, path, data=body, content_type="application/json")
            swept += 1
            if response.status_code >= 500:
                failures.append(
                    (response.status_code, f"{method.upper()} {template} as {role}: {label}")
                )

    assert swept > 0
    assert not failures, describe(failures)


# --- what the person is told, and that nothing changed ------------------------------------------

NUL_IN_ADDRESS = {"en": "a NUL byte", "zh-hans": "NUL 空字符"}
SURROGATE = {"en": "lone surrogate", "zh-hans": "孤立的代理码位"}
TOO_DEEP = {"en": "nested more than 32 levels deep", "zh-hans": "嵌套超过 32 层"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("parameter", ["q", "theme", "audience"])
def test_a_nul_byte_in_a_catalogue_filter_is_refused_in_the_visitors_language(parameter, language):
    response = Client(headers={"accept-language": language}).get(f"/services/?{parameter}=%00")

    assert response.status_code == 400
    assert NUL_IN_ADDRESS[language] in response.content.decode()


def test_a_nul_byte_in_an_api_filter_is_refused_in_the_apis_error_shape():
    response = Client(headers={"accept-language": "zh-hans"}).get("/api/v1/decisions/?q=%00")

    assert response.status_code == 400
    assert NUL_IN_ADDRESS["zh-hans"] in response.json()["errors"][0]


@pytest.mark.parametrize(
    "path",
    [
        "/disclosure/decisions/%00/",
        "/disclosure/publications/%00/",
        "/disclosure/certificates/%00/",
        "/disclosure/feeds/department/%00.atom",
    ],
)
def test_a_nul_byte_in_a_pages_address_is_not_found(path):
    assert Client().get(path).status_code == 404


def test_a_nul_byte_in_an_api_address_is_a_json_404():
    response = Client(headers={"accept-language": "en"}).get("/api/v1/certificates/%00/")

    assert response.status_code == 404
    assert response.json() == {"errors": ["Not found, or not yours to see."], "fields": {}}


@pytest.fixture
def own_draft(client_for):
    citizen = CitizenFactory()
    draft = draft_application(item_with_stages([[DepartmentFactory()]]), citizen)
    return draft, client_for(citizen)


def patch_answers(client, draft, raw_answers: str, language: str):
    return client.patch(
        reverse("api:application-detail", args=[draft.pk]),
        '{"answers": ' + raw_answers + "}",
        content_type="application/json",
        headers={"accept-language": language},
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_lone_surrogate_in_answers_is_refused_and_nothing_is_saved(own_draft, language):
    draft, client = own_draft
    before = dict(draft.answers)

    response = patch_answers(client, draft, '{"business_name": "\\ud800"}', language)

    assert response.status_code == 400
    assert SURROGATE[language] in response.json()["errors"][0]
    draft.refresh_from_db()
    assert draft.answers == before


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_answers_nested_5000_deep_are_refused_and_nothing_is_saved(own_draft, language):
    draft, client = own_draft
    before = dict(draft.answers)

    response = patch_answers(client, draft, deeply_nested(), language)

    assert response.status_code == 400
    assert TOO_DEEP[language] in response.json()["errors"][0]
    draft.refresh_from_db()
    assert draft.answers == before


def test_answers_in_a_properly_paired_surrogate_are_kept(own_draft):
    """An emoji written as an escaped UTF-16 pair is a character: only lone halves are refused."""
    draft, client = own_draft

    response = patch_answers(client, draft, '{"business_name": "\\ud83d\\ude00 商店"}', "en")

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.answers["business_name"] == "\U0001f600 商店"
