"""Accessibility in a real browser: every page through axe-core and at 360 px, the keyboard
alone, and the portal without JavaScript.

The journey (test_journey.py) checks the key pages in the states a case goes through; these
tests sweep the remaining pages and check what axe-core cannot: where focus goes, whether it
can be seen, and that the forms and the language switcher work with JavaScript switched off.
"""

import re
from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from disclosure.selectors import public_publications
from portal.demo import DEMO_PASSWORD, ITEMS, load_demo
from services.models import Application
from tests.authentication import current_code
from tests.browser.conftest import PHONE, check_page
from tests.factories import PDF_BYTES, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}
BROWSER_LOCALE = {"en": "en-GB", "zh-hans": "zh-CN"}
DEMO_ENTERPRISE = "hefei-demo-tech"


@pytest.fixture
def demo(live_server):
    load_demo()


def log_in(page, username: str, *, next_path: str = "/") -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    if page.url.split("?")[0].endswith("/accounts/verify/"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.fill("#id_code", current_code(device))
        page.press("#id_code", "Enter")
    page.wait_for_load_state()
    assert "/accounts/" not in page.url, f"{username} could not log in"


def focused(page, selector: str) -> bool:
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key on {page.url}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_other_page_passes_axe_and_fits_a_phone(language, demo, new_context):
    """Pages the journey does not visit: the rest of the catalogue and disclosure, account
    pages, the staff's head desk and publishing form, and the error page."""
    notice = public_publications().first()
    public_paths = [
        *(f"/services/{spec['code']}/" for spec in ITEMS),
        "/services/?q=%E8%AE%B8%E5%8F%AF",  # a search: 许可
        "/disclosure/publications/",
        notice.get_absolute_url(),
        "/disclosure/search/?q=%E8%AE%B8%E5%8F%AF",  # full-text search: 许可
        "/disclosure/statistics/",
        "/disclosure/certificates/verify/",
        "/disclosure/certificates/verify/?number=ZZ000000000000",  # not found
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/password/forgotten/",
        "/no-such-page/",
    ]
    page = new_context(locale=BROWSER_LOCALE[language]).new_page()
    for path in public_paths:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == HTML_LANG[language]
        check_page(page, path)
    # The second step of a forgotten password, reached as a person reaches it.
    page.goto("/accounts/password/forgotten/")
    page.fill("#id_login", "zhangsan")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/password/forgotten/code/"))
    check_page(page, "/accounts/password/forgotten/code/")

    applicant = new_context(locale=BROWSER_LOCALE[language]).new_page()
    log_in(applicant, DEMO_ENTERPRISE)
    for path in ["/applications/", "/accounts/", "/accounts/password/"]:
        applicant.goto(path)
        check_page(applicant, path)

    head = new_context(locale=BROWSER_LOCALE[language]).new_page()
    log_in(head, "head-market", next_path="/staff/")
    for path in [
        "/staff/",
        "/staff/?state=approved",
        "/staff/head/",
        "/disclosure/publications/new/",
    ]:
        head.goto(path)
        check_page(head, path)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_main_content(demo, new_context):
    page = new_context(locale="zh-CN").new_page()
    page.goto("/services/")

    page.keyboard.press("Tab")

    assert focused(page, "a.skip-link[href='#main']")
    box = page.locator("a.skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 0, "the skip link stays off screen when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')")


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/services/business-startup/"])
def test_keyboard_focus_is_visible_on_every_tab_stop(path, demo, new_context):
    """Each element the Tab key reaches gets a focus ring at least 2 px wide."""
    page = new_context(locale="en-GB").new_page()
    page.goto(path)
    stops = page.evaluate(
        "() => document.querySelectorAll('a[href], button, input:not([type=hidden]), select,"
        " textarea, summary').length"
    )
    seen = set()
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => {
                const e = document.activeElement, s = getComputedStyle(e);
                return {
                    name: e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 30),
                    outline: s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0,
                    shadow: s.boxShadow !== 'none',
                };
            }"""
        )
        if ring["name"].startswith("BODY"):
            break  # went round the page
        seen.add(ring["name"])
        assert ring["outline"] >= 2 or ring["shadow"], f"no visible focus on {ring['name']}"
    assert len(seen) >= 5


def test_keyboard_alone_switches_language_logs_in_and_starts_an_application(demo, new_context):
    page = new_context(locale="zh-CN").new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    tab_to(page, ".lang-switch button[value=en]")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.documentElement.lang === 'en'")

    tab_to(page, "nav.site-nav a[href^='/accounts/login/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    tab_to(page, "#id_username")
    page.keyboard.type(DEMO_ENTERPRISE)
    page.keyboard.press("Tab")
    assert focused(page, "#id_password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")

    tab_to(page, "nav.site-nav a[href='/services/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/$"))
    tab_to(page, "main a[href='/services/business-startup/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/business-startup/$"))
    tab_to(page, "form[action='/services/business-startup/apply/'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/\d+/edit/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    # The demo enterprise also wrote a letter (portal/demo.py): count its start-ups only.
    started = Application.objects.filter(
        applicant__username=DEMO_ENTERPRISE, item__code="business-startup"
    )
    assert started.count() == 1


def test_language_switcher_works_without_javascript(demo, new_context):
    page = new_context(locale="en-GB", java_script_enabled=False).new_page()
    page.goto("/disclosure/decisions/")
    assert page.locator("html").get_attribute("lang") == "en"

    page.locator(".lang-switch button[value=zh-hans]").click()

    page.wait_for_url(re.compile(r"/disclosure/decisions/$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert (
        page.locator(".lang-switch button[value=zh-hans]").get_attribute("aria-pressed") == "true"
    )


def test_filing_works_without_javascript_and_errors_lead_to_each_field(demo, new_context):
    """With JavaScript off, an incomplete submission lists every problem, each linked to its
    field, and a complete one gets its tracking number, on a 360 px phone."""
    page = new_context(locale="zh-CN", java_script_enabled=False, viewport=PHONE).new_page()
    log_in(page, DEMO_ENTERPRISE)
    page.goto("/services/business-startup/")
    page.locator("form[action='/services/business-startup/apply/'] button").click()
    page.wait_for_url(re.compile(r"/applications/\d+/edit/$"))

    page.fill("#id_company_name", "合肥示范科技有限公司")
    page.locator("button[name=submit]").click()

    # Focus starts on the summary (autofocus, no script): the list of problems comes first.
    page.wait_for_load_state()
    assert wait_until(
        lambda: page.evaluate("() => document.activeElement.id") == "error-summary", timeout=3
    )
    links = page.locator("#error-summary a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # Five answers and three materials are missing; the one given is not listed.
    assert len(targets) == 8
    assert "#id_company_name" not in targets
    for target in targets:
        field = page.locator(target)
        assert field.count() == 1, f"{target} points nowhere"
        assert field.get_attribute("aria-invalid") == "true", f"{target} is not marked invalid"
    assert page.locator("#id_company_name").input_value() == "合肥示范科技有限公司"

    page.fill("#id_registered_capital", "50")
    page.fill("#id_business_scope", "软件开发。")
    page.fill("#id_legal_representative", "李四")
    page.fill("#id_address", "安徽省合肥市高新区望江西路1号")
    page.select_option("#id_needs_invoices", "no")
    for code in ("articles", "premises", "legal-rep-id"):
        page.set_input_files(
            f"#id_material__{code}",
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
        )
    page.locator("button[name=submit]").click()

    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    application = Application.objects.get(
        applicant__username=DEMO_ENTERPRISE, item__code="business-startup"
    )
    assert application.tracking_number in page.locator(".messages").inner_text()
