"""Masking of personal data before anything about a natural person is published."""

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
