"""Resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.identity import (
    CREDIT_CODE_ALPHABET,
    RESIDENT_ID_CHECK,
    is_valid_credit_code,
    is_valid_resident_id,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)
from tests.factories import valid_credit_code, valid_resident_id, with_wrong_check_character


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the standard's own example, check character X
        valid_resident_id(date(1990, 5, 17), "340104", 1),
        valid_resident_id(date(2000, 2, 29), "440305", 2),  # a leap day
        valid_resident_id(date(1965, 12, 31), "510107", 999),
    ],
)
def test_resident_id_with_right_check_character_is_valid(number):
    assert is_valid_resident_id(number)
    validate_resident_id(number)


def test_resident_id_with_lower_case_x_is_accepted():
    assert is_valid_resident_id("11010519491231002x")


def test_resident_id_with_surrounding_spaces_is_accepted():
    assert is_valid_resident_id(" 110105 19491231002X ")


@pytest.mark.parametrize("serial", [1, 2, 3, 500])
def test_resident_id_with_wrong_check_character_is_rejected(serial):
    number = with_wrong_check_character(valid_resident_id(serial=serial), RESIDENT_ID_CHECK)
    assert not is_valid_resident_id(number)
    with pytest.raises(ValidationError) as error:
        validate_resident_id(number)
    assert error.value.code == "checksum"


@pytest.mark.parametrize(
    "first_17",
    [
        "11010519900230123",  # 30 February
        "11010519901301123",  # month 13
        "11010519900100123",  # day 0
        "11010519230229123",  # 29 February in a common year
    ],
)
def test_resident_id_with_impossible_birth_date_is_rejected(first_17):
    from accounts.identity import resident_id_check_character

    number = first_17 + resident_id_check_character(first_17)
    assert not is_valid_resident_id(number)
    with pytest.raises(ValidationError) as error:
        validate_resident_id(number)
    assert error.value.code == "checksum"


@pytest.mark.parametrize(
    "number",
    [
        "1101051949123100X2",  # X anywhere but last
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "11010519491231002Y",  # a letter other than X
        "",
    ],
)
def test_resident_id_with_wrong_format_is_rejected(number):
    assert not is_valid_resident_id(number)
    with pytest.raises(ValidationError) as error:
        validate_resident_id(number)
    assert error.value.code == "format"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "91110000600037341L",
        valid_credit_code(serial=1),
        valid_credit_code(serial=987654321),
    ],
)
def test_credit_code_with_right_check_character_is_valid(code):
    assert is_valid_credit_code(code)
    validate_credit_code(code)


def test_credit_code_in_lower_case_is_accepted():
    assert is_valid_credit_code("91350100m000100y43")


@pytest.mark.parametrize("code", ["91350100M000100Y43", valid_credit_code(serial=42)])
def test_credit_code_with_wrong_check_character_is_rejected(code):
    wrong = with_wrong_check_character(code, CREDIT_CODE_ALPHABET)
    assert not is_valid_credit_code(wrong)
    with pytest.raises(ValidationError) as error:
        validate_credit_code(wrong)
    assert error.value.code == "checksum"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_with_forbidden_letter_is_rejected(letter):
    code = "91350100M000100Y4" + letter
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "format"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y4",  # 17 characters
        "9135A100M000100Y43",  # a letter in the region code
        "91350100M000100Y43-",
    ],
)
def test_credit_code_with_wrong_format_is_rejected(code):
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "format"


@pytest.mark.parametrize("mobile", ["13800138000", "19912345678"])
def test_mainland_mobile_number_is_accepted(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "+8613800138000", ""])
def test_malformed_mobile_number_is_rejected(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)
