"""The applicant reads how each due date was counted, on the status page, in both languages:
the explanation opens from its summary, passes axe-core and fits a 360 px phone."""

import pytest

from accounts.models import User
from portal.demo import load_demo
from services.models import ServiceItem
from tests.browser.conftest import check_page
from tests.browser.test_participation import BROWSER_LOCALE, log_in
from tests.factories import routed_application

HEADING = {"en": "How the due dates are counted", "zh-hans": "截止日期如何计算"}
WEEKEND = {"en": "weekend, not counted", "zh-hans": "周末，不计入"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_zhangsan_reads_how_his_residence_permit_is_counted(language, live_server, new_context):
    load_demo()
    application = routed_application(
        ServiceItem.objects.get(code="residence-permit"),
        User.objects.get(username="zhangsan"),
        answers={
            "current_address": "安徽省合肥市蜀山区长江西路100号",
            "moved_in_on": "2025-03-01",
            "basis": "合法稳定住所",
            "employer": "",
        },
    )
    page = new_context(locale=BROWSER_LOCALE[language]).new_page()
    page.goto("/accounts/login/")
    log_in(page, "zhangsan")

    page.goto(f"/applications/{application.pk}/")
    section = page.locator("section[aria-labelledby=counting-heading]")
    assert section.locator("h2").inner_text() == HEADING[language]
    for summary in section.locator("summary").all():
        summary.click()

    assert WEEKEND[language] in section.inner_text()
    check_page(page, "status page, due dates explained", shot=f"deadline-explanation-{language}")
