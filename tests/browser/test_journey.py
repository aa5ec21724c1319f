"""The whole journey in a real browser, in English and in Chinese.

An enterprise registers, files "Business start-up" with its materials and sees the four
departments appear; the service centre accepts; each department's reviewer logs in with a
password and an authenticator code and approves, the Public Security Bureau asking for a
supplement first; the applicant sends it, sees the decision, downloads the e-certificate and
finds the published decision, without personal data, in the disclosure section.

Every key page passes axe-core and the landmark, heading and 360 px checks on the way
(conftest.check_page). Assertions rest on what does not depend on the translation catalogue:
URLs, element roles and names, ids, the tracking number and the catalogue's own data.
"""

import json
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from approvals.models import Certificate, ReviewTask
from portal.demo import DEMO_PASSWORD, ITEMS, load_demo
from services.models import Application
from tests.authentication import current_code, emailed_code
from tests.browser.conftest import check_page
from tests.factories import PDF_BYTES, PNG_BYTES, valid_credit_code, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BUSINESS_STARTUP = next(spec for spec in ITEMS if spec["code"] == "business-startup")
# The four departments of its one parallel stage, as the demo catalogue names them.
FOUR_DEPARTMENTS = {
    "en": [
        "Administration for Market Regulation",
        "Tax Bureau",
        "Public Security Bureau",
        "Human Resources and Social Security Bureau",
    ],
    "zh-hans": ["市市场监督管理局", "市税务局", "市公安局", "市人力资源和社会保障局"],
}
HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}
BROWSER_LOCALE = {"en": "en-GB", "zh-hans": "zh-CN"}

CONTACT_PERSON = "周晓明"
CONTACT_MOBILE = "13912345678"
LEGAL_REPRESENTATIVE = "陈立新"


