"""Masking rules for everything published about a natural person (disclosure.masking)."""

import pytest

from disclosure.masking import (
    mask_address,
    mask_email,
    mask_landline,
    mask_mobile,
    mask_person_name,
    mask_resident_id,
    mask_text,
)
from tests.factories import valid_credit_code, valid_resident_id


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("上官婉儿", "上官**"),
        ("李", "李*"),
    ],
)
def test_names_keep_the_surname_only(name, masked):
    assert mask_person_name(name) == masked


def test_resident_id_keeps_region_and_last_four():
    number = valid_resident_id()
    masked = mask_resident_id(number)
    assert masked == number[:6] + "********" + number[-4:]
    assert number[6:14] not in masked


def test_mobile_keeps_prefix_and_last_four():
    assert mask_mobile("13912345678") == "139****5678"
    assert mask_mobile("139 1234 5678") == "139****5678"


def test_landline_keeps_area_code_and_last_four():
    assert mask_landline("0551-62345678") == "0551-****5678"
    assert mask_landline("010-1234567") == "010-***4567"


def test_email_keeps_first_letter_and_domain():
    assert mask_email("zhangsan@example.cn") == "z*******@example.cn"


def test_address_is_cut_after_the_district():
    assert mask_address("安徽省合肥市蜀山区长江西路100号") == "安徽省合肥市蜀山区****"
    assert "100号" not in mask_address("合肥市包河区徽州大道1号3栋")


def test_free_text_masks_every_identifier_and_the_named_person():
    number = valid_resident_id()
    text = (
        f"申请人王小明，身份证号{number}，手机13912345678，电话0551-62345678，"
        "邮箱wxm@example.cn，住址：安徽省合肥市蜀山区长江西路100号。"
    )
    masked = mask_text(text, names=("王小明",))
    for secret in [number, "13912345678", "62345678", "wxm@example.cn", "长江西路100号", "王小明"]:
        assert secret not in masked
    assert "王**" in masked
    assert "139****5678" in masked


def test_free_text_keeps_enterprise_names_and_licence_numbers():
    code = valid_credit_code()
    text = f"合肥示范科技有限公司（统一社会信用代码{code}）的食品经营许可证编号JY13401040012345。"
    assert mask_text(text) == text


def test_masking_twice_changes_nothing_more():
    once = mask_text("手机13912345678，身份证" + valid_resident_id())
    assert mask_text(once) == once
