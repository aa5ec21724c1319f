"""A forgotten password: a code to the verified e-mail, the same answer for every account or
none, rate limits, and the holder told afterwards (issue 14, item 11; accounts/password_reset.py)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from tests.authentication import emailed_code
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-long-pass-2027"


def english(address: str = "198.51.100.7") -> Client:
    return Client(headers={"accept-language": "en"}, REMOTE_ADDR=address)


@pytest.fixture
def holder():
    return CitizenFactory(
        username="wangwu", email="wangwu@example.cn", email_verified_at=timezone.now()
    )


def ask_for_a_code(client: Client, login: str):
    return client.post(reverse("accounts:password_reset"), {"login": login})


def choose(client: Client, code: str, password: str = NEW_PASSWORD):
    return client.post(
        reverse("accounts:password_reset_confirm"),
        {"code": code, "password1": password, "password2": password},
    )


def page_without_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_the_holder_resets_with_the_code_from_their_verified_email(holder, celery_worker):
    client = english()

    asked = ask_for_a_code(client, "wangwu")
    done = choose(client, emailed_code("wangwu@example.cn"))

    assert asked["Location"] == reverse("accounts:password_reset_confirm")
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    holder.refresh_from_db()
    assert holder.check_password(NEW_PASSWORD)


def test_the_code_also_comes_when_asked_by_email_address(holder, celery_worker):
    client = english()

    ask_for_a_code(client, "WangWu@Example.cn")

    assert emailed_code("wangwu@example.cn")


def test_after_a_reset_the_holder_is_told_it_is_logged_and_other_sessions_end(
    holder, celery_worker, client_for
):
    elsewhere = client_for(holder)
    client = english()
    ask_for_a_code(client, "wangwu")

    choose(client, emailed_code("wangwu@example.cn"))

    notice = holder.notifications.get(kind="password_reset")
    assert notice.url == reverse("accounts:login")
    assert AuditEntry.objects.filter(
        action="auth.password_reset", object_id=str(holder.pk)
    ).exists()
    assert elsewhere.get(reverse("accounts:account")).status_code == 302  # logged out there
    assert SESSION_KEY not in elsewhere.session


def test_an_unknown_account_gets_exactly_the_answer_a_real_one_gets(holder, celery_worker):
    known, unknown = english(), english("203.0.113.9")

    known_asked = ask_for_a_code(known, "wangwu")
    unknown_asked = ask_for_a_code(unknown, "nobody-here")

    assert known_asked["Location"] == unknown_asked["Location"]
    assert page_without_token(known.get(known_asked["Location"])) == page_without_token(
        unknown.get(unknown_asked["Location"])
    )
    refused = choose(unknown, "123456")
    assert "This code is wrong or has expired." in refused.content.decode()


def test_an_unverified_address_gets_no_code_and_the_same_answer(celery_worker):
    CitizenFactory(username="unverified", email="unverified@example.cn", email_verified_at=None)
    CitizenFactory(
        username="verified", email="verified@example.cn", email_verified_at=timezone.now()
    )
    client = english()

    asked = ask_for_a_code(client, "unverified")
    ask_for_a_code(english("203.0.113.9"), "verified")
    emailed_code("verified@example.cn")  # the worker runs in order: the first task is done too

    assert asked["Location"] == reverse("accounts:password_reset_confirm")
    assert not [m for m in mail.outbox if "unverified@example.cn" in m.to]


def test_a_wrong_code_changes_nothing_and_five_of_them_end_the_reset(holder, celery_worker):
    client = english()
    ask_for_a_code(client, "wangwu")
    code = emailed_code("wangwu@example.cn")
    wrong = "000000" if code != "000000" else "111111"

    first = choose(client, wrong)
    for _ in range(4):
        choose(client, wrong)
    too_late = choose(client, code)

    assert "This code is wrong or has expired." in first.content.decode()
    assert too_late.status_code == 302
    assert too_late["Location"] == reverse("accounts:password_reset")
    holder.refresh_from_db()
    assert not holder.check_password(NEW_PASSWORD)


def test_the_password_rules_apply_once_the_code_is_right(holder, celery_worker):
    client = english()
    ask_for_a_code(client, "wangwu")
    code = emailed_code("wangwu@example.cn")

    weak = choose(client, code, password="wangwu@example")
    then = choose(client, code)

    assert "too similar to the email address" in weak.content.decode()
    assert then["Location"] == reverse("accounts:login")


def test_asking_too_often_from_one_address_gets_429(holder, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/h"}
    client = english()

    allowed = [ask_for_a_code(client, f"someone{n}").status_code for n in range(2)]
    refused = ask_for_a_code(client, "wangwu")

    assert allowed == [302, 302]
    assert refused.status_code == 429
    assert refused.has_header("Retry-After")


def test_an_account_gets_only_so_many_codes_whoever_asks(holder, celery_worker, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset_account": "1/h"}

    ask_for_a_code(english(), "wangwu")
    emailed_code("wangwu@example.cn")
    second = ask_for_a_code(english("203.0.113.9"), "wangwu")
    ask_for_a_code(english("192.0.2.1"), "other")  # a marker: the worker handles tasks in order
    CitizenFactory(username="other", email="other@example.cn", email_verified_at=timezone.now())
    ask_for_a_code(english("192.0.2.2"), "other")
    emailed_code("other@example.cn")

    assert second["Location"] == reverse("accounts:password_reset_confirm")
    assert len([m for m in mail.outbox if "wangwu@example.cn" in m.to]) == 1


def test_the_login_page_offers_the_reset_and_the_pages_speak_chinese(client):
    chinese = Client(headers={"accept-language": "zh-hans"})

    login_page = client.get(reverse("accounts:login")).content.decode()
    reset_page = chinese.get(reverse("accounts:password_reset")).content.decode()

    assert reverse("accounts:password_reset") in login_page
    assert "<h1>忘记密码？</h1>" in reset_page
    assert '<label for="id_login">用户名或电子邮箱' in reset_page


def test_the_code_is_emailed_in_the_askers_language(holder, celery_worker):
    chinese = Client(headers={"accept-language": "zh-hans"})

    ask_for_a_code(chinese, "wangwu")
    code = emailed_code("wangwu@example.cn")

    message = next(m for m in mail.outbox if "wangwu@example.cn" in m.to)
    assert message.subject == f"您的密码重置验证码：{code}"


def test_the_reset_page_without_a_code_under_way_sends_back_to_asking(client):
    response = client.get(reverse("accounts:password_reset_confirm"))

    assert response["Location"] == reverse("accounts:password_reset")


def test_a_demo_citizen_can_reset_a_forgotten_password():
    from portal.demo import load_demo

    load_demo()

    assert User.objects.get(username="zhangsan").email_verified_at is not None
