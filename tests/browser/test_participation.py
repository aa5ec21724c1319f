"""Consultations and the elderly-friendly mode in a real browser, in English and in Chinese.

A citizen switches to the elderly mode from the header, finds the demo consultation, logs in
and comments, answering a question; a reviewer of the General Office moderates it; the public
then reads it with the name masked. Every page passes axe-core and the landmark and 360 px
checks (conftest.check_page) on the way, in the elderly mode where the citizen uses it. Other
tests check what the mode promises and only a browser can measure: type of at least 18 px,
large targets, and the switch without JavaScript.
"""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from disclosure.models import Consultation, ConsultationComment
from portal.demo import DEMO_PASSWORD, load_demo
from tests.authentication import current_code
from tests.browser.conftest import PHONE, check_page

pytestmark = pytest.mark.django_db(transaction=True)

HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}
BROWSER_LOCALE = {"en": "en-GB", "zh-hans": "zh-CN"}
COMMENT = "建议第三条写明3个工作日从受理之日起算，并在网上公布每件的办理进度。"
ANSWER = "材料要交好几次，希望一次办好。"

# What the elderly mode promises, measured on the page as drawn.
SMALLEST_TEXT_PX = 18
SMALLEST_TARGET_PX = 44


@pytest.fixture
def demo(live_server):
    load_demo()


def at(path_pattern: str) -> re.Pattern:
    return re.compile(path_pattern + r"(#.*)?$")


def switch_to_elderly_mode(page) -> None:
    page.locator("form.mode-switch button[value=on]").click()
    page.wait_for_function("() => document.documentElement.classList.contains('elderly')")


def small_text(page) -> list[str]:
    """Visible text drawn smaller than SMALLEST_TEXT_PX: each element's tag, class and size."""
    return page.evaluate(
        """(least) => {
            const small = new Set();
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, element = node.parentElement;
                if (!node.textContent.trim() || !element) continue;
                const box = element.getBoundingClientRect();
                const style = getComputedStyle(element);
                if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
                if (element.closest('.visually-hidden, .skip-link')) continue;
                const size = parseFloat(style.fontSize);
                if (size < least) small.add(`${element.tagName}.${element.className} ${size}px`);
            }
            return Array.from(small);
        }""",
        SMALLEST_TEXT_PX,
    )


def small_targets(page) -> list[str]:
    """Buttons, fields and navigation links drawn lower than SMALLEST_TARGET_PX."""
    return page.evaluate(
        """(least) => Array.from(document.querySelectorAll(
                'button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]),'
                + ' select, textarea, nav a, .button'))
            .filter(e => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height < least; })
            .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30))""",
        SMALLEST_TARGET_PX,
    )


def check_elderly_page(page, name: str, *, shot: str | None = None) -> None:
    check_page(page, name, shot=shot)
    assert page.evaluate("() => document.documentElement.classList.contains('elderly')"), name
    assert not small_text(page), f"{name}: text under 18 px: {small_text(page)}"
    assert not small_targets(page), f"{name}: small targets {small_targets(page)}"


