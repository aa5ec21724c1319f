"""The JSON bodies the REST API reads: parsed, then refused whole if no domain could store them.

DRF's JSONParser accepts any JSON text. Three kinds of valid JSON fail later, deep inside a
serializer, a form or PostgreSQL, as a server error and perhaps after part of a change:

- nesting thousands of levels deep (Python's parser and every walk over the data recurse);
- lone UTF-16 surrogates ("\\ud800"): not characters, so neither text nor jsonb columns take
  them, nor can they be encoded as UTF-8;
- NUL characters ("\\u0000") and numbers beyond a double ("1e400"), which PostgreSQL's text and
  jsonb and the JSON renderer refuse.

The API answers each with 400 and a message in the caller's language, before any view runs,
so nothing is saved. The portal's documents are shallow: MAX_JSON_DEPTH is far above any body
the API documents (answers by field name are two levels).
"""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def refusal_of(data: object) -> str | None:
    """Why the parsed document cannot be taken, or None. Iterative: no depth can overflow it."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return _("The JSON is nested more than %(limit)d levels deep.") % {
                    "limit": MAX_JSON_DEPTH
                }
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return _(
                    "The JSON contains a lone surrogate (U+D800 to U+DFFF), which is not a "
                    "character. Send the text as it is written."
                )
            if "\x00" in value:
                return _("The JSON contains a NUL character (U+0000), which no text may contain.")
        elif isinstance(value, float) and not math.isfinite(value):
            return _("The JSON contains a number too large to be stored.")
    return None


class PortalJSONParser(JSONParser):
    """DRF's JSON parser, refusing what could only fail later (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("The JSON is nested more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
            ) from None
        refusal = refusal_of(data)
        if refusal:
            raise ParseError(refusal)
        return data
