"""The frozen item definition as typed objects: every shape ever stored loads and is written
back to the same JSON; older shapes read with the defaults their cases have always had."""

import copy
import json

import pytest
from django.utils import translation

from portal.demo import ITEMS, load_demo
from services.catalogue import freeze_definition, item_definition
from services.definitions import ItemDefinition
from services.models import ServiceItem, ServiceItemVersion
from tests.factories import (
    ApplicationFactory,
    DepartmentFactory,
    implementation_of,
    item_with_stages,
    service_centre,
)

# --- every shape the catalogue has frozen, oldest first (git log -p services/catalogue.py) ------


def _first_shape() -> dict:
    """The one-stop flow as first laid down: no acceptance step, no timeout policies."""
    return {
        "item": {
            "code": "food-business-licence",
            "name": "食品经营许可",
            "name_en": "Food business licence",
            "statutory_limit_days": 20,
            "promised_limit_days": None,
            "max_extension_days": 10,
            "rejection_ends_case": True,
        },
        "fields": [
            {
                "name": "business_name",
                "label": "经营者名称",
                "help_text": "",
                "kind": "text",
                "is_required": True,
                "min_length": 2,
                "max_length": 40,
                "pattern": "",
                "pattern_message": "",
                "choices": [],
            },
            {
                "name": "category",
                "label": "经营类别",
                "help_text": "选择一项",
                "kind": "choice",
                "is_required": False,
                "min_length": None,
                "max_length": None,
                "pattern": "",
                "pattern_message": "",
                "choices": ["预包装食品销售", "餐饮服务"],
            },
        ],
        "materials": [
            {"code": "id_card", "name": "身份证明", "description": "", "is_required": True},
            {"code": "site_photo", "name": "经营场所照片", "description": "", "is_required": False},
        ],
        "stages": [
            {
                "order": 1,
                "name": "并联审查",
                "departments": [
                    {
                        "id": 7,
                        "code": "market",
                        "name": "市市场监督管理局",
                        "name_en": "Market Regulation",
                        "time_limit_days": 5,
                    },
                    {
                        "id": 9,
                        "code": "health",
                        "name": "市卫生健康委员会",
                        "name_en": "",
                        "time_limit_days": 3,
                    },
                ],
            }
        ],
    }


def _with_english_stage_names() -> dict:
    """abbba81: stages gained their English name."""
    shape = _first_shape()
    for stage in shape["stages"]:
        stage["name_en"] = "Parallel review"
    return shape


def _with_acceptance_and_policies() -> dict:
    """db174f0: acceptance became stage 0, with its limit; steps gained a timeout policy and a
    reminder; the joint-handling limit was frozen."""
    shape = _with_english_stage_names()
    shape["item"].update(acceptance_limit_days=5, joint_limit_days=45)
    shape["acceptance"] = {
        "id": 1,
        "code": "service-centre",
        "name": "市政务服务中心",
        "name_en": "Service Centre",
        "time_limit_days": 5,
        "timeout_policy": "deemed_approval",
        "reminder_days": 1,
    }
    for stage in shape["stages"]:
        for step in stage["departments"]:
            step.update(timeout_policy="escalation", reminder_days=2)
    return shape


def _with_certificates() -> dict:
    """baef756: the e-certificate's scope and validity were frozen with the case."""
    shape = _with_acceptance_and_policies()
    shape["item"].update(certificate_scope="预包装食品销售", certificate_validity_years=5)
    return shape


def _with_once_only() -> dict:
    """156b491 (today's shape): fields say what they prefill from, materials their document
    type and how long a file of it may be reused."""
    shape = _with_certificates()
    shape["fields"][0]["prefill_from"] = "enterprise_name"
    shape["fields"][1]["prefill_from"] = ""
    shape["materials"][0].update(kind="id-card", validity_days=365)
    shape["materials"][1].update(kind="", validity_days=None)
    return shape


def _without_accepting_department() -> dict:
    """An item no department accepted yet (its drafts cannot be submitted)."""
    shape = _with_once_only()
    shape["acceptance"] = None
    return shape


def _with_promised_limit_and_no_expiry() -> dict:
    shape = _with_once_only()
    shape["item"].update(promised_limit_days=8, certificate_validity_years=None)
    shape["stages"].append(
        {"order": 2, "name": "现场核查", "name_en": "", "departments": []},
    )
    return shape


def _with_keys_of_a_later_release() -> dict:
    """A key this code does not know yet, at every level: kept and written back."""
    shape = _with_once_only()
    shape["zone"] = {"code": "A", "name": "自贸区"}
    shape["item"]["licensed_party"] = "applicant"
    shape["acceptance"]["window"] = "A3"
    shape["fields"][0]["placeholder"] = "营业执照上的名称"
    shape["materials"][0]["copies"] = 2
    shape["stages"][0]["parallel"] = True
    shape["stages"][0]["departments"][0]["substitutes"] = [11, 12]
    return shape