def log_in(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    if "/accounts/verify/" in page.url:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.fill("#id_code", current_code(device))
        page.press("#id_code", "Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_citizen_comments_in_the_elderly_mode_and_the_public_reads_it_masked(
    language, demo, new_context
):
    shots = language == "zh-hans"  # README screenshots come from the Chinese run
    consultation = Consultation.objects.get()
    path = consultation.get_absolute_url()
    question = consultation.questions.order_by("order").first()

    # --- The citizen, in the elderly mode from the home page on -------------------------------
    citizen = new_context(locale=BROWSER_LOCALE[language]).new_page()
    citizen.goto("/")
    assert citizen.locator("html").get_attribute("lang") == HTML_LANG[language]
    switch_to_elderly_mode(citizen)
    check_elderly_page(citizen, "home, elderly mode", shot="home-elderly" if shots else None)

    citizen.locator("nav.site-nav a[href='/disclosure/consultations/']").click()
    citizen.wait_for_url(at(r"/disclosure/consultations/"))
    check_elderly_page(citizen, "consultations, elderly mode")
    citizen.locator(f"main a[href='{path}']").first.click()
    citizen.wait_for_url(at(path))
    check_elderly_page(
        citizen, "consultation, elderly mode", shot="consultation-elderly" if shots else None
    )

    citizen.locator(f"main a[href^='/accounts/login/?next={path}']").click()
    log_in(citizen, "zhangsan")
    citizen.wait_for_url(at(path))
    check_elderly_page(citizen, "consultation with the comment form, elderly mode")
    citizen.fill("#id_body", COMMENT)
    citizen.fill(f"#id_answer_{question.pk}", ANSWER)
    citizen.locator("main form button[type=submit].primary").click()
    citizen.wait_for_url(at(path))
    comment = ConsultationComment.objects.get(author__username="zhangsan", body=COMMENT)
    assert comment.state == ConsultationComment.State.PENDING
    assert COMMENT in citizen.locator("#your-comments").inner_text()
    check_elderly_page(citizen, "consultation after commenting, elderly mode")

    # --- The General Office moderates ---------------------------------------------------------
    reviewer = new_context(locale=BROWSER_LOCALE[language]).new_page()
    reviewer.goto("/accounts/login/?next=/disclosure/staff/consultations/")
    log_in(reviewer, "reviewer-general-office")
    reviewer.wait_for_url(at(r"/disclosure/staff/consultations/"))
    check_page(reviewer, "consultations of my departments")
    reviewer.locator(f"main a[href='/disclosure/staff/consultations/{consultation.pk}/']").click()
    reviewer.wait_for_url(at(rf"/disclosure/staff/consultations/{consultation.pk}/"))
    check_page(reviewer, "moderation", shot="consultation-moderation" if shots else None)
    pending = reviewer.locator("li.comment", has_text=COMMENT)
    pending.locator("input[value=publish]").check()
    pending.locator("button[type=submit]").click()
    reviewer.wait_for_url(at(rf"/disclosure/staff/consultations/{consultation.pk}/"))
    comment.refresh_from_db()
    assert comment.state == ConsultationComment.State.PUBLISHED

    # --- Anyone reads it, the name masked ------------------------------------------------------
    public = new_context(locale=BROWSER_LOCALE[language]).new_page()
    public.goto(path)
    check_page(public, "consultation", shot="consultation" if shots else None)
    comments = public.locator("#comments").inner_text()
    assert COMMENT in comments and ANSWER in comments
    assert "张*" in comments and "张三" not in comments


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_filing_pages_in_the_elderly_mode_are_large_and_explained(language, demo, new_context):
    """The guide and the application form, with the plain-language help, on a desktop and on
    a 360 px phone; and the other public pages an elderly visitor opens first."""
    page = new_context(locale=BROWSER_LOCALE[language]).new_page()
    page.goto("/services/")
    switch_to_elderly_mode(page)
    for path in ["/services/", "/disclosure/", "/accounts/login/"]:
        page.goto(path)
        check_elderly_page(page, f"{path}, elderly mode")

    page.goto("/services/business-startup/")
    assert page.locator(".elderly-help").is_visible()
    check_elderly_page(page, "guide, elderly mode")
    page.locator("main a[href^='/accounts/login/']").first.click()
    log_in(page, "hefei-demo-tech")
    page.wait_for_url(at(r"/services/business-startup/"))
    page.locator("form[action='/services/business-startup/apply/'] button").click()
    page.wait_for_url(at(r"/applications/\d+/edit/"))
    assert page.locator(".elderly-help").is_visible()
    check_elderly_page(page, "application form, elderly mode", shot=None)
    page.set_viewport_size(PHONE)
    assert not small_targets(page)


def test_the_switch_works_without_javascript_and_is_remembered(demo, new_context):
    page = new_context(locale="zh-CN", java_script_enabled=False).new_page()
    page.goto("/disclosure/decisions/")

    page.locator("form.mode-switch button[value=on]").click()

    page.wait_for_url(at(r"/disclosure/decisions/"))
    assert page.locator("html").get_attribute("class") == "elderly"
    page.goto("/services/")  # another page, the next visit: still on
    assert page.locator("html").get_attribute("class") == "elderly"
    page.locator("form.mode-switch button[value=off]").click()
    page.wait_for_url(at(r"/services/"))
    assert page.locator("html").get_attribute("class") is None
