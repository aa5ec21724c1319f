"""Sessions: idle timeouts, re-authentication before sensitive actions, "log out everywhere"."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.reauth import AUTHENTICATED_AT, require_recent_authentication
from approvals.clocks import request_extension
from approvals.models import Extension, ReviewTask
from tests.authentication import current_code, totp_device_for
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
    valid_resident_id,
)

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-23 10:00")
LOGIN = reverse("accounts:login")
CONFIRM = reverse("accounts:reauthenticate")
HEAD_DESK = reverse("approvals:head")
MY_APPLICATIONS = reverse("services:mine")


def is_logged_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- idle timeouts -------------------------------------------------------------------------------


def test_staff_session_ends_after_fifteen_idle_minutes(client_for):
    reviewer = reviewer_of(DepartmentFactory())
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(reviewer)
        clock.shift(timedelta(minutes=14))
        assert client.get(reverse("approvals:queue")).status_code == 200
        clock.shift(timedelta(minutes=14))  # 28 minutes in, but only 14 idle
        assert client.get(reverse("approvals:queue")).status_code == 200

        clock.shift(timedelta(minutes=16))

        assert is_logged_out(client.get(reverse("approvals:queue")))


def test_applicant_session_lasts_two_idle_hours(client_for):
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(CitizenFactory())
        clock.shift(timedelta(minutes=119))
        assert client.get(MY_APPLICATIONS).status_code == 200

        clock.shift(timedelta(minutes=121))

        assert is_logged_out(client.get(MY_APPLICATIONS))


def session_writes_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))
    ]


def test_requests_within_a_minute_do_not_write_the_session_again(client_for):
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(CitizenFactory())
        assert session_writes_of(client, MY_APPLICATIONS)  # the first one sets the idle expiry
        clock.shift(timedelta(seconds=30))

        assert session_writes_of(client, MY_APPLICATIONS) == []

        clock.shift(timedelta(seconds=31))
        assert session_writes_of(client, MY_APPLICATIONS)  # a minute on: moved again


def test_staff_session_never_outlives_fifteen_idle_minutes_after_the_last_request(client_for):
    reviewer = reviewer_of(DepartmentFactory())
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(reviewer)
        assert client.get(reverse("approvals:queue")).status_code == 200
        clock.shift(timedelta(seconds=50))
        assert client.get(reverse("approvals:queue")).status_code == 200  # expiry not moved

        clock.shift(timedelta(minutes=15))

        assert is_logged_out(client.get(reverse("approvals:queue")))


def test_staff_working_steadily_stays_logged_in(client_for):
    reviewer = reviewer_of(DepartmentFactory())
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(reviewer)
        for _ in range(40):  # a request every 50 seconds for over half an hour
            assert client.get(reverse("approvals:queue")).status_code == 200
            clock.shift(timedelta(seconds=50))


def test_session_cookie_carries_the_staff_idle_timeout(client_for):
    client = client_for(reviewer_of(DepartmentFactory()))

    response = client.get(reverse("approvals:queue"))

    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == 15 * 60
    assert cookie["httponly"]


# --- re-authentication ---------------------------------------------------------------------------


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def extension(market):
    with time_machine.travel(NOW, tick=False):
        application = routed_application(item_with_stages([[market]], max_extension_days=10))
        task = ReviewTask.objects.get(application=application, department=market, stage_order=1)
        return request_extension(task.pk, reviewer_of(market), 5, "需现场核查")


def decide(client, extension):
    return client.post(
        reverse("approvals:decide_extension", args=[extension.pk]),
        {"approve": "yes", "note": ""},
    )


def test_head_deciding_an_extension_five_minutes_after_login_is_asked_to_confirm(
    client_for, market, extension
):
    head = head_of(market)
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(head)
        clock.shift(timedelta(minutes=6))
        assert client.get(HEAD_DESK).status_code == 200  # still logged in (idle < 15 min)

        response = decide(client, extension)

    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next=%2Fstaff%2Fhead%2F"
    extension.refresh_from_db()
    assert extension.state == Extension.State.REQUESTED  # nothing done meanwhile


def test_head_confirms_with_password_and_code_then_the_decision_goes_through(
    client_for, market, extension
):
    head = head_of(market)
    device = totp_device_for(head)
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(head)
        clock.shift(timedelta(minutes=6))
        sent_to = decide(client, extension)["Location"]

        page = client.get(sent_to)
        assert page.status_code == 200
        assert set(page.context["form"].fields) == {"password", "code"}
        assert "Then submit your request again" in page.content.decode()
        confirmed = client.post(
            CONFIRM, {"password": PASSWORD, "code": current_code(device), "next": HEAD_DESK}
        )
        assert confirmed["Location"] == HEAD_DESK

        decided = decide(client, extension)

    assert decided["Location"] == HEAD_DESK
    extension.refresh_from_db()
    assert extension.state == Extension.State.APPROVED


def test_confirmation_with_a_wrong_password_is_refused(client_for, market, extension):
    head = head_of(market)
    device = totp_device_for(head)
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(head)
        clock.shift(timedelta(minutes=6))

        response = client.post(
            CONFIRM, {"password": "not-the-password", "code": current_code(device)}
        )
        still_asked = decide(client, extension)

    assert response.status_code == 200
    assert "That password is not right" in response.content.decode()
    assert still_asked["Location"].startswith(CONFIRM)


def test_confirmation_without_the_code_is_refused_for_staff(client_for, market):
    head = head_of(market)
    with time_machine.travel(NOW, tick=False) as clock:
        client = client_for(head)
        clock.shift(timedelta(minutes=6))

        response = client.post(CONFIRM, {"password": PASSWORD})

        assert response.status_code == 200
        assert "code" in response.context["form"].errors
        assert client.session[AUTHENTICATED_AT] == int(NOW.timestamp())  # not renewed


def test_wrong_passwords_on_the_confirmation_page_count_towards_the_lock_out(client_for):
    citizen = CitizenFactory()
    client = client_for(citizen)

    responses = [client.post(CONFIRM, {"password": "not-the-password"}) for _ in range(5)]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]


def test_an_applicant_confirms_with_the_password_alone(client_for):
    client = client_for(CitizenFactory())

    page = client.get(CONFIRM, {"next": MY_APPLICATIONS})
    confirmed = client.post(CONFIRM, {"password": PASSWORD, "next": MY_APPLICATIONS})

    assert list(page.context["form"].fields) == ["password"]
    assert confirmed["Location"] == MY_APPLICATIONS


def test_confirmation_never_sends_anyone_off_the_site(client_for):
    client = client_for(CitizenFactory())

    confirmed = client.post(CONFIRM, {"password": PASSWORD, "next": "https://evil.example/x"})

    assert confirmed["Location"] == reverse("home")


def test_the_decorator_also_guards_an_admin_action(client_for):
    """(modeladmin, request, queryset): the request is the second argument."""
    done = []

    @require_recent_authentication
    def revoke(modeladmin, request, queryset):
        done.append(queryset)

    request = RequestFactory().post("/admin/approvals/certificate/")
    request.session = {AUTHENTICATED_AT: int(NOW.timestamp())}

    class Messages(list):
        def add(self, level, message, extra_tags=""):
            self.append(message)

    request._messages = Messages()
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        revoke(None, request, ["recent"])
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        response = revoke(None, request, ["stale"])

    assert done == [["recent"]]
    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)


# --- log out everywhere, and the account page ----------------------------------------------------


def test_log_out_everywhere_ends_the_sessions_on_other_devices(client_for):
    citizen = CitizenFactory()
    phone = client_for(citizen)
    laptop = client_for(citizen)
    assert phone.get(MY_APPLICATIONS).status_code == 200

    response = laptop.post(reverse("accounts:log_out_everywhere"))

    assert response["Location"] == LOGIN
    assert is_logged_out(phone.get(MY_APPLICATIONS))
    assert is_logged_out(laptop.get(MY_APPLICATIONS))


def test_log_out_everywhere_is_a_post(client_for):
    response = client_for(CitizenFactory()).get(reverse("accounts:log_out_everywhere"))

    assert response.status_code == 405


def test_account_page_shows_the_masked_identity_number_and_the_button(client_for):
    resident_id = valid_resident_id()
    citizen = CitizenFactory(resident_id=resident_id)
    response = client_for(citizen).get(reverse("accounts:account"))

    page = response.content.decode()
    assert response.status_code == 200
    assert resident_id not in page
    assert citizen.masked_resident_id in page
    assert "Citizen" in page
    assert reverse("accounts:log_out_everywhere") in page
    assert reverse("accounts:password_change") in page


def test_changing_the_password_keeps_this_session_and_ends_the_others(client_for):
    citizen = CitizenFactory()
    this_device = client_for(citizen)
    other_device = client_for(citizen)
    new_password = "Another-lantern-2027"

    response = this_device.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )

    assert response["Location"] == reverse("accounts:password_change_done")
    assert this_device.get(MY_APPLICATIONS).status_code == 200
    assert is_logged_out(other_device.get(MY_APPLICATIONS))
    assert SESSION_KEY in this_device.session
