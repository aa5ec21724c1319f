"""Two languages: the browser's language by default, a switcher that needs no JavaScript, and
dates and times in Asia/Shanghai written the way each language writes them."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.authentication import log_in
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    item_with_stages,
    shanghai,
    submitted_application,
)

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("accept_language", "html_lang", "login_label"),
    [
        ("zh-CN,zh;q=0.9", "zh-Hans", "登录"),
        ("en-GB,en;q=0.8", "en", "Log in"),
        # A language the portal does not speak falls back to Simplified Chinese.
        ("fr-FR", "zh-Hans", "登录"),
    ],
)
def test_pages_are_in_the_browsers_language_by_default(accept_language, html_lang, login_label):
    response = Client(headers={"accept-language": accept_language}).get(reverse("home"))

    assert page_language(response) == html_lang
    assert f">{login_label}</a>" in response.content.decode()


def test_every_page_offers_the_language_switcher_as_a_plain_form():
    """The switcher is a POST form with one button per language: it works without JavaScript."""
    page = Client(headers={"accept-language": "en"}).get(reverse("services:catalogue"))
    html = page.content.decode()

    form = re.search(
        r'<form class="lang-switch" action="([^"]+)" method="post">(.*?)</form>', html, re.S
    )
    assert form, "no language switcher"
    assert form.group(1) == reverse("set_language")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert 'name="next" value="/services/"' in form.group(2)
    buttons = re.findall(r'<button type="submit" name="language" value="([^"]+)"', form.group(2))
    assert buttons == ["zh-hans", "en"]


def test_switching_language_keeps_the_reader_on_the_same_page_in_the_chosen_language():
    client = Client(headers={"accept-language": "en"})
    client.get(reverse("services:catalogue"))  # the CSRF cookie, as a browser would have it

    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/services/"})

    assert switched.status_code == 302
    assert switched["Location"] == "/services/"
    page = client.get("/services/")
    assert page_language(page) == "zh-Hans"  # the choice wins over the browser's language
    assert ">办事服务</a>" in page.content.decode()


def test_switching_to_a_language_the_portal_does_not_speak_changes_nothing():
    client = Client(headers={"accept-language": "en"})

    client.post(reverse("set_language"), {"language": "fr", "next": "/services/"})

    assert page_language(client.get("/services/")) == "en"


@pytest.mark.parametrize(
    ("language", "submitted_text"),
    [
        ("en", "2 Mar 2026, 10:05"),
        ("zh-hans", "2026年3月2日 10:05"),
    ],
)
def test_times_are_shown_in_shanghai_time_in_the_readers_format(language, submitted_text):
    citizen = CitizenFactory()
    item = item_with_stages([[DepartmentFactory()]])
    # 02:05 UTC is 10:05 in Shanghai (UTC+8, no daylight saving time).
    with time_machine.travel(shanghai("2026-03-02 10:05"), tick=False):
        application = submitted_application(item, citizen)

    client = log_in(Client(headers={"accept-language": language}), citizen)
    html = client.get(application.get_absolute_url()).content.decode()
    # What the reader sees, without the machine-readable datetime="…" of <time> elements.
    shown = re.sub(r'datetime="[^"]*"', "", html)

    assert submitted_text in shown
    assert "02:05" not in shown
    assert "2026-03-02" not in shown
