"""`{{ material|english:"name" }}`: catalogue text in the reader's language (common.bilingual).

Works on models and frozen definitions alike: the English is the attribute named `<name>_en`.
"""

from django import template

from common.bilingual import in_reader_language, paragraphs_in_reader_language, reads_english

register = template.Library()


@register.filter
def english(obj, attribute: str) -> str:
    """The attribute in English on English pages, or the Chinese, marked as Chinese."""
    chinese = getattr(obj, attribute, "") or ""
    # The English is read on English pages only: for a task's stage it is in the frozen case.
    return in_reader_language(
        chinese, (getattr(obj, f"{attribute}_en", "") or "") if reads_english() else ""
    )


@register.filter
def english_paragraphs(obj, attribute: str) -> str:
    """Longer text as paragraphs, in the same way."""
    return paragraphs_in_reader_language(
        getattr(obj, attribute, "") or "", getattr(obj, f"{attribute}_en", "") or ""
    )
