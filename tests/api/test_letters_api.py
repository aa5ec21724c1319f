"""Letters (政民互动) in the REST API: writing one, the same refusals as the page, floods."""

import pytest
from django.urls import reverse

from services.models import Letter
from tests.factories import CitizenFactory, DepartmentFactory
from tests.letter_factories import letter_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def item():
    DepartmentFactory(code="transport", name="市交通运输局")
    return letter_item()


def form_data(**fields) -> dict:
    return {"kind": "suggestion", "topic": "公交站点", "body": "建议增设站点。", **fields}


def test_a_letter_is_written_through_the_api_and_its_errors_are_the_pages(item, api):
    citizen = CitizenFactory()
    client = api(citizen)

    created = client.post(reverse("api:letter-list"), form_data(department="transport"))
    empty = client.post(reverse("api:letter-list"), form_data(topic=""))
    nowhere = client.post(reverse("api:letter-list"), form_data(department="nowhere"))

    assert created.status_code == 201, created.json()
    assert created.json()["tracking_number"] and created.json()["addressed_to"] == "transport"
    assert empty.status_code == 400 and "Give your letter a topic." in str(empty.json())
    assert nowhere.status_code == 400 and "There is no department" in str(nowhere.json())
    assert Letter.objects.count() == 1


def test_a_flood_of_letters_from_one_account_gets_429_with_retry_after(item, api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "letter": "2/10m"}
    client = api(CitizenFactory())

    answers = [client.post(reverse("api:letter-list"), form_data()) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert Letter.objects.count() == 2


def test_the_page_and_the_api_share_one_counter(item, client_for, api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "letter": "1/10m"}
    citizen = CitizenFactory()

    on_the_page = client_for(citizen).post(reverse("services:write_letter"), form_data())
    on_the_api = api(citizen).post(reverse("api:letter-list"), form_data())

    assert on_the_page.status_code == 302
    assert on_the_api.status_code == 429 and on_the_api["Retry-After"]


def test_a_letter_item_is_not_applied_for_as_a_permit(item, api, client_for):
    from services.models import Application

    citizen = CitizenFactory()

    by_api = api(citizen).post(reverse("api:application-list"), {"item": item.code})
    by_page = client_for(citizen).post(reverse("services:start", args=[item.code]))

    assert by_api.status_code == 400
    assert "Write to the government" in str(by_api.json())
    assert by_page.status_code == 302  # back to where it came from, with the message
    assert not Application.objects.exists()
    # Nor is it listed among the services: it has no guide.
    assert item.code not in str(api().get(reverse("api:service-list")).json())
