"""Counter filing: the service centre files for a citizen who is present, who then follows online."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from services.models import Application, ApplicationEvent
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    clerk_of,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    service_centre,
    valid_resident_id,
)


@pytest.fixture
def item(db):
    return item_with_stages([[DepartmentFactory()]], audience="citizen")


@pytest.fixture
def clerk(item):
    return clerk_of(service_centre())


def start_at_counter(client, item, resident_id, name="王五", **extra):
    return client.post(
        reverse("counter:home"),
        {"resident_id": resident_id, "real_name": name, "item": item.pk, **extra},
    )


def fill_and_submit(client, application):
    return client.post(
        reverse("counter:application", args=[application.pk]),
        {
            "business_name": "王五修车铺",
            "postcode": "230001",
            "material__id_card": pdf_upload(),
            "submit": "",
        },
    )


def test_clerk_files_for_a_citizen_without_an_account(item, clerk, client_for):
    client = client_for(clerk)
    resident_id = valid_resident_id()

    response = start_at_counter(client, item, resident_id, mobile="13700001111")

    citizen = User.objects.with_resident_id(resident_id).get()
    assert (citizen.real_name, citizen.kind, citizen.mobile) == ("王五", "citizen", "13700001111")
    assert not citizen.has_usable_password()
    application = Application.objects.get(applicant=citizen)
    assert application.filed_by == clerk
    assert response["Location"] == reverse("counter:application", args=[application.pk])

    receipt = fill_and_submit(client, application)
    receipt = client.get(receipt["Location"]).content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.tracking_number in receipt
    code = re.search(r'class="claim-code mono">([A-Z0-9]+)<', receipt).group(1)
    assert len(code) == 10
    # The code is shown once: reloading the receipt does not show it again.
    assert (
        code
        not in client.get(reverse("counter:application", args=[application.pk])).content.decode()
    )
    kinds = list(application.events.values_list("kind", flat=True))
    assert ApplicationEvent.Kind.ASSISTED_FILING in kinds
    assert AuditEntry.objects.filter(action="account.opened_at_counter").count() == 1


def test_citizen_with_an_account_is_found_by_id_number(item, clerk, client_for):
    citizen = CitizenFactory(real_name="赵六", resident_id=valid_resident_id())

    start_at_counter(client_for(clerk), item, citizen.resident_id.lower(), name="赵六")

    assert User.objects.with_resident_id(citizen.resident_id).count() == 1
    application = Application.objects.get(filed_by=clerk)
    assert application.applicant == citizen
    assert not User.objects.filter(username__startswith="counter-").exists()


def test_a_name_not_matching_the_id_number_files_nothing(item, clerk, client_for):
    citizen = CitizenFactory(real_name="赵六", resident_id=valid_resident_id())

    response = start_at_counter(client_for(clerk), item, citizen.resident_id, name="钱七")

    assert response.status_code == 200
    assert "The name does not match the account registered with this ID number." in (
        response.content.decode()
    )
    assert not Application.objects.exists()


def test_an_invalid_id_number_gets_a_clear_error(item, clerk, client_for):
    response = start_at_counter(client_for(clerk), item, "110101199003070000")

    assert "not valid" in response.content.decode()
    assert not Application.objects.exists()
    assert not User.objects.filter(username__startswith="counter-").exists()


def test_the_timeline_says_assisted_filing_to_the_citizen(item, clerk, client_for):
    citizen = CitizenFactory(real_name="赵六", resident_id=valid_resident_id())
    client = client_for(clerk)
    start_at_counter(client, item, citizen.resident_id, name="赵六")
    application = Application.objects.get(filed_by=clerk)
    fill_and_submit(client, application)

    page = client_for(citizen).get(reverse("application_status", args=[application.pk]))

    assert "Assisted filing at the service centre" in page.content.decode()
    mine = client_for(citizen).get(reverse("services:mine")).content.decode()
    application.refresh_from_db()
    assert application.tracking_number in mine


def test_only_service_centre_staff_reach_the_counter(item, client_for):
    reviewer = reviewer_of(DepartmentFactory())
    citizen = CitizenFactory()

    assert client_for(reviewer).get(reverse("counter:home")).status_code == 403
    assert client_for(citizen).get(reverse("counter:home")).status_code == 403
    assert client_for(clerk_of(service_centre())).get(reverse("counter:home")).status_code == 200


def test_counter_pages_need_the_second_factor(item, clerk, client_for):
    client = client_for(clerk, second_factor=False)

    response = client.get(reverse("counter:home"))

    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_citizen_claims_the_account_with_the_receipt_code_and_follows_the_case(
    item, clerk, client_for
):
    client = client_for(clerk)
    resident_id = valid_resident_id()
    start_at_counter(client, item, resident_id)
    application = Application.objects.get(filed_by=clerk)
    receipt = client.get(fill_and_submit(client, application)["Location"]).content.decode()
    code = re.search(r'class="claim-code mono">([A-Z0-9]+)<', receipt).group(1)

    citizen_browser = Client(headers={"accept-language": "en"})
    response = citizen_browser.post(
        reverse("accounts:claim"),
        {
            "resident_id": resident_id,
            "claim_code": code.lower(),
            "username": "wangwu",
            "email": "wangwu@example.cn",
            "password1": "a-Long-pass-phrase-9",
            "password2": "a-Long-pass-phrase-9",
        },
    )

    assert response["Location"] == reverse("services:mine")
    citizen = User.objects.get(username="wangwu")
    assert citizen.has_usable_password() and citizen.claim_code == ""
    application.refresh_from_db()
    mine = citizen_browser.get(reverse("services:mine")).content.decode()
    assert application.tracking_number in mine


def test_the_id_number_alone_does_not_claim_an_account(item, clerk, client_for):
    resident_id = valid_resident_id()
    start_at_counter(client_for(clerk), item, resident_id)

    response = Client(headers={"accept-language": "en"}).post(
        reverse("accounts:claim"),
        {
            "resident_id": resident_id,
            "claim_code": "ABCDEFGHJK",
            "username": "intruder",
            "email": "x@example.cn",
            "password1": "a-Long-pass-phrase-9",
            "password2": "a-Long-pass-phrase-9",
        },
    )

    assert "do not match an account to claim" in response.content.decode()
    assert not User.objects.filter(username="intruder").exists()
    assert not User.objects.with_resident_id(resident_id).get().has_usable_password()


def test_a_claimed_account_cannot_be_claimed_again(item, clerk, client_for):
    from accounts.counter import citizen_at_counter, claim_account

    resident_id = valid_resident_id()
    _citizen, code = citizen_at_counter(resident_id, "王五", clerk)
    claim_account(resident_id, code, username="first", password="a-Long-pass-9", email="a@b.cn")

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        claim_account(
            resident_id, code, username="second", password="x-Long-pass-9", email="c@d.cn"
        )


def test_registering_with_the_id_number_of_a_counter_account_points_to_claiming(
    item, clerk, client_for
):
    """The answer is the one every registrant gets (it names no holder), and it offers claiming."""
    resident_id = valid_resident_id()
    start_at_counter(client_for(clerk), item, resident_id)
    registrant = Client(headers={"accept-language": "en"})

    response = registrant.post(
        reverse("accounts:register_citizen"),
        {
            "username": "someone",
            "real_name": "王五",
            "resident_id": resident_id,
            "mobile": "13800138000",
            "email": "s@example.cn",
            "password1": "a-Long-pass-phrase-9",
            "password2": "a-Long-pass-phrase-9",
        },
    )

    page = registrant.get(response["Location"]).content.decode()
    assert reverse("accounts:claim") in page
    assert "Claim your account" in page
    assert not User.objects.filter(username="someone").exists()


def test_a_new_code_replaces_a_lost_one_at_the_counter(item, clerk):
    from accounts.counter import citizen_at_counter, claim_account

    resident_id = valid_resident_id()
    _citizen, lost = citizen_at_counter(resident_id, "王五", clerk)
    _citizen, new = citizen_at_counter(resident_id, "王五", clerk)

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        claim_account(resident_id, lost, username="a1", password="a-Long-pass-9", email="a@b.cn")
    assert claim_account(resident_id, new, username="a2", password="a-Long-pass-9", email="a@b.cn")
