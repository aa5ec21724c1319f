"""Who may reach what through the API: the pages' rules, answered in JSON."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from services.receivers import catalogue_changed
from tests.authentication import current_code, totp_device_for
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    StaffFactory,
    draft_application,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    department_x = DepartmentFactory(code="dept-x")
    item = item_with_stages([[department_x]], audience="both")
    owner = CitizenFactory()
    application = routed_application(item, owner)
    return {
        "owner": owner,
        "application": application,
        "task": application.review_tasks.get(department=department_x),
        "department_x": department_x,
        "item": item,
    }


def test_citizen_b_cannot_see_nor_touch_citizen_as_case(api, case):
    other = api(CitizenFactory())
    application = case["application"]
    attachment = application.attachments.first()
    base = f"/api/v1/applications/{application.pk}/"

    assert other.get(base).status_code == 404
    assert other.get(f"{base}attachments/{attachment.pk}/").status_code == 404
    assert other.post(f"{base}withdraw/").status_code == 404
    assert other.patch(base, {"answers": {"business_name": "x"}}).status_code == 404
    assert other.get("/api/v1/applications/").json()["results"] == []
    application.refresh_from_db()
    assert application.status == "in_review"


def test_the_owner_sees_the_case_and_downloads_the_material(api, case):
    owner = api(case["owner"])
    application = case["application"]
    attachment = application.attachments.first()

    assert owner.get(f"/api/v1/applications/{application.pk}/").status_code == 200
    download = owner.get(f"/api/v1/applications/{application.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_a_reviewer_of_another_department_gets_404_on_the_task(api, case):
    stranger = api(reviewer_of(DepartmentFactory(code="dept-y")))
    task = case["task"]

    assert stranger.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert (
        stranger.post(f"/api/v1/tasks/{task.pk}/decision/", {"outcome": "approve"}).status_code
        == 404
    )
    assert stranger.get("/api/v1/tasks/").json()["results"] == []
    task.refresh_from_db()
    assert task.state == "pending"


def test_applicants_are_refused_the_staff_endpoints_with_403(api, case):
    for person in (case["owner"], EnterpriseFactory()):
        client = api(person)
        assert client.get("/api/v1/tasks/").status_code == 403
        assert client.get(f"/api/v1/tasks/{case['task'].pk}/").status_code == 403
        assert client.get("/api/v1/extensions/").status_code == 403


def test_anonymous_callers_read_the_public_parts_and_nothing_else(api, case):
    anonymous = api()

    assert anonymous.get("/api/v1/services/").status_code == 200
    assert anonymous.get("/api/v1/decisions/").status_code == 200
    assert anonymous.get("/api/v1/publications/").status_code == 200
    for url in (
        "/api/v1/applications/",
        f"/api/v1/applications/{case['application'].pk}/",
        "/api/v1/tasks/",
        "/api/v1/extensions/",
        "/api/v1/auth/me/",
    ):
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {
            "errors": ["Authentication credentials were not provided."],
            "fields": {},
        }
    assert anonymous.post("/api/v1/applications/", {"item": case["item"].code}).status_code == 401


def test_an_unpublished_item_cannot_be_read_nor_applied_for(api, case):
    item = case["item"]
    item.implementations.update(is_published=False)
    catalogue_changed()

    assert api().get(f"/api/v1/services/{item.code}/").status_code == 404
    response = api(CitizenFactory()).post("/api/v1/applications/", {"item": item.code})
    assert response.status_code == 404


def test_a_draft_is_editable_only_by_its_owner(api, case):
    draft = draft_application(case["item"], case["owner"])

    assert api(CitizenFactory()).post(f"/api/v1/applications/{draft.pk}/submit/").status_code == 404
    assert api(case["owner"]).get(f"/api/v1/applications/{draft.pk}/").status_code == 200


# --- the browser's session ----------------------------------------------------------------------


def test_the_browsers_session_works_and_writes_need_the_csrf_token(client_for, case):
    browser = client_for(case["owner"])
    browser.handler.enforce_csrf_checks = True

    read = browser.get(f"/api/v1/applications/{case['application'].pk}/")
    write = browser.post(
        "/api/v1/applications/", {"item": case["item"].code}, content_type="application/json"
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert "CSRF" in write.json()["errors"][0]


def test_a_half_logged_in_civil_servant_is_not_authenticated_on_the_api(client_for, case):
    reviewer = reviewer_of(case["department_x"])
    browser = client_for(reviewer, second_factor=False)

    response = browser.get("/api/v1/tasks/")

    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert client_for(reviewer).get("/api/v1/tasks/").status_code == 200


# --- tokens -------------------------------------------------------------------------------------


def obtain(data, remote_addr: str = "127.0.0.1"):
    return Client(headers={"accept-language": "en"}, REMOTE_ADDR=remote_addr).post(
        "/api/v1/auth/token/", data, content_type="application/json"
    )


def test_a_citizen_gets_a_token_with_the_password_and_uses_it(case):
    response = obtain({"username": case["owner"].username, "password": PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    me = Client(headers={"authorization": f"Token {token}"}).get("/api/v1/auth/me/")
    assert me.json()["username"] == case["owner"].username
    assert "sessionid" not in response.cookies


def test_a_wrong_password_gets_no_token(case):
    response = obtain({"username": case["owner"].username, "password": "wrong-password-1"})

    assert response.status_code == 400
    assert response.json()["errors"] == ["Your user name or password is not right."]


def test_a_staff_token_needs_a_current_totp_code(case):
    reviewer = reviewer_of(case["department_x"])
    device = totp_device_for(reviewer)

    without = obtain({"username": reviewer.username, "password": PASSWORD})
    wrong = obtain({"username": reviewer.username, "password": PASSWORD, "code": "000000"})
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    code = current_code(device)
    right = obtain({"username": reviewer.username, "password": PASSWORD, "code": code})
    replayed = obtain({"username": reviewer.username, "password": PASSWORD, "code": code})

    assert without.status_code == 400
    assert without.json()["fields"] == {"code": ["Enter the code from your authenticator app."]}
    assert wrong.status_code == 400
    assert "not right" in wrong.json()["fields"]["code"][0]
    assert right.status_code == 200
    assert right.json()["user"]["departments"] == ["dept-x"]
    assert replayed.status_code == 400


def test_an_administrator_without_an_authenticator_gets_no_token(case):
    admin = StaffFactory(is_staff=True, is_superuser=True)

    response = obtain({"username": admin.username, "password": PASSWORD, "code": "123456"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"code": ["Set up your authenticator app first."]}


def test_five_wrong_passwords_lock_the_token_endpoint_out_as_the_login_form(case):
    username = case["owner"].username
    answers = [obtain({"username": username, "password": f"wrong-{n}"}) for n in range(5)]
    after = obtain({"username": username, "password": PASSWORD})

    assert [r.status_code for r in answers] == [400, 400, 400, 400, 429]
    assert after.status_code == 429
    assert after["Content-Type"] == "application/json"
    assert "locked" in after.json()["errors"][0]
    from_elsewhere = obtain({"username": username, "password": PASSWORD}, remote_addr="10.9.8.7")
    assert from_elsewhere.status_code == 200


def test_the_token_endpoint_shares_the_login_rate_limit(case, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}

    statuses = [obtain({"username": f"nobody{n}", "password": "x"}).status_code for n in range(4)]

    assert statuses == [400, 400, 400, 429]


def test_a_revoked_token_stops_working(case):
    token = obtain({"username": case["owner"].username, "password": PASSWORD}).json()["token"]
    holder = Client(headers={"authorization": f"Token {token}", "accept-language": "en"})

    revoked = holder.post("/api/v1/auth/token/revoke/", {}, content_type="application/json")
    after = holder.get("/api/v1/auth/me/")

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert after.json()["errors"] == ["Invalid token."]


def test_a_decision_on_an_extension_needs_a_fresh_password_after_the_tokens_first_minutes(
    api, case, time_machine
):
    from approvals import clocks
    from tests.factories import head_of

    reviewer = reviewer_of(case["department_x"])
    head = head_of(case["department_x"])
    extension = clocks.request_extension(case["task"].pk, reviewer, 2, "需要专家论证")
    client = api(head)
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    url = f"/api/v1/extensions/{extension.pk}/decision/"

    refused = client.post(url, {"approve": True})
    device = totp_device_for(head)
    confirmed = client.post(
        url, {"approve": True, "password": PASSWORD, "code": current_code(device)}
    )

    assert refused.status_code == 400
    assert "password" in refused.json()["fields"]
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["state"] == "approved"


def test_a_token_expires_after_the_idle_time_of_its_holder(case, time_machine):
    token = obtain({"username": case["owner"].username, "password": PASSWORD}).json()["token"]
    holder = Client(headers={"authorization": f"Token {token}", "accept-language": "en"})

    time_machine.move_to(timezone.now() + timedelta(minutes=100))
    still = holder.get("/api/v1/auth/me/")
    time_machine.move_to(timezone.now() + timedelta(hours=2, minutes=1))
    expired = holder.get("/api/v1/auth/me/")

    assert still.status_code == 200  # each use renews it for another two idle hours
    assert expired.status_code == 401


def test_filing_through_the_api_counts_against_the_filing_rate_limit(api, case, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "filing": "2/m"}
    client = api(CitizenFactory())

    statuses = [
        client.post("/api/v1/applications/", {"item": case["item"].code}).status_code
        for _ in range(3)
    ]
    refused = client.post("/api/v1/applications/", {"item": case["item"].code})

    assert statuses == [201, 201, 429]
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["errors"]


def test_domain_refusals_come_in_the_callers_language(api, case):
    from django.utils import translation

    reviewer = api(reviewer_of(case["department_x"]), language="zh-hans")

    response = reviewer.post(f"/api/v1/tasks/{case['task'].pk}/decision/", {"outcome": "reject"})

    with translation.override("zh-hans"):
        expected = translation.gettext("Give your reasons: the applicant reads them.")
    assert expected != "Give your reasons: the applicant reads them."
    assert response.status_code == 400
    assert response.json()["fields"] == {"opinion": [expected]}


def test_lists_are_paginated(api, case):
    for _ in range(3):
        routed_application(case["item"], case["owner"])

    page = api(case["owner"]).get("/api/v1/applications/", {"page_size": 2, "page": 2}).json()

    assert page["count"] == 4
    assert len(page["results"]) == 2
    assert page["previous"] and not page["next"]


def test_logging_out_everywhere_also_revokes_every_api_token(case, client_for):
    token = obtain({"username": case["owner"].username, "password": PASSWORD}).json()["token"]
    holder = Client(headers={"authorization": f"Token {token}", "accept-language": "en"})

    client_for(case["owner"]).post("/accounts/log-out-everywhere/")

    assert holder.get("/api/v1/auth/me/").status_code == 401
