"""The catalogue as administrators keep it in the Django admin: publishing, and what it says."""

import pytest
from django.urls import reverse

from approvals.models import CommonOpinion
from services import catalogue_publishing
from tests.factories import (
    DepartmentFactory,
    ItemImplementationFactory,
    ServiceItemFactory,
    StaffFactory,
    implementation_of,
    item_with_stages,
    second_city,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:services_itemimplementation_changelist"


@pytest.fixture
def admin_account():
    return StaffFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def administrator(client_for, admin_account):
    return client_for(admin_account)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_publishing_says_which_items_were_published(administrator, admin_account):
    item = item_with_stages(
        [[DepartmentFactory()]],
        materials=[{"code": "id_card", "name": "身份证明", "description": "正反面扫描件。"}],
        name_en="Street stall",
        is_published=False,
    )
    implementation = implementation_of(item)
    # Two people: another administrator submitted it, this one approves and publishes.
    catalogue_publishing.submit_for_review(implementation.pk, StaffFactory(is_staff=True))
    catalogue_publishing.approve(implementation.pk, admin_account)

    response = administrator.post(
        reverse(CHANGELIST),
        {"action": "publish", "_selected_action": [implementation_of(item).pk]},
        follow=True,
    )

    assert implementation_of(item).is_published
    assert any(
        message.startswith("Published (1): ") and "New applications follow" in message
        for message in messages_of(response)
    )


def test_an_item_without_stages_cannot_go_to_review_and_nothing_claims_it_did(administrator):
    item = ServiceItemFactory(is_published=False)

    response = administrator.post(
        reverse(CHANGELIST),
        {"action": "submit_for_review", "_selected_action": [implementation_of(item).pk]},
        follow=True,
    )

    assert implementation_of(item).review_state == "draft"
    assert not implementation_of(item).is_published
    assert not any(message.startswith("Submitted") for message in messages_of(response))
    assert any("stage" in message for message in messages_of(response)), messages_of(response)


def test_unpublishing_says_which_items_left_the_catalogue(administrator):
    item = item_with_stages([[DepartmentFactory()]])

    response = administrator.post(
        reverse(CHANGELIST),
        {"action": "unpublish", "_selected_action": [implementation_of(item).pk]},
        follow=True,
    )

    assert not implementation_of(item).is_published
    assert any(
        message.startswith("Unpublished 1 item: ")
        and "Applications already filed continue." in message
        for message in messages_of(response)
    )


def test_the_item_form_says_how_to_publish(administrator):
    page = administrator.get(reverse("admin:services_itemimplementation_add")).content.decode()

    assert "a second administrator approves it" in page
    assert "publishing it makes it what new applications follow" in page


def test_the_list_shows_published_beside_the_name(administrator):
    item_with_stages([[DepartmentFactory()]], name_en="Street stall")

    page = administrator.get(reverse(CHANGELIST)).content.decode()

    assert "Street stall" in page
    results = page[page.index('id="result_list"') :]
    headers = results[: results.index("</thead>")].lower()
    assert headers.index("listed in the catalogue") < headers.index("fee")


def listed(administrator, **query) -> set[int]:
    """The implementations on the first page of the list, by id."""
    response = administrator.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "words",
    ["stall-permit", "街头摊点", "street STALL", "芜湖", "340200", '"Street stall" 芜湖'],
)
def test_the_implementation_list_finds_by_item_code_names_and_region(administrator, words):
    item = ServiceItemFactory(code="stall-permit", name="街头摊点许可", name_en="Street stall")
    wuhu = ItemImplementationFactory(item=item, region=second_city())
    ServiceItemFactory(code="food", name="食品经营许可", name_en="Food shop")

    found = listed(administrator, q=words)

    assert wuhu.pk in found
    assert found <= set(item.implementations.values_list("pk", flat=True))


def test_every_word_of_a_search_must_match(administrator):
    ServiceItemFactory(code="stall-permit", name_en="Street stall")

    assert listed(administrator, q="stall 芜湖") == set()


def test_a_row_links_to_its_page_with_the_lists_filters(administrator):
    item = ServiceItemFactory(code="stall-permit", name_en="Street stall")

    page = administrator.get(reverse(CHANGELIST), {"q": "stall", "review_state__exact": "draft"})

    change = reverse("admin:services_itemimplementation_change", args=[implementation_of(item).pk])
    filters = "_changelist_filters=q%3Dstall%26review_state__exact%3Ddraft"
    assert f'href="{change}?{filters}"' in page.content.decode()


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Login lock-outs", "API tokens", "Authenticator apps (TOTP)"]),
        ("zh-hans", ["登录锁定", "API 令牌", "身份验证器应用（TOTP）"]),
    ],
)
def test_the_admin_index_names_third_party_apps_readably(administrator, language, names):
    page = administrator.get(reverse("admin:index"), headers={"accept-language": language})
    page = page.content.decode()

    for name in names:
        assert name in page
    for raw in (">Axes<", ">Knox<", ">Otp_Totp<"):
        assert raw not in page


def test_departments_are_named_in_the_admins_language(client_for):
    department = DepartmentFactory(name="市公安局", name_en="Public Security Bureau")
    CommonOpinion.objects.create(
        department=department, outcome="approve", title="同意", text="同意。"
    )
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:approvals_commonopinion_changelist")

    english = client_for(administrator).get(url, headers={"accept-language": "en"})
    chinese = client_for(administrator).get(url, headers={"accept-language": "zh-hans"})

    assert "Public Security Bureau" in english.content.decode()
    assert "市公安局" in chinese.content.decode()
    assert "Public Security Bureau" not in chinese.content.decode()