def _with_region() -> dict:
    """Items implemented per region: the case records the region and implementation it was
    filed under (issue 16)."""
    shape = _with_once_only()
    shape["region"] = {
        "code": "340100",
        "name": "合肥市",
        "name_en": "Hefei",
        "implementation_id": 7,
    }
    return shape


SHAPES = {
    "first": _first_shape,
    "region": _with_region,
    "english_stage_names": _with_english_stage_names,
    "acceptance_and_policies": _with_acceptance_and_policies,
    "certificates": _with_certificates,
    "once_only": _with_once_only,
    "no_accepting_department": _without_accepting_department,
    "promised_limit_no_expiry_empty_stage": _with_promised_limit_and_no_expiry,
    "keys_of_a_later_release": _with_keys_of_a_later_release,
}


def as_text(data: dict) -> str:
    # Equal dicts may still differ in type (True == 1, a tuple for a list): compare the JSON.
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_every_stored_shape_loads_and_is_written_back_unchanged(shape):
    stored = shape()

    definition = ItemDefinition.from_json(copy.deepcopy(stored))

    assert as_text(definition.to_json()) == as_text(stored)
    assert ItemDefinition.from_json(definition.to_json()) == definition


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_every_stored_shape_survives_the_database(shape):
    stored = shape()
    item = item_with_stages([[DepartmentFactory()]])
    ServiceItemVersion.objects.create(
        item=item, implementation=implementation_of(item), number=1, definition=stored
    )

    version = ServiceItemVersion.objects.get(item=item, number=1)

    assert as_text(version.item_definition.to_json()) == as_text(stored)


@pytest.mark.django_db
def test_every_version_frozen_from_the_demo_catalogue_loads_and_is_written_back_unchanged():
    load_demo()
    for item in ServiceItem.objects.all():
        freeze_definition(implementation_of(item))  # as each item's first submission does

    versions = list(ServiceItemVersion.objects.all())

    assert {v.item.code for v in versions} >= {spec["code"] for spec in ITEMS}
    for version in versions:
        loaded = ItemDefinition.from_json(version.definition)
        assert as_text(loaded.to_json()) == as_text(version.definition), version
        assert not loaded.absent_keys and not loaded.other_keys


# --- older shapes read as their cases always were ------------------------------------------------


def test_the_first_shape_reads_with_the_defaults_of_its_time():
    definition = ItemDefinition.from_json(_first_shape())

    assert definition.acceptance_step is None
    assert definition.acceptance.steps == ()
    step = definition.review_stages[0].steps[0]
    assert (step.timeout_policy, step.reminder_days) == ("deemed_approval", 2)
    assert definition.review_stages[0].name_en == ""
    assert definition.item.acceptance_limit_days == 5
    assert definition.item.joint_limit_days == 45
    assert definition.item.certificate_validity_years == 5
    assert definition.item.certificate_scope_or_name == "食品经营许可"
    assert definition.fields[0].prefill_from == ""
    assert (definition.materials[0].kind, definition.materials[0].validity_days) == ("", None)


def test_a_definition_missing_a_key_every_shape_has_is_refused():
    stored = _with_once_only()
    del stored["item"]["statutory_limit_days"]

    with pytest.raises(KeyError, match="statutory_limit_days"):
        ItemDefinition.from_json(stored)


# --- what the definition answers -----------------------------------------------------------------


def test_acceptance_is_stage_zero_by_the_accepting_department_named_in_both_languages():
    definition = ItemDefinition.from_json(_with_once_only())

    acceptance = definition.stage(0)

    assert acceptance == definition.acceptance == definition.stages[0]
    assert acceptance.is_acceptance
    assert [step.code for step in acceptance.steps] == ["service-centre"]
    assert acceptance.steps[0].time_limit_days == 5
    with translation.override("zh-hans"):
        assert acceptance.display_name == "受理"
    with translation.override("en"):
        assert acceptance.display_name == "Acceptance"
        assert acceptance.steps[0].display_name == "Service Centre"


def test_stages_follow_each_other_in_order_and_the_last_has_none_after_it():
    definition = ItemDefinition.from_json(_with_promised_limit_and_no_expiry())

    assert definition.next_stage(0).order == 1
    assert definition.next_stage(1).order == 2
    assert definition.next_stage(2) is None
    assert definition.stage(2).name == "现场核查"
    with pytest.raises(LookupError):
        definition.stage(3)


