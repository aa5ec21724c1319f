"""The elderly-friendly mode (适老化, 长辈版) of every page: a switch in the header, remembered.

MIIT's 2020 specification for elderly-friendly websites (互联网网站适老化通用设计规范) asks for a
mode that any visitor can turn on from the page itself, with larger type, stronger contrast,
larger targets, simpler navigation and help in plain words. The pages render it from the same
templates (templates/base.html, static/css/elderly.css): no second site, no JavaScript.

The choice is a cookie, so that it survives the next visit without an account, and, for a
logged-in person, a field on the account, so that it follows them to another device. The mode
is on when either says so; switching sets both, so for a logged-in person they never disagree.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import User

COOKIE_VALUE = "on"
COOKIE_AGE = timedelta(days=365)


def elderly_mode_on(request: HttpRequest) -> bool:
    if request.COOKIES.get(settings.ELDERLY_MODE_COOKIE) == COOKIE_VALUE:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.elderly_mode)


def switch_elderly_mode(request: HttpRequest, response: HttpResponse, *, on: bool) -> None:
    """Remember the choice in the response's cookie and, if logged in, on the account."""
    if on:
        response.set_cookie(
            settings.ELDERLY_MODE_COOKIE,
            COOKIE_VALUE,
            max_age=int(COOKIE_AGE.total_seconds()),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,  # read by the server only: the page needs no script for it
            samesite="Lax",
        )
    else:
        response.delete_cookie(settings.ELDERLY_MODE_COOKIE, samesite="Lax")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.elderly_mode != on:
        user.elderly_mode = on
        User.objects.filter(pk=user.pk).update(elderly_mode=on)
