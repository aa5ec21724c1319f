"""Addresses no text can hold: refused at the door, before any view sends them to PostgreSQL.

PostgreSQL text cannot contain NUL (U+0000): a query or a lookup with one fails inside the
database driver, whatever the view meant to do with the value. Rather than each form, filter
and lookup guarding against it, one middleware answers such a request before it reaches a view:

- a NUL in the path names nothing: 404, the portal's "not found" (JSON under /api/);
- a NUL in a query parameter's name or value: 400, saying what is wrong, in the person's
  language (JSON under /api/, in the API's error shape).

Other malformed query values need no such door: broken percent-encoding and lone surrogates
are decoded by Django into U+FFFD, and every filter validates its own values (dates, numbers).
Placed after LocaleMiddleware, so the answer is in the language of the request.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def has_nul_in_query(request: HttpRequest) -> bool:
    return any(
        NUL in name or any(NUL in value for value in values) for name, values in request.GET.lists()
    )


def bad_address(request: HttpRequest) -> HttpResponse:
    message = _(
        "This address contains a character that no text may contain (a NUL byte). "
        "Check the link, or search again from the page."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [message], "fields": {}}, status=400)
    return render(request, "portal/bad_address.html", {"message": message}, status=400)


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            # Turned into the portal's 404 (handler404: JSON under /api/) by Django.
            raise Http404
        if has_nul_in_query(request):
            return bad_address(request)
        return self.get_response(request)
