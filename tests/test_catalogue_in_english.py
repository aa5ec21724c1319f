"""Catalogue content in English: shown on English pages where written, the Chinese marked as
Chinese where not, frozen with the case only where written (issue 14 §16)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from approvals.queues import items_in_queue
from services.catalogue import freeze_definition
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    draft_application,
    implementation_of,
    item_with_stages,
    reviewer_of,
)

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "address", "label": "现居住地址", "label_en": "Current address"},
    {
        "name": "basis",
        "label": "申领依据",
        "label_en": "Basis",
        "kind": "choice",
        "choices": "合法稳定就业\n合法稳定住所",
        "choices_en": "Stable employment\nStable residence",
    },
]
MATERIALS = [
    {"code": "lease", "name": "居住证明", "name_en": "Proof of residence"},
    {"code": "photo", "name": "本人近期证件照"},  # no English written
]


@pytest.fixture
def police():
    return DepartmentFactory(code="police", name="市公安局", name_en="Public Security Bureau")


@pytest.fixture
def item(police):
    return item_with_stages(
        [[police]],
        fields=FIELDS,
        materials=MATERIALS,
        code="residence-permit",
        name="居住证申领",
        name_en="Residence permit",
        summary="可以申领居住证。",
        summary_en="You may apply for a residence permit.",
        legal_basis="《居住证暂行条例》第二条。",
    )


def guide_in(language: str, item) -> str:
    client = Client(headers={"accept-language": language})
    return client.get(reverse("services:guide", args=[item.code])).content.decode()


def test_an_english_guide_shows_the_english_written(item):
    page = guide_in("en", item)

    assert "You may apply for a residence permit." in page
    assert "Proof of residence" in page and "居住证明" not in page
    assert "Current address" in page and "现居住地址" not in page


def test_an_english_guide_marks_the_chinese_where_no_english_was_written(item):
    page = guide_in("en", item)

    assert '<span lang="zh-Hans">本人近期证件照</span>' in page
    assert '<div lang="zh-Hans"><p>《居住证暂行条例》第二条。</p></div>' in page


def test_a_chinese_guide_shows_the_chinese_unmarked(item):
    page = guide_in("zh-hans", item)

    assert "可以申领居住证。" in page and "You may apply" not in page
    assert "居住证明" in page and 'lang="zh-Hans">居住证明' not in page


def test_the_english_form_offers_english_choices_and_keeps_the_choice_as_the_answer(
    item, client_for
):
    draft = draft_application(item, CitizenFactory())
    client = client_for(draft.applicant)
    url = reverse("services:edit", args=[draft.pk])

    form = client.get(url).content.decode()
    client.post(url, {"address": "合肥市", "basis": "合法稳定住所", "save": ""})

    assert '<option value="合法稳定住所">Stable residence</option>' in form
    assert "Current address" in form and "Proof of residence" in form
    draft.refresh_from_db()
    assert draft.answers["basis"] == "合法稳定住所"


def test_english_is_frozen_with_the_case_only_where_it_was_written(item):
    frozen = freeze_definition(implementation_of(item)).definition

    lease, photo = frozen["materials"]
    assert lease["name_en"] == "Proof of residence"
    assert "name_en" not in photo and "description_en" not in photo
    assert frozen["fields"][1]["choices_en"] == ["Stable employment", "Stable residence"]


def test_the_queues_item_filter_names_items_as_the_rows_do(item, police):
    reviewer = reviewer_of(police)

    with translation.override("en"):
        english = items_in_queue(reviewer)
    with translation.override("zh-hans"):
        chinese = items_in_queue(reviewer)

    assert english == [("residence-permit", "Residence permit")]
    assert chinese == [("residence-permit", "居住证申领")]
