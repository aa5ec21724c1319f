"""The demo serves as production does (issue 14, item 10): DEBUG off, bound to 127.0.0.1 unless
HOST says otherwise, the portal's own error pages, and JSON for every error under /api/."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import include, path

from portal.launcher import demo_commands

REPO = Path(__file__).resolve().parent.parent


def failing_view(request):
    raise RuntimeError("a bug in a view")


def refusing_view(request):
    raise PermissionDenied


# A URL configuration of the portal plus two views that fail, with the portal's own handlers.
urlpatterns = [
    path("api/v1/broken/", failing_view),
    path("api/v1/refused/", refusing_view),
    path("broken/", failing_view),
    path("", include("portal.urls")),
]
handler400 = "portal.unavailable.bad_request"
handler403 = "portal.unavailable.permission_denied"
handler404 = "portal.api.not_found"
handler500 = "portal.unavailable.server_error"


def demo_setting(name: str, **environment: str) -> str:
    """A setting as `make run` reads it: portal.settings_demo imported afresh."""
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"} | environment
    code = f"import portal.settings_demo as s; print(s.{name})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_demo_runs_with_debug_off():
    assert demo_setting("DEBUG") == "False"


def test_the_demo_listens_only_on_the_loopback_address_by_default():
    web = demo_commands({})["web"]

    assert web[-2:] == ["runserver", "127.0.0.1:8000"]


def test_host_and_port_choose_where_the_demo_listens():
    assert demo_commands({"HOST": "0.0.0.0", "PORT": "9000"})["web"][-1] == "0.0.0.0:9000"
    assert demo_commands({"HOST": "::1"})["web"][-1] == "[::1]:8000"


def test_an_unknown_api_address_answers_json_404(client, settings):
    assert settings.DEBUG is False

    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]


@pytest.mark.urls("tests.test_demo_server")
def test_an_api_failure_answers_json_500_without_a_traceback(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": ["Something went wrong on our side. Please try again later."],
        "fields": {},
    }


@pytest.mark.urls("tests.test_demo_server")
def test_a_refusal_outside_the_api_views_answers_json_403_under_api(client, db):
    response = client.get("/api/v1/refused/")

    assert response.status_code == 403
    assert response.json()["errors"] == ["You do not have permission to do this."]


@pytest.mark.urls("tests.test_demo_server")
def test_a_page_failure_shows_the_portals_500_page_not_a_traceback(client):
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    assert b"Server error" in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content


@pytest.mark.urls("tests.test_demo_server")
def test_the_api_500_speaks_the_callers_language(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/broken/", headers={"accept-language": "zh-hans"})

    assert response.json()["errors"] == ["我们这边出了问题，请稍后再试。"]


def test_an_unknown_page_lists_no_urls(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"URLconf" not in response.content
    assert b"admin/" not in response.content
