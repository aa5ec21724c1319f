"""The public catalogue and service guides (Administrative License Law Art. 30)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from services.models import Audience
from tests.factories import (
    DepartmentFactory,
    MaterialFactory,
    ServiceItemFactory,
    ThemeFactory,
    item_with_stages,
)

pytestmark = pytest.mark.django_db


def listed_codes(response) -> set[str]:
    return {item.code for item in response.context["page"].object_list}


def test_catalogue_lists_published_items_only(client):
    published = ServiceItemFactory(name="餐饮服务许可")
    hidden = ServiceItemFactory(name="尚未公开的事项", is_published=False)

    response = client.get(reverse("services:catalogue"))

    assert response.status_code == 200
    page = response.content.decode()
    assert published.name in page
    assert hidden.name not in page
    assert listed_codes(response) == {published.code}


def test_catalogue_is_open_to_anonymous_visitors(client):
    ServiceItemFactory()

    assert client.get(reverse("services:catalogue")).status_code == 200


def test_catalogue_filters_by_theme(client):
    health = ThemeFactory(slug="health", name="医疗卫生")
    transport = ThemeFactory(slug="transport", name="交通出行")
    clinic = ServiceItemFactory(theme=health, name="诊所执业备案")
    ServiceItemFactory(theme=transport, name="道路运输经营许可")

    response = client.get(reverse("services:catalogue"), {"theme": "health"})

    assert listed_codes(response) == {clinic.code}
    assert "道路运输经营许可" not in response.content.decode()


def test_catalogue_filter_by_audience_includes_items_for_both(client):
    for_citizens = ServiceItemFactory(audience=Audience.CITIZEN)
    for_both = ServiceItemFactory(audience=Audience.BOTH)
    ServiceItemFactory(audience=Audience.ENTERPRISE)

    response = client.get(reverse("services:catalogue"), {"audience": "citizen"})

    assert listed_codes(response) == {for_citizens.code, for_both.code}


def test_catalogue_filter_for_enterprises_leaves_out_citizen_only_items(client):
    ServiceItemFactory(audience=Audience.CITIZEN)
    for_enterprises = ServiceItemFactory(audience=Audience.ENTERPRISE)

    response = client.get(reverse("services:catalogue"), {"audience": "enterprise"})

    assert listed_codes(response) == {for_enterprises.code}


def test_catalogue_search_finds_items_by_name(client):
    wanted = ServiceItemFactory(name="公共场所卫生许可")
    ServiceItemFactory(name="建筑工程施工许可")

    response = client.get(reverse("services:catalogue"), {"q": "卫生"})

    assert listed_codes(response) == {wanted.code}
    assert "公共场所卫生许可" in response.content.decode()


def test_catalogue_search_finds_items_by_english_name(client):
    wanted = ServiceItemFactory(name="公共场所卫生许可", name_en="Public Venue Hygiene Permit")
    ServiceItemFactory(name="建筑工程施工许可", name_en="Construction Permit")

    response = client.get(reverse("services:catalogue"), {"q": "hygiene"})

    assert listed_codes(response) == {wanted.code}


def test_catalogue_search_never_finds_unpublished_items(client):
    ServiceItemFactory(name="内部测试卫生事项", is_published=False)

    response = client.get(reverse("services:catalogue"), {"q": "卫生"})

    assert listed_codes(response) == set()


def test_guide_shows_legal_basis_materials_fee_and_time_limits(client):
    item = item_with_stages(
        [[DepartmentFactory(name="市市场监督管理局")]],
        legal_basis="《中华人民共和国行政许可法》第十二条第一项",
        fee=Decimal("35.50"),
        statutory_limit_days=17,
        promised_limit_days=9,
    )

    response = client.get(item.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "《中华人民共和国行政许可法》第十二条第一项" in page
    for material in item.materials.all():
        assert material.name in page
    assert "35.50" in page
    assert "17 working days" in page
    assert "9 working days" in page
    assert "市市场监督管理局" in page


def test_guide_of_a_free_item_says_it_is_free(client):
    item = ServiceItemFactory(fee=None)

    response = client.get(item.get_absolute_url())

    assert "Free" in response.content.decode()


def test_guide_shows_every_required_material(client):
    item = ServiceItemFactory()
    MaterialFactory(item=item, name="营业执照副本")
    MaterialFactory(item=item, name="卫生管理制度", is_required=False)

    page = client.get(item.get_absolute_url()).content.decode()

    assert "营业执照副本" in page
    assert "卫生管理制度" in page


def test_guide_of_an_unpublished_item_is_not_found(client):
    item = ServiceItemFactory(is_published=False)

    assert client.get(item.get_absolute_url()).status_code == 404


def test_guide_of_an_unknown_item_is_not_found(client):
    assert client.get(reverse("services:guide", args=["no-such-item"])).status_code == 404


def test_home_page_shows_published_services_to_anonymous_visitors(client):
    published = ServiceItemFactory(name="个体工商户登记")
    ServiceItemFactory(name="未公开的内部事项", is_published=False)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert published.name in page
    assert "未公开的内部事项" not in page


def test_catalogue_shows_english_names_to_english_readers(client):
    ServiceItemFactory(name="公共场所卫生许可", name_en="Public Venue Hygiene Permit")

    page = client.get(reverse("services:catalogue")).content.decode()

    assert "Public Venue Hygiene Permit" in page


def test_catalogue_shows_chinese_names_to_chinese_readers(client):
    ServiceItemFactory(name="公共场所卫生许可", name_en="Public Venue Hygiene Permit")

    page = client.get(
        reverse("services:catalogue"), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert "公共场所卫生许可" in page
