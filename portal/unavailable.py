"""A clean 503 page when PostgreSQL is unreachable (restart, failover), never a traceback.

While the database is away every page that needs it fails with OperationalError or
InterfaceError. The applicant is told to try again in a moment — in their language, with a
Retry-After header for clients and load balancers — and nothing has been half written: each
write is one transaction, which PostgreSQL rolled back with the connection.

Three doors, because Django turns an exception into a response where it is raised: the
middleware catches what views raise (in DEBUG too), the 500 handler what middleware raises
(reading the session), and the 400 handler the "session interrupted" error Django raises
when saving the session after the view fails, which the database being away also causes.

Under /api/ every one of these answers in the API's JSON shape ({"errors": [...], "fields":
{}}), never a page: a program reading the API gets JSON whatever went wrong (docs/api.md).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"errors": [message], "fields": {}}, status=status)


def service_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    logger.warning("Database unavailable for %s %s: %s", request.method, request.path, error)
    if is_api_request(request):
        response = api_error(
            _("The service is temporarily unavailable. Please try again in a moment."), status=503
        )
    else:
        # Rendered without the request: context processors would query the database again.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return service_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a 503, anything else Django's 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        return service_unavailable(request, error)
    if is_api_request(request):
        return api_error(_("Something went wrong on our side. Please try again later."), status=500)
    return defaults.server_error(request)


def caused_by_database_outage(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, DATABASE_UNAVAILABLE):
            return True
        error = error.__cause__ or error.__context__
    return False


def bad_request(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """handler400: Django reports a session it could not save as SessionInterrupted (400)."""
    if caused_by_database_outage(exception):
        return service_unavailable(request, exception)
    if is_api_request(request):
        return api_error(_("The request could not be understood."), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """handler403: a refusal raised outside the API's views (middleware) is JSON there too."""
    if is_api_request(request):
        return api_error(_("You do not have permission to do this."), status=403)
    return defaults.permission_denied(request, exception)
