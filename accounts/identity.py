"""Real-name identity numbers of natural and legal persons, with their national check digits.

GB 11643-1999 defines the 18-character resident identity number: 17 digits and a check
character computed with ISO 7064 MOD 11-2. GB 32100-2015 defines the 18-character unified
social credit code: 17 characters from a 31-character alphabet and a MOD 31 check character.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RESIDENT_ID_CHECK = "10X98765432"
RESIDENT_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")

# GB 32100-2015: the letters I, O, Z, S and V are never used.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize_identifier(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def resident_id_check_character(first_17_digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(first_17_digits, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def is_valid_resident_id(value: str) -> bool:
    value = normalize_identifier(value)
    if not RESIDENT_ID_PATTERN.match(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check_character(value[:17]) == value[17]


def credit_code_check_character(first_17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w
        for c, w in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    value = normalize_identifier(value)
    if not CREDIT_CODE_PATTERN.match(value):
        return False
    return credit_code_check_character(value[:17]) == value[17]


def validate_resident_id(value: str) -> None:
    value = normalize_identifier(value)
    if not RESIDENT_ID_PATTERN.match(value):
        raise ValidationError(
            _("A resident ID number has 17 digits followed by a digit or X."), code="format"
        )
    if not is_valid_resident_id(value):
        raise ValidationError(
            _(
                "This resident ID number is not valid: please check the birth date and the last character."
            ),
            code="checksum",
        )


def validate_credit_code(value: str) -> None:
    value = normalize_identifier(value)
    if not CREDIT_CODE_PATTERN.match(value):
        raise ValidationError(
            _("A unified social credit code has 18 letters and digits (without I, O, Z, S, V)."),
            code="format",
        )
    if not is_valid_credit_code(value):
        raise ValidationError(
            _(
                "The check character of this unified social credit code does not match. "
                "If your code was issued in an early pilot region, ask the service centre to register it."
            ),
            code="checksum",
        )


MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> None:
    if not MOBILE_PATTERN.match(value or ""):
        raise ValidationError(_("Enter an 11-digit mainland mobile number."), code="mobile")


# --- masking, for pages that show identifiers to anyone but their holder ---------------------


def mask_resident_id(value: str) -> str:
    """Region and last four kept, birth date and serial hidden: 340104********1234."""
    value = normalize_identifier(value)
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """Operator prefix and last four kept: 138****8000."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """Only the first six characters (province and city, usually): 安徽省合肥市****."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[:6] + "****"
