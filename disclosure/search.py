"""Full-text search over public publications and the service catalogue, Chinese and English.

Stock PostgreSQL has no Chinese word segmenter, so Chinese is indexed as overlapping character
bigrams (中华人民 → 中华 华人 人民) in the 'simple' configuration: a query of any two adjacent
characters of the text finds it, and a longer query is a phrase of its bigrams, so 食品经营
finds "食品经营" and not a text that merely has 食品 and 经营 apart. Everything that is not
Chinese goes through the 'english' configuration, so "licences" finds "licence". Titles weigh
more (A) than text (B). The vectors are stored columns with GIN indexes, written whenever a
publication or a service item is saved; the query side builds the same tokens.

Public results are read through `disclosure.selectors` only, so nothing but public, published
publications can come out of a search, whatever the index holds.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .models import CatalogueSearchEntry, Publication
from .selectors import public_publications, searchable_guides

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
MAX_QUERY_LENGTH = 100
SNIPPET_CHARACTERS = 120


def cjk_bigrams(run: str) -> list[str]:
    """中华人民 → [中华, 华人, 人民]; a single character stays itself."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def split_for_index(text: str) -> tuple[str, str]:
    """(Chinese bigrams separated by spaces, the rest of the text) of a text to index.

    The bigrams of one run are consecutive tokens, so their positions in the tsvector are
    consecutive and a phrase query over them matches the original run; runs are separated by
    a full stop so that a phrase never spans two runs.
    """
    text = text or ""
    chinese = " . ".join(" ".join(cjk_bigrams(run)) for run in CJK_RUN.findall(text))
    latin = CJK_RUN.sub(" ", text)
    return chinese, latin


# The SQL of one document's vector: title (weight A) and text (weight B), each in two configs.
VECTOR_SQL = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('english', %s), 'A')"
    " || setweight(to_tsvector('simple', %s), 'B') || setweight(to_tsvector('english', %s), 'B')"
)


def vector_params(title: str, text: str) -> list[str]:
    title_chinese, title_latin = split_for_index(title)
    text_chinese, text_latin = split_for_index(text)
    return [title_chinese, title_latin, text_chinese, text_latin]


def index_publication(publication) -> None:
    """Write the publication's search vector (every state: the selector decides who sees it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE disclosure_publication SET search_vector = {VECTOR_SQL} WHERE id = %s",
            [*vector_params(publication.title, publication.body), publication.pk],
        )


def item_text(item) -> tuple[str, str]:
    title = f"{item.name} {item.name_en}"
    text = "\n".join(
        [item.summary, item.legal_basis, item.conditions, item.process, item.code.replace("-", " ")]
    )
    return title, text


def index_service_item(item) -> None:
    """Index a published item's guide; an unpublished item (or a letter item, which has no
    guide) leaves the index."""
    if not item.is_published or item.is_letter:
        CatalogueSearchEntry.objects.filter(item=item).delete()
        return
    entry, _ = CatalogueSearchEntry.objects.get_or_create(item=item)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE disclosure_cataloguesearchentry SET search_vector = {VECTOR_SQL} WHERE id = %s",
            [*vector_params(*item_text(item)), entry.pk],
        )


# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """A user's query as tsquery SQL with its parameters, and the terms to highlight."""

    sql: str
    params: tuple
    chinese_terms: tuple[str, ...]
    latin_terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.chinese_terms and not self.latin_terms


def parse_query(text: str) -> ParsedQuery:
    """Every Chinese run must occur as a phrase of its bigrams, and every English word (stemmed).

    No user text is ever put into the SQL string: the terms travel as parameters of
    phraseto_tsquery/plainto_tsquery, which ignore operators, so a query cannot break the SQL
    or the tsquery syntax.
    """
    text = (text or "")[:MAX_QUERY_LENGTH]
    chinese_terms = tuple(dict.fromkeys(CJK_RUN.findall(text)))
    latin_terms = tuple(
        dict.fromkeys(w.lower() for w in LATIN_WORD.findall(CJK_RUN.sub(" ", text)))
    )
    parts, params = [], []
    for run in chinese_terms:
        if len(run) == 1:
            # One character: any bigram that starts with it (a prefix query on the token).
            parts.append("to_tsquery('simple', quote_literal(%s) || ':*')")
            params.append(run)
        else:
            parts.append("phraseto_tsquery('simple', %s)")
            params.append(" ".join(cjk_bigrams(run)))
    if latin_terms:
        parts.append("plainto_tsquery('english', %s)")
        params.append(" ".join(latin_terms))
    sql = " && ".join(f"({part})" for part in parts) or "''::tsquery"
    return ParsedQuery(sql, tuple(params), chinese_terms, latin_terms)


