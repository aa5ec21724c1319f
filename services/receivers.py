"""The public catalogue pages are cached for anonymous visitors (common/page_cache.py); any
change to what they show makes them stale, whoever makes it: the admin, the demo seed,
`loaddata` or a management command. (A data migration uses historical models, which send
these receivers nothing; it comes with a new release, whose pages have keys of their own.)"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import Department
from common.page_cache import page_changed

from .models import (
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
    Theme,
)

CATALOGUE_PAGES = "catalogue"

# Everything services/catalogue.html and services/guide.html read (an implementation: the
# region, the accepting department; also which items a reviewer's queue offers to filter by).
# QuerySet.update() sends no signal: code that changes these rows in bulk calls
# catalogue_changed() itself.
SHOWN_IN_THE_CATALOGUE = (
    ServiceItem,
    ItemImplementation,
    Material,
    FormField,
    ReviewStage,
    StageDepartment,
    Theme,
)


def catalogue_changed(**_signal_arguments) -> None:
    # At once, so that this transaction's own requests see the change; and again after the
    # commit, because a page rendered meanwhile by another request read the rows as they were
    # before the commit, under the first new version.
    page_changed(CATALOGUE_PAGES)
    transaction.on_commit(lambda: page_changed(CATALOGUE_PAGES))


def connect() -> None:
    from accounts.models import EnterpriseMember

    from .parties import member_removed

    # A removed member keeps nothing on the enterprise's cases (issue 17 §3).
    post_delete.connect(
        member_removed, sender=EnterpriseMember, dispatch_uid="party-member-removed"
    )
    for model in (*SHOWN_IN_THE_CATALOGUE, Department):
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"pages-{model.__name__}")
        post_delete.connect(
            catalogue_changed, sender=model, dispatch_uid=f"pages-del-{model.__name__}"
        )
