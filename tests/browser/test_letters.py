"""A letter to the government in a real browser, in English and in Chinese, in the elderly mode.

A citizen, in the elderly-friendly mode, writes from the home page; the service centre's clerk
triages it on the task page; the department's reviewer answers; the citizen reads the answer
and rates it; the public reads the published letter with the name masked. Every page passes
axe-core and the landmark and 360 px checks (conftest.check_page) on the way; the writer's
pages also the elderly mode's large type and targets.
"""

import pytest

from approvals.models import ReviewTask
from services.models import Letter
from tests.browser.conftest import check_page
from tests.browser.test_participation import (
    BROWSER_LOCALE,
    HTML_LANG,
    at,
    check_elderly_page,
    log_in,
    switch_to_elderly_mode,
)

pytestmark = pytest.mark.django_db(transaction=True)

TOPIC = "关于在潜山路增设无障碍坡道的建议"
BODY = "潜山路与长江西路交口的人行道没有坡道，推轮椅的老人只能走机动车道，很危险。建议尽快增设。"
ANSWER = "感谢您的建议。我局已安排在下月完成该路口两处无障碍坡道的施工。"


@pytest.fixture
def demo(live_server):
    from portal.demo import load_demo

    load_demo()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_citizen_writes_in_the_elderly_mode_and_the_answer_is_published_masked(
    language, demo, new_context
):
    shots = language == "zh-hans"  # README screenshots come from the Chinese run
    locale = BROWSER_LOCALE[language]

    # --- The citizen writes, in the elderly mode -------------------------------------------------
    citizen = new_context(locale=locale).new_page()
    citizen.goto("/")
    assert citizen.locator("html").get_attribute("lang") == HTML_LANG[language]
    switch_to_elderly_mode(citizen)
    citizen.locator("main a[href='/letters/write/']").click()
    log_in(citizen, "zhangsan")
    citizen.wait_for_url(at(r"/letters/write/"))
    assert citizen.locator(".elderly-help").is_visible()
    check_elderly_page(
        citizen, "write a letter, elderly mode", shot="letter-write" if shots else None
    )
    citizen.locator("input[name=kind][value=suggestion]").check()
    citizen.fill("#id_topic", TOPIC)
    citizen.fill("#id_body", BODY + "<script>alert(1)</script>")
    citizen.select_option("#id_department", "housing")
    citizen.locator("#id_consent_to_publish").check()
    citizen.locator("main form button[type=submit].primary").click()
    citizen.wait_for_url(at(r"/letters/\d+/"))
    letter = Letter.objects.get(topic=TOPIC)
    assert "<script>alert(1)</script>" in citizen.locator("main").inner_text()
    check_elderly_page(citizen, "the writer's letter, elderly mode")

    # --- The service centre triages it (routed by the live server's worker or here) ------------
    from approvals.routing import route_application

    route_application(letter.pk)  # idempotent: a no-op if the worker was first
    triage = ReviewTask.objects.get(application_id=letter.pk, stage_order=0)
    clerk = new_context(locale=locale).new_page()
    clerk.goto(f"/accounts/login/?next=/staff/tasks/{triage.pk}/")
    log_in(clerk, "centre")
    clerk.wait_for_url(at(rf"/staff/tasks/{triage.pk}/"))
    check_page(clerk, "triage", shot="letter-triage" if shots else None)
    assert clerk.locator("input[name=departments]:checked").count() == 1  # the writer's choice
    clerk.locator("main form button[type=submit].primary").click()
    clerk.wait_for_url(at(r"/staff/"))

    # --- The department answers ------------------------------------------------------------------
    task = ReviewTask.objects.get(application_id=letter.pk, stage_order=1)
    reviewer = new_context(locale=locale).new_page()
    reviewer.goto(f"/accounts/login/?next=/staff/tasks/{task.pk}/")
    log_in(reviewer, "reviewer-housing")
    reviewer.wait_for_url(at(rf"/staff/tasks/{task.pk}/"))
    check_page(reviewer, "answer a letter")
    reviewer.fill("#id_answer", ANSWER)
    reviewer.locator("main form button[type=submit].primary").click()
    reviewer.wait_for_url(at(r"/staff/"))

    # --- The writer reads the answer and rates it --------------------------------------------------
    citizen.goto(f"/letters/{letter.pk}/")
    assert ANSWER in citizen.locator("main").inner_text()
    check_elderly_page(citizen, "the answered letter, elderly mode")
    citizen.locator("input[name=satisfaction][value=satisfied]").check()
    citizen.locator("main form[action$='/rating/'] button[type=submit]").click()
    citizen.wait_for_url(at(rf"/letters/{letter.pk}/"))
    letter.refresh_from_db()
    assert letter.satisfaction == "satisfied"

    # --- Anyone reads it, the name masked -----------------------------------------------------------
    public = new_context(locale=locale).new_page()
    public.goto("/disclosure/letters/")
    check_page(public, "published letters")
    public.locator("main a", has_text=TOPIC).click()
    public.wait_for_url(at(r"/disclosure/letters/\d+/"))
    check_page(public, "a published letter", shot="letter-published" if shots else None)
    text = public.locator("main").inner_text()
    assert ANSWER in text and "张*" in text and "张三" not in text
