"""Masking of personal data before anything about a natural person is published.

Regulations on the Disclosure of Government Information Art. 15: information whose disclosure
would harm a third party's lawful rights (personal privacy) is not disclosed. Art. 40 of the
Administrative License Law makes decisions public, so what is published about a natural
person is masked here, by rules that are each unit-tested (tests/test_masking.py).
Enterprise names and licence numbers (unified social credit codes) are public by law
(企业信息公示暂行条例) and are deliberately left alone.
"""

import re

# Two-character surnames are kept whole, so "欧阳娜娜" reads "欧阳**", not "欧***".
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 百里 呼延 "
    "闻人 申屠 澹台 公冶 太史 钟离 赫连 第五 拓跋 万俟 司空 濮阳 淳于 单于 仲孙 东郭 歐陽 司馬".split()
)


def mask_person_name(name: str) -> str:
    """Keep the surname, hide the given name: 张三 → 张*, 欧阳娜娜 → 欧阳**, John Smith → J*** S****."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "*" * max(len(name) - len(surname), 1)


def public_holder_name(certificate) -> str:
    """The holder as verification shows them to anyone: a natural person masked, an enterprise
    by name (the page and the API alike)."""
    if certificate.is_natural_person:
        return mask_person_name(certificate.holder_name)
    return certificate.holder_name


def mask_resident_id(number: str) -> str:
    """First 6 (region) and last 4 kept, as on the e-certificate: 340104********1234."""
    number = (number or "").strip()
    if len(number) < 11:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_mobile(number: str) -> str:
    """138****8000: the operator prefix and the last four, as Chinese services print it."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) != 11:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_landline(number: str) -> str:
    """0551-****5678: the area code and the last four digits."""
    match = re.fullmatch(r"\s*(0\d{2,3})[-\s]?(\d{7,8})\s*", number or "")
    if not match:
        return "*" * len(re.sub(r"\D", "", number or ""))
    local = match.group(2)
    return f"{match.group(1)}-{'*' * (len(local) - 4)}{local[-4:]}"


def mask_email(address: str) -> str:
    """z*******@example.cn: the first letter of the mailbox and the domain."""
    local, at, domain = (address or "").strip().partition("@")
    if not at:
        return "*" * len(local)
    return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain


# Down to the district/county: everything after it (street, number, building, room) is masked.
ADDRESS_KEPT_UP_TO = re.compile(
    r"^(.*?(?:省|自治区|市|特别行政区))?(.*?(?:市|州|盟))?(.*?(?:区|县|旗))"
)


def mask_address(address: str) -> str:
    """安徽省合肥市蜀山区长江西路100号 → 安徽省合肥市蜀山区****: the district stays, the door does not."""
    address = (address or "").strip()
    if not address:
        return ""
    match = ADDRESS_KEPT_UP_TO.match(address)
    kept = match.group(0) if match else ""
    if not kept or kept == address:
        kept = address[:3] if not kept else kept[:-1]
    return kept + "****"


# --- free text ----------------------------------------------------------------------------------
# A text written by staff (an answer to a disclosure request, an opinion) may quote personal data.
# These patterns find what a civil servant is most likely to paste; the leak scanner test uses the
# same patterns to prove that no public page shows one.

RESIDENT_ID_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
LANDLINE_PATTERN = re.compile(r"(?<![0-9A-Za-z])0\d{2,3}-\d{7,8}(?!\d)")
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# "住址：…" / "地址：…" / "住所：…" up to the end of the clause.
ADDRESS_PATTERN = re.compile(r"((?:住址|地址|住所|居住地|现住)[:：]\s*)([^\s，,。；;\n]+)")
# A unified social credit code (18 characters, an organisation) is a licence number: it is kept.


def mask_text(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Free text with resident ID numbers, mobiles, landlines, e-mails and addresses masked.

    `names` are the natural persons known to be concerned (the requester, say): their names are
    masked wherever they occur, since a free text cannot tell a person's name from other words.
    """
    text = text or ""
    text = RESIDENT_ID_PATTERN.sub(lambda m: mask_resident_id(m.group(0)), text)
    text = EMAIL_PATTERN.sub(lambda m: mask_email(m.group(0)), text)
    text = MOBILE_PATTERN.sub(lambda m: mask_mobile(m.group(0)), text)
    text = LANDLINE_PATTERN.sub(lambda m: mask_landline(m.group(0)), text)
    text = ADDRESS_PATTERN.sub(lambda m: m.group(1) + mask_address(m.group(2)), text)
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = text.replace(name, mask_person_name(name))
    return text
