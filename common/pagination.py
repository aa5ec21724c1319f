"""A paginator for lists too long to count on every page view.

Django's Paginator counts every row to say "page 3 of N". A department's queue holds 150,000
open tasks at a province's scale, and counting them on each view of the queue cost more than
showing its first page. This one counts only up to a bound (LIMIT bound + 1): below it the
count and the page total are exact; above it the page says "more than bound" honestly, and
paging goes on with "next" for as long as rows remain.
"""

from functools import cached_property

from django.core.paginator import Page, Paginator

COUNTED_UP_TO = 1_000
# Past this page a count is exact anyway (PostgreSQL's LIMIT must fit in a bigint).
MOST_PAGES = 1_000_000


class BoundedCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, counted_up_to: int = COUNTED_UP_TO, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted_up_to = counted_up_to

    @cached_property
    def count(self) -> int:
        """The exact count up to `counted_up_to`, else `counted_up_to` + 1 (see count_bounded).

        The list's own order is kept: the index that gives the pages in that order then gives
        the first rows to count, and the scan stops at the bound (a bitmap scan would not).
        """
        limited = self.object_list.values("pk")[: self.counted_up_to + 1]
        return limited.count()

    @property
    def count_bounded(self) -> bool:
        """True when there are more rows than were counted: the total is not known."""
        return self.count > self.counted_up_to


def bounded_page(queryset, number, per_page: int, counted_up_to: int | None = None):
    """Page `number` (a query-string value: anything invalid is page 1) of `queryset`.

    The bound grows with the page asked for, so that a page inside a long list is always
    known not to be the last one: its "next" link is there, and the page is full.
    """
    try:
        asked = min(max(int(number), 1), MOST_PAGES)
    except (TypeError, ValueError):
        asked = 1
    paginator = BoundedCountPaginator(
        queryset, per_page, counted_up_to=max(counted_up_to or COUNTED_UP_TO, asked * per_page)
    )
    return paginator.get_page(number)


def page_already_read(rows: list, count: int, per_page: int) -> Page:
    """Page 1 of a list whose first rows and count (bounded as BoundedCountPaginator bounds it)
    were read together elsewhere (approvals/queue_page.py): what bounded_page() would give."""
    paginator = BoundedCountPaginator(rows, per_page)
    paginator.count = count  # over the cached_property: the count read with the rows
    return Page(rows[:per_page], 1, paginator)
