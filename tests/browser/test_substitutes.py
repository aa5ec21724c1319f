"""The head names a substitute and reassigns a task, in a real browser, in both languages: the
pages pass axe-core and fit a 360 px phone (screenshots for the staff guide)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Department, User
from approvals.claims import claim_task
from portal.demo import load_demo
from tests.browser.conftest import check_page
from tests.browser.test_participation import BROWSER_LOCALE, log_in
from tests.factories import item_with_stages, reviewer_of, routed_application

NAMED = {"en": "王代理 substitutes for", "zh-hans": "王代理自"}
REASSIGNED = {"en": "is now 王代理", "zh-hans": "已改派给王代理"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_head_names_a_substitute_and_reassigns_a_task(language, live_server, new_context):
    load_demo()
    market = Department.objects.get(code="market")
    absent = User.objects.get(username="reviewer-market")
    substitute = reviewer_of(market, real_name="王代理", username="wang-daili")
    task = routed_application(item_with_stages([[market]])).review_tasks.get(department=market)
    claim_task(task.pk, absent)
    page = new_context(locale=BROWSER_LOCALE[language]).new_page()
    page.goto("/accounts/login/")
    log_in(page, "head-market")

    page.goto("/staff/head/substitutes/")
    page.select_option("#id_department", str(market.pk))
    page.select_option("#id_reviewer", str(absent.pk))
    page.select_option("#id_substitute", str(substitute.pk))
    today = timezone.localdate()
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + timedelta(days=4)).isoformat())
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()

    assert NAMED[language] in page.inner_text("body")
    check_page(page, "substitutes page", shot=f"staff-substitutes-{language}")

    page.goto(f"/staff/tasks/{task.pk}/")
    page.select_option("#id_reassign_reviewer", str(substitute.pk))
    check_page(page, "task page with reassignment", shot=f"staff-reassign-{language}")
    page.locator("form.reassign-form button[type=submit]").click()
    page.wait_for_load_state()

    assert REASSIGNED[language] in page.inner_text("body")
    task.refresh_from_db()
    assert task.claimed_by == substitute
