"""The catalogue's admin pages in a real browser: the implementation's page as tabs with its
review panel, and the list with its filters (issue 16, item 5). Screenshots for the README's
"For administrators" are written with UPDATE_SCREENSHOTS=1 (tests/browser/conftest.py)."""

import pytest

from portal.demo import load_demo
from services.models import ItemImplementation
from tests.browser.conftest import screenshot
from tests.browser.test_participation import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_the_implementation_page_shows_tabs_and_the_review_panel(demo, new_context):
    implementation = ItemImplementation.objects.filter(stages__isnull=False).first()
    page = new_context(locale="zh-CN").new_page()
    page.goto("/accounts/login/?next=/admin/")
    log_in(page, "admin")

    page.goto(f"/admin/services/itemimplementation/{implementation.pk}/change/")

    tabs = page.locator("[role=tab]")
    assert tabs.count() >= 4  # the page's sections, stages, local materials, local fields
    assert page.locator(".catalogue-workflow").is_visible()
    screenshot(page, "admin-implementation")
    tabs.nth(1).click()
    assert page.locator(".catalogue-workflow").is_visible()  # above the tabs, always in view
    assert not page.locator("#id_promised_limit_days").is_visible()
    assert page.locator(".djn-group").first.is_visible()

    page.goto("/admin/services/itemimplementation/")
    assert page.locator("#changelist-filter").is_visible()
    screenshot(page, "admin-implementations")
