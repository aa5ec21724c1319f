"""A database outage is a 503 page in the applicant's language, never a traceback.

The real outage (PostgreSQL stopped under filing load) is tests/faults/test_database_restart.py;
these check both doors of portal/unavailable.py with the error PostgreSQL's driver raises.
"""

import sys

import psycopg2
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation

from portal.unavailable import DatabaseUnavailableMiddleware, bad_request, server_error


def database_error() -> OperationalError:
    # What Django raises when the server is gone: its wrapper around psycopg2's error.
    return OperationalError(str(psycopg2.OperationalError("server closed the connection")))


def test_a_view_failing_on_the_database_answers_503_with_retry_after():
    request = RequestFactory().post("/applications/1/edit/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    with translation.override("en"):
        response = middleware.process_exception(request, database_error())

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Service temporarily unavailable" in response.content
    assert b"Traceback" not in response.content


def test_the_503_page_speaks_the_applicants_language():
    request = RequestFactory().get("/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    with translation.override("zh-hans"):
        response = middleware.process_exception(request, database_error())

    assert response.status_code == 503
    assert 'lang="zh-Hans"' in response.content.decode()


def test_other_errors_are_left_to_the_500_page():
    request = RequestFactory().get("/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    assert middleware.process_exception(request, ValueError("a bug")) is None
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_a_middleware_failing_on_the_database_reaches_the_500_handler_as_a_503():
    request = RequestFactory().get("/")
    try:
        raise database_error()
    except OperationalError:
        assert sys.exc_info()[0] is OperationalError
        response = server_error(request)

    assert response.status_code == 503


def test_a_session_lost_to_the_database_outage_is_a_503_not_a_bad_request():
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.exceptions import SessionInterrupted

    request = RequestFactory().post("/applications/1/edit/")
    try:
        try:
            try:
                raise database_error()
            except OperationalError:
                raise UpdateError  # noqa: B904 - as django.contrib.sessions.backends.db does
        except UpdateError:
            raise SessionInterrupted("The request's session was deleted")  # noqa: B904
    except SessionInterrupted as error:
        interrupted = error

    assert bad_request(request, interrupted).status_code == 503
    assert bad_request(request, SessionInterrupted("deleted")).status_code == 400