def at(path_pattern: str) -> re.Pattern:
    """A page address ending in this path (a #fragment the browser kept may follow)."""
    return re.compile(path_pattern + r"(#.*)?$")


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def png(name: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": PNG_BYTES}


def reload_until(page, condition, *, timeout: float = 15.0) -> None:
    """Reload the page until `condition()` holds: the worker's routing is asynchronous."""
    assert wait_until(lambda: bool(page.reload() and condition()), timeout=timeout, interval=0.3)


def log_in_as_civil_servant(context, username: str):
    """Password, then the code the person's authenticator app shows, typed as they would."""
    page = context.new_page()
    page.goto("/accounts/login/?next=/staff/")
    check_page(page, "login")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/accounts/verify/"))
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    page.fill("#id_code", current_code(device))
    page.press("#id_code", "Enter")
    page.wait_for_url(at(r"/staff/"))
    return page


def open_task(page, tracking_number: str, *, screenshot: str | None = None) -> None:
    """From the queue, open the case by its tracking number, as the reviewer would."""
    page.goto("/staff/")
    check_page(page, "staff queue", shot=screenshot)
    page.get_by_role("link", name=tracking_number).first.click()
    page.wait_for_url(at(r"/staff/tasks/\d+/"))


def decide(page, outcome: str, opinion: str, *, check: bool = False) -> None:
    if check:
        check_page(page, "task detail")
    page.check(f"input[name=outcome][value={outcome}]")
    page.fill("textarea[name=opinion]", opinion)
    page.locator("form:has(input[name=outcome]) button[type=submit]").click()
    page.wait_for_url(at(r"/staff/"))


def a_citizens_residence_permit_decided_meanwhile() -> str:
    """Another case, of the demo citizen 张三, approved through the domain functions while the
    journey runs: the register then holds a natural person, whom it must mask. Its tracking
    number."""
    from approvals.decisions import Outcome
    from approvals.decisions import decide as record_decision
    from services.models import ServiceItem
    from tests.factories import routed_application

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
    task = ReviewTask.objects.get(application=application, department__code="police")
    record_decision(task.pk, User.objects.get(username="reviewer-police"), Outcome.APPROVE, "")
    return application.tracking_number


def progress_text(page) -> str:
    return page.locator("main").inner_text()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_enterprise_files_business_startup_and_every_department_approves(
    language, new_context, celery_worker
):
    load_demo()
    # README screenshots come from the Chinese run, the portal's default language.
    shots = language == "zh-hans"

    def shot(name: str) -> str | None:
        return name if shots else None

    # --- The applicant, in a browser that prefers the language under test -------------------
    applicant = new_context(locale=BROWSER_LOCALE[language]).new_page()
    applicant.goto("/")
    assert applicant.locator("html").get_attribute("lang") == HTML_LANG[language]
    check_page(applicant, "home", shot=shot("home"))

    applicant.locator("nav.site-nav a[href='/services/']").click()
    applicant.wait_for_url(at(r"/services/"))
    check_page(applicant, "catalogue", shot=shot("catalogue"))

    applicant.locator("main a[href='/services/business-startup/']").first.click()
    applicant.wait_for_url(at(r"/services/business-startup/"))
    check_page(applicant, "guide", shot=shot("guide"))

    # Registration: an empty form first, whose error summary leads to each invalid field.
    # Business start-up is for founders and enterprises: the guide offers the citizen's
    # registration, whose tabs lead to the enterprise's.
    applicant.locator("main a[href^='/accounts/register/']").first.click()
    applicant.locator("main nav.tabs a[href^='/accounts/register/enterprise/']").click()
    applicant.wait_for_url(re.compile(r"/accounts/register/enterprise/"))
    check_page(applicant, "register")
    applicant.locator("main form.form button[type=submit]").click()
    summary = applicant.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    # The summary takes the focus (autofocus): the reader starts from the list of problems.
    assert applicant.evaluate("() => document.activeElement.id") == "error-summary"
    first_error = summary.locator("a").first
    target = first_error.get_attribute("href")
    assert target == "#id_username"
    check_page(applicant, "register with errors")
    first_error.click()
    assert applicant.evaluate("() => document.activeElement.id") == "id_username"
    assert applicant.locator("#id_username").get_attribute("aria-invalid") == "true"

    username = f"luzhou-startup-{language}"
    applicant.fill("#id_username", username)
    applicant.fill("#id_enterprise_name", "合肥庐州新创科技有限公司")
    applicant.fill("#id_credit_code", valid_credit_code())
    applicant.fill("#id_real_name", CONTACT_PERSON)
    applicant.fill("#id_mobile", CONTACT_MOBILE)
    applicant.fill("#id_email", f"{username}@example.cn")
    applicant.fill("#id_password1", "Lantern-harbour-2026")
    applicant.fill("#id_password2", "Lantern-harbour-2026")
    applicant.locator("main form.form button[type=submit]").click()
    # The code e-mailed to the address given opens the account (accounts/registration.py).
    applicant.wait_for_url(re.compile(r"/accounts/register/confirm/"))
    check_page(applicant, "registration code")
    applicant.fill("#id_code", emailed_code(f"{username}@example.cn"))
    applicant.locator("main form.form button[type=submit]").click()
    applicant.wait_for_url(at(r"/services/business-startup/"))

    # Apply online: one form, answers and materials; a draft first, then submission.
    applicant.locator("main form[action='/services/business-startup/apply/'] button").click()
    applicant.wait_for_url(at(r"/applications/\d+/edit/"))
    application_id = int(re.search(r"/applications/(\d+)/edit/", applicant.url).group(1))
    check_page(applicant, "application form")
    applicant.fill("#id_company_name", "合肥庐州新创科技有限公司")
    applicant.fill("#id_registered_capital", "100")
    applicant.fill("#id_business_scope", "软件开发；信息技术咨询服务。")
    applicant.fill("#id_legal_representative", LEGAL_REPRESENTATIVE)
    applicant.fill("#id_address", "安徽省合肥市庐阳区长江中路300号")
    applicant.select_option("#id_needs_invoices", "yes")
    applicant.set_input_files("#id_material__articles", pdf("公司章程.pdf"))
    applicant.set_input_files("#id_material__premises", png("租赁合同.png"))
    applicant.locator("button[name=save]").click()
    applicant.wait_for_url(at(rf"/applications/{application_id}/edit/"))
    assert applicant.locator(f"a[href^='/applications/{application_id}/files/']").count() == 2
    check_page(applicant, "application form, draft saved", shot=shot("filing"))

    applicant.set_input_files("#id_material__legal-rep-id", pdf("法定代表人身份证.pdf"))
    applicant.locator("button[name=submit]").click()
    applicant.wait_for_url(at(rf"/applications/{application_id}/"))
    application = Application.objects.get(pk=application_id)
    tracking_number = application.tracking_number
    assert re.fullmatch(r"\d{16}", tracking_number)
    assert tracking_number in applicant.locator(".messages").inner_text()
    assert tracking_number in applicant.locator("main").inner_text()
    check_page(applicant, "status page, submitted")

    # --- The service centre accepts (受理) ------------------------------------------------------
    assert wait_until(lambda: ReviewTask.objects.filter(application=application).exists()), (
        "the worker did not route the application to acceptance"
    )
    clerk = log_in_as_civil_servant(new_context(locale=BROWSER_LOCALE[language]), "centre")
    open_task(clerk, tracking_number)
    decide(clerk, "approve", "材料齐全，予以受理", check=True)

    # The applicant now sees the four departments of the parallel stage.
    reload_until(
        applicant,
        lambda: all(name in progress_text(applicant) for name in FOUR_DEPARTMENTS[language]),
    )

    # --- Each department decides; Public Security asks for a supplement first ------------------
    reviewers = {
        code: log_in_as_civil_servant(new_context(locale=BROWSER_LOCALE[language]), code)
        for code in ("reviewer-market", "reviewer-tax", "reviewer-police", "reviewer-hrss")
    }
    open_task(reviewers["reviewer-market"], tracking_number)
    decide(reviewers["reviewer-market"], "approve", "设立登记材料符合要求，准予登记。", check=True)
    open_task(reviewers["reviewer-tax"], tracking_number)
    decide(reviewers["reviewer-tax"], "approve", "同意申领发票。")
    open_task(reviewers["reviewer-police"], tracking_number)
    decide(reviewers["reviewer-police"], "request_supplement", "请补充公章刻制备案表。")
    check_page(reviewers["reviewer-police"], "staff queue", shot=shot("staff-queue"))

    applicant.reload()
    application.refresh_from_db()
    assert application.status == Application.Status.SUPPLEMENT_REQUESTED
    assert "请补充公章刻制备案表。" in progress_text(applicant)
    check_page(applicant, "status page, supplement requested", shot=shot("status"))

    # The applicant answers: the supplement notice is on the form, with a new file.
    applicant.locator(f"main a[href='/applications/{application_id}/edit/']").first.click()
    applicant.wait_for_url(at(rf"/applications/{application_id}/edit/"))
    assert "请补充公章刻制备案表。" in applicant.locator("main").inner_text()
    check_page(applicant, "supplement form")
    applicant.set_input_files("#id_material__legal-rep-id", pdf("公章刻制备案表.pdf"))
    applicant.locator("button[name=submit]").click()
    applicant.wait_for_url(at(rf"/applications/{application_id}/"))
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW

    open_task(reviewers["reviewer-police"], tracking_number)
    decide(reviewers["reviewer-police"], "approve", "公章刻制备案材料齐全。")
    open_task(reviewers["reviewer-hrss"], tracking_number)
    decide(reviewers["reviewer-hrss"], "approve", "社保登记信息完整。")

    # --- The decision, the e-certificate and the published register ---------------------------
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    applicant.reload()
    check_page(applicant, "status page, approved")
    applicant.locator(f"main a[href='/applications/{application_id}/certificate/']").click()
    applicant.wait_for_url(at(rf"/applications/{application_id}/certificate/"))
    check_page(applicant, "e-certificate", shot=shot("certificate"))
    with applicant.expect_download() as download_info:
        applicant.locator(f"main a[href='/applications/{application_id}/certificate.json']").click()
    certificate = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    issued = Certificate.objects.get(application=application)
    assert certificate["payload"]["number"] == issued.number
    assert certificate["payload"]["item_code"] == "business-startup"
    assert certificate["payload"]["holder_name"] == "合肥庐州新创科技有限公司"
    assert certificate["signature"] == issued.signature

    citizens_case = a_citizens_residence_permit_decided_meanwhile()
    public = new_context(locale=BROWSER_LOCALE[language]).new_page()
    public.goto("/")
    public.locator("nav.site-nav a[href='/disclosure/']").click()
    public.wait_for_url(at(r"/disclosure/"))
    check_page(public, "disclosure")
    public.locator("main a[href='/disclosure/decisions/']").first.click()
    public.wait_for_url(at(r"/disclosure/decisions/"))
    check_page(public, "decision register", shot=shot("disclosure"))
    register = public.locator("main").inner_text()
    assert tracking_number in register and citizens_case in register
    assert "张*" in register and "张三" not in register  # a person is masked, surname only
    public.get_by_role("link", name=tracking_number).first.click()
    public.wait_for_url(at(rf"/disclosure/decisions/{tracking_number}/"))
    check_page(public, "published decision")
    published = public.locator("main").inner_text()
    assert "合肥庐州新创科技有限公司" in published  # an enterprise is published by name…
    for personal in (CONTACT_PERSON, CONTACT_MOBILE, LEGAL_REPRESENTATIVE):
        assert personal not in published  # …but no person behind it
