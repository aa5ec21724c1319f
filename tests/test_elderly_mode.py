"""The elderly-friendly mode (适老化): a switch in the header, remembered across visits, that
draws every page larger, with a shorter navigation and plain-language help when filing.

The browser tests (tests/browser/test_participation.py) check what a browser computes: type
sizes, target sizes, axe-core and the switch without JavaScript.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import CitizenFactory, DepartmentFactory, item_with_stages

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def in_elderly_mode(response) -> bool:
    return bool(re.search(r'<html lang="[^"]+" class="elderly">', html(response)))


def switch(client: Client, on: bool, next_path: str = "/services/"):
    client.get(next_path)  # the CSRF cookie, as a browser would have it
    return client.post(
        reverse("elderly_mode"), {"elderly": "on" if on else "off", "next": next_path}
    )


def test_every_page_offers_the_switch_as_a_plain_form():
    page = html(Client(headers={"accept-language": "en"}).get(reverse("services:catalogue")))

    form = re.search(
        r'<form class="mode-switch" action="([^"]+)" method="post">(.*?)</form>', page, re.S
    )
    assert form.group(1) == reverse("elderly_mode")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<button type="submit" name="elderly" value="on">Elderly mode: larger text</button>' in (
        form.group(2)
    )


def test_switching_on_keeps_the_visitor_on_the_page_and_is_remembered_in_a_cookie():
    client = Client(headers={"accept-language": "en"})

    switched = switch(client, on=True)

    assert switched.status_code == 302 and switched["Location"] == "/services/"
    cookie = switched.cookies[settings.ELDERLY_MODE_COOKIE]
    assert cookie.value == "on" and int(cookie["max-age"]) >= 300 * 24 * 3600
    assert cookie["httponly"]
    page = client.get("/services/")
    assert in_elderly_mode(page)
    assert "css/elderly.css" in html(page)
    assert "Back to the standard mode" in html(page)


def test_switching_off_forgets_it():
    client = Client(headers={"accept-language": "en"})
    switch(client, on=True)

    switch(client, on=False)

    assert not in_elderly_mode(client.get("/services/"))


def test_a_logged_in_persons_choice_follows_them_to_another_device(client_for):
    citizen = CitizenFactory()
    switch(client_for(citizen), on=True)

    assert User.objects.get(pk=citizen.pk).elderly_mode
    assert in_elderly_mode(client_for(citizen).get("/services/"))  # a new browser, no cookie

    switch(client_for(citizen), on=False)
    assert not in_elderly_mode(client_for(citizen).get("/services/"))


def test_the_switch_only_goes_back_to_a_page_of_the_portal():
    client = Client()
    client.get("/")

    response = client.post(
        reverse("elderly_mode"), {"elderly": "on", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("home")


def test_the_navigation_is_shorter_and_home_is_in_it():
    client = Client(headers={"accept-language": "en"})
    standard = html(client.get("/services/"))
    switch(client, on=True)
    elderly = html(client.get("/services/"))

    nav = re.search(r'<nav class="site-nav".*?</nav>', elderly, re.S).group(0)
    assert ">Home</a>" in nav and ">Home</a>" not in standard
    # Registration stays on the login page; in this mode the stylesheet leaves it out of the bar.
    assert 'class="nav-secondary"' in nav


def test_the_filing_pages_have_plain_language_help_in_this_mode_only():
    item = item_with_stages([[DepartmentFactory()]])
    client = Client(headers={"accept-language": "en"})
    guide = reverse("services:guide", args=[item.code])

    assert "How to do it, step by step" not in html(client.get(guide))
    switch(client, on=True, next_path=guide)
    help_text = html(client.get(guide))

    assert "How to do it, step by step" in help_text
    assert "12345" in help_text


def test_the_application_form_has_plain_language_help_in_this_mode(client_for):
    item = item_with_stages([[DepartmentFactory()]], audience="both")
    client = client_for(CitizenFactory())
    started = client.post(reverse("services:start", args=[item.code]))
    switch(client, on=True, next_path=started["Location"])

    form = html(client.get(started["Location"]))

    assert "Not finished? Press “Save draft”." in form


def test_cached_pages_are_kept_apart_for_each_mode():
    """The catalogue is served from the page cache to anonymous visitors: a visitor in the
    elderly mode must never get the standard page, nor the other way round."""
    standard_visitor = Client(headers={"accept-language": "en"})
    elderly_visitor = Client(headers={"accept-language": "en"})
    switch(elderly_visitor, on=True)

    first = standard_visitor.get("/services/")  # rendered and cached
    second = elderly_visitor.get("/services/")
    third = standard_visitor.get("/services/")

    assert not in_elderly_mode(first)
    assert in_elderly_mode(second)
    assert not in_elderly_mode(third)