def matching(queryset: QuerySet, query: ParsedQuery, *, table: str) -> QuerySet:
    """The rows of `queryset` whose vector matches, with their ts_rank as `rank`."""
    column = f'"{table}"."search_vector"'
    return queryset.filter(
        RawSQL(f"{column} @@ ({query.sql})", query.params, output_field=BooleanField())
    ).annotate(rank=RawSQL(f"ts_rank({column}, ({query.sql}))", query.params, FloatField()))


# --- highlighting --------------------------------------------------------------------------------


def _term_pattern(query: ParsedQuery) -> re.Pattern | None:
    alternatives = [re.escape(term) for term in query.chinese_terms]
    # English is stemmed in the index: "licences" matched "licence", so mark words that share
    # the query word's stem-ish beginning.
    for word in query.latin_terms:
        stem = word if len(word) <= 4 else word[: max(4, len(word) - 2)]
        alternatives.append(rf"\b{re.escape(stem)}[\w'’-]*")
    if not alternatives:
        return None
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, query: ParsedQuery, *, length: int = SNIPPET_CHARACTERS) -> SafeString:
    """A snippet of `text` around the first match, HTML-escaped, matches wrapped in <mark>.

    Every piece of the text is escaped before any tag is added, so a publication's text can
    never inject markup into the results page.
    """
    text = " ".join((text or "").split())
    pattern = _term_pattern(query)
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - length // 3)
    end = min(len(text), start + length)
    window = text[start:end]
    pieces, cursor = [], 0
    for match in pattern.finditer(window) if pattern else ():
        pieces.append(escape(window[cursor : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        cursor = match.end()
    pieces.append(escape(window[cursor:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)


# --- the search ----------------------------------------------------------------------------------

MAX_RANKED = 500
# How the MAX_RANKED most recent matches are read depends on how many publications match
# (newest_matching_ids): a term that matches at most FEW_MATCHES, or a share of at least
# COMMON_SHARE of the publications, is read in one query as PostgreSQL plans it; one in between
# is read within the shortest of RECENT_WINDOWS_DAYS expected to hold WINDOW_MATCHES matches.
FEW_MATCHES = 4 * MAX_RANKED
COMMON_SHARE = 0.05
WINDOW_MATCHES = 3 * MAX_RANKED // 2
RECENT_WINDOWS_DAYS = tuple(2**n for n in range(11))  # 1 day … 1,024 days
GUIDE_KIND = "guide"  # the kind filter's value for "service guides only"
CATALOGUE_HITS_SHOWN = 5


@dataclass
class SearchHit:
    title: SafeString
    snippet: SafeString
    url: str
    kind_label: str
    department: str
    date: date | None
    rank: float


@dataclass
class SearchResults:
    query: ParsedQuery
    page: Page | None = None
    hits: list[SearchHit] = field(default_factory=list)
    guides: list[SearchHit] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.page.paginator.count if self.page else 0

    @property
    def total_is_capped(self) -> bool:
        """True when more publications match than are ranked (the most recent MAX_RANKED)."""
        return self.total >= MAX_RANKED


def newest_matching_ids(publications: QuerySet, query: ParsedQuery) -> list[int]:
    """The ids of the MAX_RANKED most recently published of `publications` that match, newest first.

    Relevance is ranked among these only, so that a query's cost does not grow with the
    archive; narrowing the search (a second word, a department, dates) reaches older ones.

    For a term in a share f of N publications, one query costs either MAX_RANKED / f rows
    (walking the published_at index backwards and checking each row's vector) or f × N index
    entries plus f × N rows (every match from the GIN index, read to sort them by date). The
    first is cheap for a common term and the second for a rare one, but for a term in about 1%
    of a million publications both read tens of thousands of rows. For such a term the query
    is bounded to the most recent window of dates that PostgreSQL's statistics expect to hold
    WINDOW_MATCHES: the GIN index ANDed with the published_at index reads only the
    matches inside it. If the window holds fewer than MAX_RANKED after all, the unbounded query
    runs, so the result is the same whichever way it is read.
    """
    matches = matching(publications, query, table="disclosure_publication")
    sql, params = matches.order_by().values_list("pk", "published_at").query.sql_with_params()
    since = _recent_window_start(publications, sql, params)
    if since is not None:
        newest = _newest(sql, params, since)
        if len(newest) >= MAX_RANKED:
            return newest
    return _newest(sql, params, None)


def _newest(sql: str, params: tuple, since) -> list[int]:
    window = "WHERE published_at >= %s" if since is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pk FROM ({sql}) AS matches {window}"
            f" ORDER BY published_at DESC LIMIT {MAX_RANKED}",
            [*params, *([since] if since is not None else [])],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _recent_window_start(publications: QuerySet, sql: str, params: tuple):
    """Where to start reading a middling term's matches, or None to read them unbounded.

    From PostgreSQL's own estimates (EXPLAIN: planned, not run): its statistics on the search
    vector hold the share of each common lexeme, and those on published_at the dates.
    """
    matched = _estimated_rows(f"SELECT pk FROM ({sql}) AS matches", params)
    if matched <= FEW_MATCHES:
        return None
    total = _estimated_rows(*publications.order_by().values_list("pk").query.sql_with_params())
    if matched >= COMMON_SHARE * total:
        return None
    # The smallest window expected to hold enough, by bisection: the estimates grow with the
    # window, and each costs a planning.
    now = timezone.now()
    found, low, high = None, 0, len(RECENT_WINDOWS_DAYS) - 1
    while low <= high:
        middle = (low + high) // 2
        start = now - timedelta(days=RECENT_WINDOWS_DAYS[middle])
        expected = _estimated_rows(
            f"SELECT pk FROM ({sql}) AS matches WHERE published_at >= %s", [*params, start]
        )
        if expected >= WINDOW_MATCHES:
            found, high = start, middle - 1
        else:
            low = middle + 1
    return found


def _estimated_rows(sql: str, params) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


def search(
    text: str,
    *,
    department_id: int | None = None,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page_number: int | str | None = 1,
    per_page: int = 20,
) -> SearchResults:
    """Public publications and service guides matching `text`, best first.

    `kind` narrows to one kind of publication, or to GUIDE_KIND for the guides alone; guides
    are shown on the first page of publications only.
    """
    query = parse_query(text)
    results = SearchResults(query=query)
    if query.is_empty:
        return results
    if kind != GUIDE_KIND:
        publications = _filtered_publications(
            department_id=department_id, kind=kind, date_from=date_from, date_to=date_to
        )
        results.page = _ranked_page(publications, query, page_number, per_page)
        results.hits = [_publication_hit(p, query) for p in results.page.object_list]
    on_first_page = results.page is None or results.page.number == 1
    if (not kind or kind == GUIDE_KIND) and on_first_page:
        results.guides = _guide_hits(
            query, department_id=department_id, date_from=date_from, date_to=date_to
        )
    return results


# --- publications --------------------------------------------------------------------------------


def _filtered_publications(
    *, department_id: int | None, kind: str, date_from: date | None, date_to: date | None
) -> QuerySet:
    """The public publications the search's filters leave, before any text is matched."""
    publications = public_publications()
    if department_id:
        publications = publications.filter(department_id=department_id)
    if kind:
        publications = publications.filter(kind=kind)
    if date_from:
        publications = publications.filter(published_at__date__gte=date_from)
    if date_to:
        publications = publications.filter(published_at__date__lte=date_to)
    return publications


def _ranked_page(
    publications: QuerySet, query: ParsedQuery, page_number: int | str | None, per_page: int
) -> Page:
    """Page `page_number` of the newest matches (newest_matching_ids), by relevance."""
    newest = newest_matching_ids(publications, query)
    ranked = matching(
        Publication.objects.filter(pk__in=newest).select_related("department"),
        query,
        table="disclosure_publication",
    ).order_by("-rank", "-published_at", "-id")
    paginator = Paginator(ranked, per_page)
    paginator.count = len(newest)  # they match by construction: no need to count again
    return paginator.get_page(page_number)


def _publication_hit(publication: Publication, query: ParsedQuery) -> SearchHit:
    published_at = publication.published_at
    return SearchHit(
        title=highlight(publication.title, query, length=200),
        snippet=highlight(publication.body, query),
        url=publication.get_absolute_url(),
        kind_label=publication.get_kind_display(),
        department=publication.department.display_name,
        date=published_at.date() if published_at else None,
        rank=publication.rank,
    )


# --- service guides ------------------------------------------------------------------------------


def _guide_hits(
    query: ParsedQuery,
    *,
    department_id: int | None,
    date_from: date | None,
    date_to: date | None,
) -> list[SearchHit]:
    """The CATALOGUE_HITS_SHOWN best matching guides of published items; the dates are those
    of the item's last change."""
    entries = searchable_guides(department_id=department_id)
    if date_from:
        entries = entries.filter(item__updated_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(item__updated_at__date__lte=date_to)
    found = matching(entries, query, table="disclosure_cataloguesearchentry").order_by(
        "-rank", "item__code"
    )
    return [_guide_hit(entry, query) for entry in found[:CATALOGUE_HITS_SHOWN]]


def _guide_hit(entry: CatalogueSearchEntry, query: ParsedQuery) -> SearchHit:
    item = entry.item
    return SearchHit(
        title=highlight(item.display_name, query, length=200),
        snippet=highlight(" ".join([item.summary, item.legal_basis, item.conditions]), query),
        url=item.get_absolute_url(),
        kind_label="",
        department="",
        date=None,
        rank=entry.rank,
    )
