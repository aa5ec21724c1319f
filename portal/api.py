"""The REST API's common ground: errors and the documentation pages.

Authentication is in accounts/api_authentication.py, throttles and pagination in
common/api_access.py, the schema's conventions in portal/api_schema.py (all imported by DRF
from its settings), its addresses in portal/api_urls.py.

Every endpoint lives in the app whose domain it serves (services/api.py, approvals/api.py,
disclosure/api.py, accounts/api.py) and calls the same domain functions and permission checks
as that app's pages. What is here is only how the API talks: docs/api.md.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from services.lifecycle import TransitionNotAllowed

# --- errors --------------------------------------------------------------------------------------


NOT_FOUND = _("Not found, or not yours to see.")


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def _error_body(detail) -> dict:
    """{"errors": [...], "fields": {field: [...]}}: messages not about one field go in errors."""
    if isinstance(detail, dict):
        fields = {
            name: _messages(value)
            for name, value in detail.items()
            if name not in (NON_FIELD_ERRORS, api_non_field_key())
        }
        errors = _messages(detail.get(NON_FIELD_ERRORS, [])) + _messages(
            detail.get(api_non_field_key(), [])
        )
        if not errors and fields:
            errors = [str(_("Check the fields marked."))]
        return {"errors": errors, "fields": fields}
    return {"errors": _messages(detail), "fields": {}}


def api_non_field_key() -> str:
    from rest_framework.settings import api_settings

    return api_settings.NON_FIELD_ERRORS_KEY


def exception_handler(exc, context):
    """Every refusal in one shape, in the caller's language (Accept-Language).

    Domain functions raise Django's ValidationError (400), PermissionDenied (403) and Http404
    (404); a state that does not allow the action is a conflict (409).
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
    elif isinstance(exc, TransitionNotAllowed):
        return Response({"errors": [str(exc)], "fields": {}}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, Http404):
        # Not Django's "No ReviewTask matches the given query.": no model names, and the
        # same answer whether the object does not exist or is someone else's.
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _error_body(exc.detail)
    return response


# --- the schema ----------------------------------------------------------------------------------


class CSPFriendlySwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files, its start-up script in a file of its own: the
    portal's CSP allows no inline script and no CDN."""

    template_name = "api/swagger_ui.html"

    def finalize_response(self, request, response, *args, **kwargs):
        # Its icons are SVG data: URIs; scripts and styles stay this site's files only.
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_update = {"img-src": ["data:"]}
        return response


class CSPFriendlyRedocView(SpectacularRedocView):
    """ReDoc from our own static files, no inline script. ReDoc draws with styled-components,
    which inserts <style> elements: on this page alone styles may be inline (scripts may not),
    and its search runs in a worker made from a blob."""

    template_name = "api/redoc.html"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_update = {
            "style-src": ["'unsafe-inline'"],
            "worker-src": ["blob:"],
            "img-src": ["data:"],
        }
        return response


def not_found(request, exception):
    """Django's 404 for an address no URL matches: JSON under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [str(NOT_FOUND)], "fields": {}}, status=404)
    return page_not_found(request, exception)
