"""Catalogue text in the reader's language, falling back to the Chinese visibly.

Every piece of catalogue content (an item's summary and legal basis, a material, a form field,
a stage, a department) is written in Chinese and may have an English version. An English page
shows the English where it was written; where it was not, it shows the Chinese marked as
Chinese (`lang="zh-Hans"`), so the reader sees the gap rather than a silently mixed page, and a
screen reader reads it with a Chinese voice. Chinese pages show the Chinese.
"""

from django.utils.html import conditional_escape, format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

FALLBACK_LANGUAGE = "zh-Hans"


def reads_english() -> bool:
    return (get_language() or "").startswith("en")


def in_reader_language(chinese: str, english: str) -> str:
    """The text to show inline: English, the Chinese, or the Chinese marked as such (HTML)."""
    if not reads_english():
        return chinese
    if english:
        return english
    if not chinese:
        return chinese
    return format_html('<span lang="{}">{}</span>', FALLBACK_LANGUAGE, chinese)


def paragraphs_in_reader_language(chinese: str, english: str) -> SafeString:
    """Longer text (a legal basis, the conditions) as paragraphs, in the same way."""
    if reads_english() and english:
        return mark_safe(linebreaks(conditional_escape(english)))
    paragraphs = mark_safe(linebreaks(conditional_escape(chinese)))
    if reads_english() and chinese:
        return format_html('<div lang="{}">{}</div>', FALLBACK_LANGUAGE, paragraphs)
    return paragraphs


def text_in_reader_language(chinese: str, english: str) -> str:
    """Plain text (an e-mail, a select's option, an API field): English or the Chinese."""
    return english if reads_english() and english else chinese
