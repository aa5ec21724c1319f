"""Who files for whom, in a real browser, in English and in Chinese (issue 17).

The demo citizen 张三 founds a company: he files "Business start-up" through the pages, and the
status page names the company he named in the form as the licensed party, not his account.
His agent 赵六 (demo account zhaoliu, authorised by 张三 for every service) chooses 张三 under
"Apply for" on a guide page and files in his name; 张三 then finds that case among his own.
Every page on the way passes axe-core and the landmark and 360 px checks (conftest.check_page).
"""

import re

import pytest

from accounts.models import User
from portal.demo import load_demo
from services.models import Application, FilingCapacity
from tests.browser.conftest import check_page
from tests.browser.test_journey import at, pdf, png
from tests.browser.test_participation import BROWSER_LOCALE, log_in

pytestmark = pytest.mark.django_db(transaction=True)

COMPANY = "合肥巢湖新语信息技术有限公司"
LICENSED_PARTY = {"en": "Licensed party", "zh-hans": "行政相对人"}
FILED_BY = {"en": "Filed by", "zh-hans": "办理人"}
AGENT_FOR_ZHANGSAN = {"en": "赵六 (agent) for 张三", "zh-hans": "赵六（代办人）代张三办理"}


def status_term(page, term: str) -> str:
    """The text of the status page's summary entry under `term` (its <dt>)."""
    return page.locator(f"main dl div:has(> dt:text-is('{term}')) dd").inner_text()


@pytest.fixture
def demo(live_server):
    load_demo()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_zhangsan_founds_a_company_which_is_the_licensed_party(language, demo, new_context):
    shots = language == "zh-hans"  # README screenshots come from the Chinese run
    page = new_context(locale=BROWSER_LOCALE[language]).new_page()
    page.goto("/services/business-startup/")
    page.locator("main a[href^='/accounts/login/']").first.click()
    log_in(page, "zhangsan")
    page.wait_for_url(at(r"/services/business-startup/"))
    # A citizen files for a company that does not exist yet: the guide says whose licence it is.
    check_page(page, "guide, a founder logged in")

    page.locator("main form[action='/services/business-startup/apply/'] button.primary").click()
    page.wait_for_url(at(r"/applications/\d+/edit/"))
    application_id = int(re.search(r"/applications/(\d+)/edit/", page.url).group(1))
    page.fill("#id_company_name", COMPANY)
    page.fill("#id_registered_capital", "50")
    page.fill("#id_business_scope", "软件开发；信息系统集成服务。")
    page.fill("#id_legal_representative", "张三")
    page.fill("#id_address", "安徽省合肥市蜀山区长江西路100号")
    page.select_option("#id_needs_invoices", "yes")
    page.set_input_files("#id_material__articles", pdf("公司章程.pdf"))
    page.set_input_files("#id_material__premises", png("租赁合同.png"))
    page.set_input_files("#id_material__legal-rep-id", pdf("法定代表人身份证.pdf"))
    check_page(page, "application form, a founder")
    page.locator("button[name=submit]").click()
    page.wait_for_url(at(rf"/applications/{application_id}/"))

    application = Application.objects.get(pk=application_id)
    assert application.status == Application.Status.SUBMITTED
    assert application.applicant.username == "zhangsan"
    assert application.subject.name == COMPANY
    assert status_term(page, LICENSED_PARTY[language]).strip() == COMPANY
    check_page(page, "status page, a company founded", shot="founder-status" if shots else None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_files_for_zhangsan_who_sees_the_case_as_his(language, demo, new_context):
    shots = language == "zh-hans"
    zhangsan = User.objects.get(username="zhangsan")
    agent = new_context(locale=BROWSER_LOCALE[language]).new_page()
    agent.goto("/accounts/login/?next=/services/residence-permit/")
    log_in(agent, "zhaoliu")
    agent.wait_for_url(at(r"/services/residence-permit/"))
    choice = agent.locator("#on-behalf-of")
    # 赵六 may file for himself, or for 张三 who authorised him.
    assert "张三" in choice.inner_text()
    choice.select_option(label="张三")
    check_page(
        agent, "guide, an agent chooses whom he files for", shot="agent-guide" if shots else None
    )
    agent.locator("main form[action='/services/residence-permit/apply/'] button.primary").click()
    agent.wait_for_url(at(r"/applications/\d+/edit/"))
    application_id = int(re.search(r"/applications/(\d+)/edit/", agent.url).group(1))
    check_page(agent, "application form, filed by an agent")
    agent.fill("#id_current_address", "安徽省合肥市蜀山区长江西路100号")
    agent.fill("#id_moved_in_on", "2025-03-01")
    agent.select_option("#id_basis", "合法稳定住所")
    for material, upload in (
        ("id-card", pdf("身份证.pdf")),
        ("residence-proof", pdf("租赁合同.pdf")),
        ("photo", png("证件照.png")),
    ):
        field = agent.locator(f"#id_material__{material}")
        if field.count():  # the identity card may already be on file (once-only)
            field.set_input_files(upload)
    agent.locator("button[name=submit]").click()
    agent.wait_for_url(at(rf"/applications/{application_id}/"))

    application = Application.objects.get(pk=application_id)
    assert application.status == Application.Status.SUBMITTED
    assert application.applicant == zhangsan
    assert application.filed_by.username == "zhaoliu"
    assert application.filing_capacity == FilingCapacity.AGENT
    assert status_term(agent, FILED_BY[language]) == AGENT_FOR_ZHANGSAN[language]
    check_page(agent, "status page, filed by an agent", shot=None)

    # --- 张三 finds the case filed in his name among his applications ---------------------------
    principal = new_context(locale=BROWSER_LOCALE[language]).new_page()
    principal.goto("/accounts/login/?next=/applications/")
    log_in(principal, "zhangsan")
    principal.wait_for_url(at(r"/applications/"))
    row = principal.locator("main tr", has_text=application.tracking_number)
    assert row.count() == 1
    assert AGENT_FOR_ZHANGSAN[language] in row.inner_text()
    check_page(
        principal, "my applications, a case an agent filed", shot="agent-mine" if shots else None
    )
    row.get_by_role("link").first.click()
    principal.wait_for_url(at(rf"/applications/{application_id}/"))
    assert status_term(principal, FILED_BY[language]) == AGENT_FOR_ZHANGSAN[language]
