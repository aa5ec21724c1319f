"""The OpenAPI schema is generated from the code, valid, complete, and readable under the CSP."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.IGNORECASE)


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """`manage.py spectacular --validate --fail-on-warn`: any warning fails the test."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(path),
    )
    return json.loads(path.read_text())


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_is_openapi_3_and_covers_every_api_route(schema):
    paths = set(schema["paths"])

    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/services/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/tasks/{id}/decision/",
        "/api/v1/extensions/{id}/decision/",
        "/api/v1/decisions/{tracking_number}/",
        "/api/v1/certificates/{number}/",
        "/api/v1/auth/token/",
    } <= paths


def test_every_endpoint_has_a_description_and_an_example(schema):
    lacking = []
    for path, method, operation in operations(schema):
        contents = [
            *operation.get("requestBody", {}).get("content", {}).values(),
            *(
                content
                for code, response in operation["responses"].items()
                if code.startswith("2")
                for content in response.get("content", {}).values()
            ),
        ]
        binary = all(c.get("schema", {}).get("format") == "binary" for c in contents)
        if not operation.get("description") or not (
            binary or any("examples" in c for c in contents)
        ):
            lacking.append(f"{method.upper()} {path}")
    assert not lacking


def test_every_endpoint_documents_its_refusals_in_one_shape(schema):
    for path, method, operation in operations(schema):
        assert "429" in operation["responses"], (method, path)
        assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


@pytest.mark.django_db
def test_the_schema_is_served_to_anyone(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "One-Stop Government Services API"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/redoc/"])
def test_the_documentation_pages_load_everything_from_this_site_without_inline_code(client, url):
    response = client.get(url)

    html = response.content.decode()
    # django-csp orders the directives differently once a view updates one, so compare parsed.
    directives = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )
    assert response.status_code == 200
    assert directives["script-src"] == "'self'"
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert not INLINE_SCRIPT.search(html)
    assert "https://" not in html  # no CDN, no web fonts
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), asset  # served by WhiteNoise once collected


@pytest.mark.django_db
def test_swagger_ui_starts_from_a_script_served_by_the_portal(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