def test_overall_limit_is_the_promised_one_then_joint_handling_then_statutory():
    promised = ItemDefinition.from_json(_with_promised_limit_and_no_expiry())
    joint = ItemDefinition.from_json(_with_once_only())  # two departments review
    alone = _with_once_only()
    alone["stages"][0]["departments"].pop()

    assert promised.overall_limit_days() == 8
    assert joint.overall_limit_days() == 45
    assert ItemDefinition.from_json(alone).overall_limit_days() == 20


def test_fields_and_materials_are_found_by_name_and_code():
    definition = ItemDefinition.from_json(_with_once_only())

    assert definition.field("category").choices == ("预包装食品销售", "餐饮服务")
    assert definition.field("nonexistent") is None
    assert definition.material("id_card").kind == "id-card"
    assert definition.material("nonexistent") is None


# --- the catalogue freezes the same JSON as before -----------------------------------------------


@pytest.mark.django_db
def test_the_catalogue_freezes_the_json_it_always_froze():
    market = DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")
    centre = service_centre()
    item = item_with_stages(
        [[market]],
        fields=[{"name": "business_name", "label": "经营者名称", "choices": "甲\n 乙 \n"}],
        materials=[{"code": "id_card", "name": "身份证明", "kind": "id-card"}],
        code="food",
        name="食品经营许可",
        name_en="Food licence",
    )

    frozen = freeze_definition(implementation_of(item)).definition

    assert frozen == {
        "item": {
            "code": "food",
            "name": "食品经营许可",
            "name_en": "Food licence",
            "statutory_limit_days": 20,
            "promised_limit_days": None,
            "max_extension_days": 10,
            "acceptance_limit_days": 5,
            "joint_limit_days": 45,
            "rejection_ends_case": True,
            "certificate_scope": "食品经营许可",
            "certificate_validity_years": 5,
        },
        "region": {
            "code": "340100",
            "name": "合肥市",
            "name_en": "Hefei",
            "implementation_id": implementation_of(item).pk,
        },
        "guide": {
            "summary": "开办食品经营场所前须取得许可。",
            "summary_en": "",
            "legal_basis": "《中华人民共和国食品安全法》第三十五条",
            "legal_basis_en": "",
            "conditions": "",
            "conditions_en": "",
            "process": "",
            "process_en": "",
            "audience": "both",
            "fee": None,
            "fee_basis": "",
        },
        "acceptance": {
            "id": centre.pk,
            "code": "service-centre",
            "name": "市政务服务中心",
            "name_en": "Service Centre",
            "time_limit_days": 5,
            "timeout_policy": "deemed_approval",
            "reminder_days": 1,
        },
        "fields": [
            {
                "name": "business_name",
                "label": "经营者名称",
                "help_text": "",
                "kind": "text",
                "is_required": True,
                "min_length": None,
                "max_length": None,
                "pattern": "",
                "pattern_message": "",
                "choices": ["甲", "乙"],
                "prefill_from": "",
            }
        ],
        "materials": [
            {
                "code": "id_card",
                "name": "身份证明",
                "description": "",
                "is_required": True,
                "kind": "id-card",
                "validity_days": 365,
            }
        ],
        "stages": [
            {
                "order": 1,
                "name": "第1环节",
                "name_en": "",
                "departments": [
                    {
                        "id": market.pk,
                        "code": "market",
                        "name": "市市场监督管理局",
                        "name_en": "Market Regulation",
                        "time_limit_days": 5,
                        "timeout_policy": "deemed_approval",
                        "reminder_days": 2,
                    }
                ],
            }
        ],
    }
    assert ItemDefinition.from_json(frozen) == item_definition(implementation_of(item))


@pytest.mark.django_db
def test_an_unchanged_item_is_frozen_once_whatever_the_shape_of_its_older_versions():
    item = item_with_stages([[DepartmentFactory()]])
    ServiceItemVersion.objects.create(
        item=item, implementation=implementation_of(item), number=1, definition=_first_shape()
    )

    first = freeze_definition(implementation_of(item))
    second = freeze_definition(implementation_of(item))

    assert first.number == 2
    assert second == first


# --- a case frozen long ago still shows ----------------------------------------------------------


@pytest.mark.django_db
def test_a_case_frozen_in_the_first_shape_still_shows_its_status_page(client_for):
    market = DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")
    application = ApplicationFactory(item=item_with_stages([[market]]), submitted=True)
    old = _first_shape()
    old["stages"][0]["departments"] = [old["stages"][0]["departments"][0] | {"id": market.pk}]
    ServiceItemVersion.objects.filter(pk=application.item_version_id).update(definition=old)

    page = client_for(application.applicant).get(application.get_absolute_url())

    assert page.status_code == 200
    assert "Market Regulation" in page.content.decode()
