"""Authentication: Argon2 passwords, lock-out after repeated failures, and the TOTP second
factor that every civil servant and administrator passes before reaching any page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

import portal.settings as production_settings
from accounts.models import User
from tests.authentication import current_code, totp_device_for
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    StaffFactory,
    reviewer_of,
    shanghai,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
STAFF_DASHBOARD = reverse("approvals:queue")
NOW = shanghai("2026-11-23 10:00")


def english_client(address: str = "198.51.100.7", **headers) -> Client:
    return Client(headers={"accept-language": "en", **headers}, REMOTE_ADDR=address)


def log_in_with_password(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def reviewer():
    return reviewer_of(DepartmentFactory(name="市市场监督管理局"))


@pytest.fixture
def administrator():
    return StaffFactory(is_staff=True, is_superuser=True)


# --- passwords -----------------------------------------------------------------------------------


def test_production_settings_hash_new_passwords_with_argon2_and_keep_older_hashers():
    hashers = production_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers[1:]


def test_a_pbkdf2_password_is_rehashed_with_argon2_at_the_next_login(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    citizen = CitizenFactory()
    citizen.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    citizen.save(update_fields=["password"])

    response = log_in_with_password(english_client(), citizen.username)

    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.password.startswith("argon2$argon2id$")


def test_registration_refuses_a_password_shorter_than_twelve_characters(client):
    response = client.post(
        reverse("accounts:register_citizen"),
        {"username": "lisi", "password1": "Short-pw1", "password2": "Short-pw1"},
    )

    assert response.status_code == 200
    assert "at least 12 characters" in str(response.context["form"].errors["password2"])
    assert not User.objects.filter(username="lisi").exists()


def test_the_test_clients_login_works_when_given_a_request():
    """django-axes needs the request to count failures; tests pass one, as axes documents."""
    citizen = CitizenFactory()
    client = english_client()

    assert client.login(request=HttpRequest(), username=citizen.username, password=PASSWORD)
    assert client.session[SESSION_KEY] == str(citizen.pk)


# --- lock-out ------------------------------------------------------------------------------------


def fail_to_log_in(client: Client, username: str, times: int, **extra):
    """Wrong passwords: the form again with its error, until the lock-out page."""
    for _ in range(times):
        response = log_in_with_password(client, username, "not-the-password", **extra)
        assert response.status_code in (200, 429)
    return response


def test_five_failed_logins_lock_the_account_out_with_a_clear_message():
    citizen = CitizenFactory()
    client = english_client()
    fourth = fail_to_log_in(client, citizen.username, 4)
    fifth = fail_to_log_in(client, citizen.username, 1)

    response = log_in_with_password(client, citizen.username)  # even the right password

    assert fourth.status_code == 200
    assert fifth.status_code == response.status_code == 429
    page = response.content.decode()
    assert "Login temporarily blocked" in page
    assert "blocked for 15 minutes" in page
    assert SESSION_KEY not in client.session


def test_the_lock_out_page_says_when_to_try_again_in_retry_after():
    citizen = CitizenFactory()
    client = english_client()

    response = fail_to_log_in(client, citizen.username, 5)

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)


def test_four_failed_logins_do_not_lock_the_account():
    citizen = CitizenFactory()
    client = english_client()
    fail_to_log_in(client, citizen.username, 4)

    response = log_in_with_password(client, citizen.username)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(citizen.pk)


def test_the_lock_out_page_is_translated():
    citizen = CitizenFactory()
    client = Client(headers={"accept-language": "zh-hans"}, REMOTE_ADDR="198.51.100.7")
    fail_to_log_in(client, citizen.username, 5)

    response = log_in_with_password(client, citizen.username)

    assert response.status_code == 429
    assert "登录暂时被锁定" in response.content.decode()


def test_lock_out_is_for_the_account_from_that_address_only():
    citizen = CitizenFactory()
    fail_to_log_in(english_client("198.51.100.7"), citizen.username, 5)

    elsewhere = log_in_with_password(english_client("203.0.113.9"), citizen.username)
    other_account = log_in_with_password(english_client("198.51.100.7"), CitizenFactory().username)

    assert elsewhere.status_code == 302
    assert other_account.status_code == 302


def test_lock_out_ends_fifteen_minutes_after_the_last_attempt():
    citizen = CitizenFactory()
    with time_machine.travel(NOW, tick=False) as clock:
        fail_to_log_in(english_client(), citizen.username, 5)
        clock.shift(timedelta(minutes=14))
        # Still locked; and an attempt during the lock-out starts its 15 minutes again.
        assert log_in_with_password(english_client(), citizen.username).status_code == 429
        clock.shift(timedelta(minutes=14))
        assert log_in_with_password(english_client(), citizen.username).status_code == 429

        clock.shift(timedelta(minutes=16))
        assert log_in_with_password(english_client(), citizen.username).status_code == 302


def test_failures_more_than_fifteen_minutes_apart_do_not_add_up():
    citizen = CitizenFactory()
    with time_machine.travel(NOW, tick=False) as clock:
        fail_to_log_in(english_client(), citizen.username, 4)
        clock.shift(timedelta(minutes=16))
        fail_to_log_in(english_client(), citizen.username, 1)

        assert log_in_with_password(english_client(), citizen.username).status_code == 302


def test_behind_the_proxy_the_lock_out_counts_the_clients_address_not_the_proxys(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    citizen = CitizenFactory()
    proxy = "10.0.0.2"
    # The client may write anything left of what the proxy appends; only the last counts.
    fail_to_log_in(
        english_client(proxy),
        citizen.username,
        5,
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7",
    )

    same_person = log_in_with_password(
        english_client(proxy), citizen.username, HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.7"
    )
    someone_else = log_in_with_password(
        english_client(proxy), citizen.username, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert same_person.status_code == 429
    assert someone_else.status_code == 302


# --- the second factor ---------------------------------------------------------------------------


def half_logged_in(client_for, user) -> Client:
    """Password accepted, TOTP code not yet entered."""
    return client_for(user, second_factor=False)


def test_staff_without_a_verified_code_are_sent_from_the_dashboard_to_verification(
    client_for, reviewer
):
    totp_device_for(reviewer)

    response = half_logged_in(client_for, reviewer).get(STAFF_DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fstaff%2F"


def test_administrators_without_a_verified_code_do_not_reach_the_django_admin(
    client_for, administrator
):
    totp_device_for(administrator)

    response = half_logged_in(client_for, administrator).get("/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_is_staff_user_of_any_kind_needs_the_second_factor(client_for):
    citizen_with_admin_rights = CitizenFactory(is_staff=True)
    totp_device_for(citizen_with_admin_rights)

    response = half_logged_in(client_for, citizen_with_admin_rights).get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_staff_without_a_verified_code_cannot_publish_nor_post_anything(client_for, reviewer):
    totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)

    form = client.get(reverse("disclosure:new_publication"))
    posted = client.post(reverse("disclosure:new_publication"), {"title": "未经验证"})

    assert form.status_code == posted.status_code == 302
    assert form["Location"].startswith(VERIFY)
    assert posted["Location"] == VERIFY


def test_staff_without_a_device_are_sent_to_set_one_up(client_for, reviewer):
    response = half_logged_in(client_for, reviewer).get(STAFF_DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Fstaff%2F"


def test_a_wrong_code_is_refused_and_the_staff_pages_stay_closed(client_for, reviewer):
    device = totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"code": wrong, "next": STAFF_DASHBOARD})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(STAFF_DASHBOARD).status_code == 302


def test_the_right_code_opens_the_page_asked_for(client_for, reviewer):
    device = totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)

    response = client.post(VERIFY, {"code": current_code(device), "next": STAFF_DASHBOARD})

    assert response.status_code == 302
    assert response["Location"] == STAFF_DASHBOARD
    assert client.get(STAFF_DASHBOARD).status_code == 200


def test_a_code_once_used_cannot_be_used_again(client_for, reviewer):
    device = totp_device_for(reviewer)
    with time_machine.travel(NOW, tick=False):
        code = current_code(device)
        first = half_logged_in(client_for, reviewer).post(VERIFY, {"code": code})
        replayed = half_logged_in(client_for, reviewer).post(VERIFY, {"code": code})

    assert first.status_code == 302
    assert replayed.status_code == 200


def test_after_a_wrong_code_the_next_try_must_wait(client_for, reviewer):
    device = totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)
    with time_machine.travel(NOW, tick=False) as clock:
        client.post(VERIFY, {"code": "000000" if current_code(device) != "000000" else "111111"})
        clock.shift(timedelta(milliseconds=100))
        too_soon = client.post(VERIFY, {"code": current_code(device)})
        clock.shift(timedelta(seconds=2))
        later = client.post(VERIFY, {"code": current_code(device)})

    assert "Too many wrong codes" in too_soon.content.decode()
    assert later.status_code == 302


def test_password_then_code_lead_to_the_page_first_asked_for(reviewer):
    device = totp_device_for(reviewer)
    client = english_client()

    password = client.post(
        f"{LOGIN}?next={STAFF_DASHBOARD}",
        {"username": reviewer.username, "password": PASSWORD, "next": STAFF_DASHBOARD},
    )
    assert password["Location"] == STAFF_DASHBOARD
    asked = client.get(STAFF_DASHBOARD)
    assert asked["Location"] == f"{VERIFY}?next=%2Fstaff%2F"
    verify_page = client.get(asked["Location"])
    assert verify_page.status_code == 200
    code = client.post(VERIFY, {"code": current_code(device), "next": STAFF_DASHBOARD})

    assert code["Location"] == STAFF_DASHBOARD
    assert client.get(STAFF_DASHBOARD).status_code == 200


def test_verification_gets_a_new_session_key(client_for, reviewer):
    device = totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)
    before = client.session.session_key

    client.post(VERIFY, {"code": current_code(device)})

    assert client.session.session_key != before


def test_the_next_address_after_verification_stays_on_this_site(client_for, reviewer):
    device = totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)

    response = client.post(VERIFY, {"code": current_code(device), "next": "https://evil.example/"})

    assert response["Location"] == STAFF_DASHBOARD


def test_enrolment_shows_a_qr_code_and_the_secret_and_a_code_confirms_the_app(client_for, reviewer):
    client = half_logged_in(client_for, reviewer)

    page = client.get(ENROL)

    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert "<svg" in html and 'class="qr-code"' in html
    assert "<script" not in html
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")

    confirmed = client.post(ENROL, {"code": current_code(device), "next": STAFF_DASHBOARD})

    assert confirmed["Location"] == STAFF_DASHBOARD
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(STAFF_DASHBOARD).status_code == 200


def test_enrolment_with_a_wrong_code_confirms_nothing(client_for, reviewer):
    client = half_logged_in(client_for, reviewer)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(STAFF_DASHBOARD).status_code == 302


def test_a_password_alone_cannot_replace_a_confirmed_authenticator(client_for, reviewer):
    totp_device_for(reviewer)

    response = half_logged_in(client_for, reviewer).get(ENROL)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_a_citizen_is_never_asked_for_a_code(client_for):
    client = client_for(CitizenFactory())

    mine = client.get(reverse("services:mine"))
    verify = client.get(VERIFY)

    assert mine.status_code == 200
    assert verify.status_code == 302
    assert not verify["Location"].startswith(VERIFY)


def test_a_half_logged_in_civil_servant_can_still_log_out(client_for, reviewer):
    totp_device_for(reviewer)
    client = half_logged_in(client_for, reviewer)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_every_demo_staff_account_has_the_published_demo_secret():
    from portal.demo import DEMO_TOTP_KEY, demo_totp_instructions, load_demo

    accounts = load_demo()

    usernames = [username for username, *_ in accounts]
    staff = User.objects.filter(username__in=usernames, kind=User.Kind.STAFF)
    assert staff.count() >= 3
    for user in staff:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        assert device.bin_key == DEMO_TOTP_KEY
    assert not TOTPDevice.objects.filter(user__username="zhangsan").exists()
    assert any("OBXXE5DBNQWWIZLNN4WXI33UOAWWWZLZ" in line for line in demo_totp_instructions())


def test_the_code_field_takes_the_focus(client_for, reviewer):
    totp_device_for(reviewer)

    page = half_logged_in(client_for, reviewer).get(VERIFY).content.decode()

    assert re.search(r'<input[^>]*name="code"[^>]*autofocus', page)
