"""The public register of permit decisions (Administrative License Law Art. 40), masked."""

import pytest
from django.urls import reverse

from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from disclosure.masking import mask_person_name
from disclosure.models import DecisionRecord
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("张", "张*"),
        ("  李四 ", "李*"),
        ("John Smith", "J*** S****"),
        ("", ""),
    ],
)
def test_person_name_is_masked_after_the_surname(name, masked):
    assert mask_person_name(name) == masked


def test_two_character_name_starting_like_a_compound_surname_keeps_one_character():
    # "欧阳" alone is a surname 欧 and a given name 阳: the given name is hidden.
    assert mask_person_name("欧阳") == "欧*"


def test_masked_name_never_contains_the_given_name():
    assert "娜" not in mask_person_name("欧阳娜娜")


@pytest.fixture
def department():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def item(department):
    return item_with_stages([[department]], name="食品经营许可（小餐饮）")


def decided(item, department, applicant, outcome=Outcome.APPROVE, opinion=""):
    application = routed_application(item, applicant)
    task = ReviewTask.objects.get(application=application, department=department)
    decide(task.pk, reviewer_of(department), outcome, opinion)
    application.refresh_from_db()
    return application


def test_public_register_lists_a_decided_application_with_the_name_masked(client, item, department):
    citizen = CitizenFactory(real_name="张三", mobile="13912345678")
    application = decided(item, department, citizen)

    response = client.get(reverse("disclosure:decisions"))

    assert response.status_code == 200
    page = response.content.decode()
    assert application.tracking_number in page
    assert "食品经营许可（小餐饮）" in page
    assert "张*" in page
    assert "张三" not in page
    assert citizen.resident_id not in page
    assert "13912345678" not in page


def test_register_masks_a_compound_surname_after_two_characters(client, item, department):
    decided(item, department, CitizenFactory(real_name="欧阳娜娜"))

    page = client.get(reverse("disclosure:decisions")).content.decode()

    assert "欧阳**" in page
    assert "欧阳娜娜" not in page


def test_register_shows_an_enterprise_by_its_name(client, item, department):
    enterprise = EnterpriseFactory(enterprise_name="合肥市放心食品有限公司", real_name="李经办")
    decided(item, department, enterprise)

    page = client.get(reverse("disclosure:decisions")).content.decode()

    assert "合肥市放心食品有限公司" in page
    assert "李经办" not in page


def test_register_stores_only_what_may_be_shown(item, department):
    citizen = CitizenFactory(real_name="王小明")
    application = decided(item, department, citizen)

    record = DecisionRecord.objects.get(application=application)
    assert record.applicant_display == "王**"
    stored = " ".join(
        str(value) for value in DecisionRecord.objects.filter(pk=record.pk).values().get().values()
    )
    assert "王小明" not in stored
    assert citizen.resident_id not in stored


def test_decision_page_shows_the_decision_masked(client, item, department):
    citizen = CitizenFactory(real_name="张三")
    application = decided(item, department, citizen)

    response = client.get(reverse("disclosure:decision", args=[application.tracking_number]))

    assert response.status_code == 200
    page = response.content.decode()
    assert application.tracking_number in page
    assert "张*" in page
    assert "张三" not in page
    assert "市市场监督管理局" in page
    assert citizen.resident_id not in page


def test_rejections_are_published_too(client, item, department):
    application = decided(item, department, CitizenFactory(), Outcome.REJECT, "场所面积不足")

    record = DecisionRecord.objects.get(application=application)

    assert record.outcome == DecisionRecord.Outcome.REJECTED
    assert (
        application.tracking_number in client.get(reverse("disclosure:decisions")).content.decode()
    )


def test_case_still_under_review_is_not_published(client, item):
    application = routed_application(item)

    page = client.get(reverse("disclosure:decisions")).content.decode()

    assert not DecisionRecord.objects.exists()
    assert application.tracking_number not in page


def test_register_is_searchable_by_tracking_number(client, item, department):
    wanted = decided(item, department, CitizenFactory())
    other = decided(item, department, CitizenFactory())

    response = client.get(reverse("disclosure:decisions"), {"q": wanted.tracking_number})

    assert [r.tracking_number for r in response.context["page"].object_list] == [
        wanted.tracking_number
    ]
    assert other.tracking_number not in response.content.decode()


def test_register_cannot_be_searched_by_the_applicants_real_name(client, item, department):
    decided(item, department, CitizenFactory(real_name="张三"))

    response = client.get(reverse("disclosure:decisions"), {"q": "张三"})

    assert list(response.context["page"].object_list) == []


def test_unknown_tracking_number_is_not_found(client):
    assert client.get(reverse("disclosure:decision", args=["2099010100000001"])).status_code == 404


def test_decision_is_recorded_on_the_applicants_timeline_as_published(item, department):
    application = decided(item, department, CitizenFactory())

    assert application.events.filter(kind="published").count() == 1
