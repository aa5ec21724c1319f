"""Every public page (and, later, every public API response) over the demo data, scanned for
personal data of natural persons: no resident ID number, mobile number or e-mail address.

To cover a new public page or an API endpoint, add its path to `public_paths()`; the scan is
the same for HTML, Atom, XML, CSV and JSON.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.anchors import anchor_day
from accounts.models import AuditAnchor, Department, User
from approvals.decisions import Outcome, decide
from approvals.models import Certificate, ReviewTask
from disclosure.consultations import Moderation
from disclosure.masking import EMAIL_PATTERN, MOBILE_PATTERN, RESIDENT_ID_PATTERN
from disclosure.models import Consultation, DecisionRecord, Publication, PublishedLetter
from disclosure.publishing import approve_publication
from disclosure.requests import draft_answer_publication
from instruments.generation import issue_instruments_of
from instruments.models import Instrument
from portal.demo import demo_resident_id, load_demo
from services.models import Application, ServiceItem
from tests.consultation_factories import comment_on
from tests.factories import CitizenFactory, head_of, reviewer_of, routed_application
from tests.letter_factories import answered, letter_of, triaged

pytestmark = pytest.mark.django_db

# Searches that could surface stored personal data. (A page echoes the reader's own query, so a
# query that is itself an identifier would "find" it in the search box: none is used here.)
SEARCHES = ["许可", "张三", "欧阳娜娜", "居住证", "小餐饮", "licence", "zhangsan", "example"]


def decided(item_code: str, applicant: User, answers: dict, outcome: str, opinion: str):
    item = ServiceItem.objects.get(code=item_code)
    application = routed_application(item, applicant, answers=answers)
    for task in ReviewTask.objects.filter(application=application, stage_order=1):
        decide(task.pk, reviewer_of(task.department), outcome, opinion)
    application.refresh_from_db()
    return application


@pytest.fixture
def demo_world():
    load_demo()
    zhangsan = User.objects.get(username="zhangsan")
    ouyang = CitizenFactory(
        real_name="欧阳娜娜",
        resident_id=demo_resident_id("34010219880512456"),
        mobile="13812345678",
        email="ouyang.nana@example.cn",
        address="安徽省合肥市包河区徽州大道1号",
    )
    decided(
        "residence-permit",
        zhangsan,
        {
            "current_address": "安徽省合肥市蜀山区长江西路100号",
            "moved_in_on": "2026-01-05",
            "basis": "合法稳定住所",
            "employer": "",
        },
        Outcome.APPROVE,
        "材料齐全，准予办理。",
    )
    decided(
        "residence-permit",
        ouyang,
        {
            "current_address": "安徽省合肥市包河区徽州大道1号",
            "moved_in_on": "2026-02-01",
            "basis": "合法稳定就业",
            "employer": "合肥示范科技有限公司",
        },
        Outcome.REJECT,
        "居住时间不足半年。",
    )
    request = decided(
        "information-disclosure-request",
        ouyang,
        {
            "information": "请公开2025年小餐饮许可名单。联系人欧阳娜娜，手机13812345678，"
            f"身份证{ouyang.resident_id}，邮箱ouyang.nana@example.cn",
            "delivery": "电子邮件",
        },
        Outcome.APPROVE,
        "经审查，所申请信息予以公开：2025年共发放小餐饮许可312件。如有疑问请致电13812345678。",
    )
    office = Department.objects.get(code="general-office")
    author = reviewer_of(office)
    draft = draft_answer_publication(request.pk, author)
    approve_publication(draft.pk, head_of(office))
    # Comments on the demo consultation quoting the commenter's own identifiers: one published
    # (its public copy masked), one refused (never public at all).
    consultation = Consultation.objects.get()
    for moderated in (Moderation.PUBLISH, Moderation.REJECT):
        comment_on(
            consultation,
            ouyang,
            body=f"我是欧阳娜娜，手机13812345678，身份证{ouyang.resident_id}，"
            "邮箱ouyang.nana@example.cn，住址：安徽省合肥市包河区徽州大道1号。建议延长时限。",
            answers={consultation.questions.first().pk: "请联系13812345678"},
            moderated=moderated,
            moderator=author,
        )
    # A letter quoting the writer's identifiers, answered quoting them again, published (masked).
    housing = Department.objects.get(code="housing")
    letter = letter_of(
        ouyang,
        topic="欧阳娜娜关于小区噪音的投诉",
        body=f"我是欧阳娜娜，手机13812345678，身份证{ouyang.resident_id}，"
        "邮箱ouyang.nana@example.cn，住址：安徽省合肥市包河区徽州大道1号。夜间施工噪音很大。",
    )
    (task,) = triaged(letter, housing)
    answered(task, reviewer_of(housing), "已联系欧阳娜娜（13812345678），责令夜间停工。")
    # Nothing commits in a `db` test: the instruments the worker would issue are issued here.
    for application in Application.objects.exclude(tracking_number=None):
        issue_instruments_of(application.pk)
    # The day's anchor of the audit chains, as beat signs it after midnight.
    anchor_day(timezone.localdate())
    return [zhangsan, ouyang]


def public_paths() -> list[str]:
    """Every public page over the current data, and every public API response."""
    year = timezone.localdate().year
    paths = [
        reverse("home"),
        reverse("services:catalogue"),
        reverse("disclosure:index"),
        reverse("disclosure:decisions"),
        reverse("disclosure:publications"),
        reverse("disclosure:feed"),
        reverse("sitemap"),
        reverse("disclosure:statistics"),
        reverse("disclosure:statistics") + f"?year={year}",
        reverse("disclosure:statistics_csv", args=["departments"]),
        reverse("disclosure:statistics_csv", args=["items"]),
        reverse("disclosure:annual_report", args=[year]),
        reverse("disclosure:annual_report_csv", args=[year]),
        reverse("disclosure:verify_certificate"),
        reverse("disclosure:certificate_keys"),
        reverse("disclosure:consultations"),
        reverse("disclosure:statistics_csv", args=["consultations"]),
        reverse("disclosure:letters"),
        reverse("disclosure:statistics_csv", args=["letters"]),
    ]
    paths += [c.get_absolute_url() for c in Consultation.objects.all()]
    paths += [letter.get_absolute_url() for letter in PublishedLetter.objects.all()]
    paths += [
        reverse("services:guide", args=[code])
        for code in ServiceItem.objects.filter(kind="permit").values_list("code", flat=True)
    ]
    paths += [r.get_absolute_url() for r in DecisionRecord.objects.all()]
    paths += [reverse("disclosure:decisions") + f"?q={q}" for q in SEARCHES]
    paths += [p.get_absolute_url() for p in Publication.objects.exclude(number=None)]
    paths += [reverse("disclosure:search") + f"?q={q}" for q in SEARCHES]
    paths += [reverse("disclosure:feed_kind", args=[kind]) for kind in Publication.Kind.values]
    paths += [
        reverse("disclosure:feed_department", args=[code])
        for code in Department.objects.values_list("code", flat=True)
    ]
    paths += [c.get_absolute_url() for c in Certificate.objects.all()]
    paths += [reverse("instruments:verify")]
    paths += [reverse("instruments:check", args=[i.token]) for i in Instrument.objects.all()]
    paths += [
        reverse("disclosure:anchors"),
        reverse("disclosure:anchor_feed"),
        reverse("disclosure:verify_proof"),
    ]
    for day in AuditAnchor.objects.values_list("day", flat=True):
        paths += [
            reverse("disclosure:anchor", args=[day.isoformat()]),
            reverse("disclosure:anchor_json", args=[day.isoformat()]),
        ]
    return paths + public_api_paths()


def public_api_paths() -> list[str]:
    """Every public response of the REST API (docs/api.md) over the same data."""
    paths = [
        reverse("api:service-list"),
        reverse("api:publication-list"),
        reverse("api:decision-list"),
        reverse("api:statistics"),
        reverse("api:schema"),
        reverse("api:consultation-list"),
        reverse("api:published-letter-list"),
    ]
    paths += [
        reverse("api:published-letter-detail", args=[number])
        for number in PublishedLetter.objects.values_list("tracking_number", flat=True)
    ]
    for pk in Consultation.objects.values_list("pk", flat=True):
        paths += [
            reverse("api:consultation-detail", args=[pk]),
            reverse("api:consultation-comments", args=[pk]),
        ]
    paths += [
        reverse("api:service-detail", args=[code])
        for code in ServiceItem.objects.filter(kind="permit").values_list("code", flat=True)
    ]
    paths += [reverse("api:publication-list") + f"?text={q}" for q in SEARCHES]
    paths += [reverse("api:decision-list") + f"?text={q}" for q in SEARCHES]
    paths += [reverse("api:publication-detail", args=[pk]) for pk in public_publication_ids()]
    paths += [
        reverse("api:decision-detail", args=[number])
        for number in DecisionRecord.objects.values_list("tracking_number", flat=True)
    ]
    paths += [
        reverse("api:certificate", args=[number])
        for number in Certificate.objects.values_list("number", flat=True)
    ]
    return paths


def public_publication_ids() -> list[int]:
    from disclosure.selectors import public_publications

    return list(public_publications().values_list("pk", flat=True))


def leaks(text: str, people: list[User]) -> list[str]:
    """Personal identifiers found in `text`: the people's own, and anything shaped like one."""
    found = [
        value
        for person in people
        for value in [person.resident_id, person.mobile, person.email]
        if value and value in text
    ]
    found += RESIDENT_ID_PATTERN.findall(text)
    found += MOBILE_PATTERN.findall(text)
    natural_emails = {p.email for p in people if p.email}
    found += [e for e in EMAIL_PATTERN.findall(text) if e in natural_emails]
    return found


def test_the_scanner_finds_a_planted_identifier(demo_world):
    zhangsan = demo_world[0]
    assert leaks(f"<p>{zhangsan.resident_id}</p>", demo_world)
    assert leaks("电话 13812345678", demo_world)
    assert leaks("ouyang.nana@example.cn", demo_world)
    assert not leaks("139****5678 340104********1234", demo_world)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_public_page_shows_personal_data_of_a_natural_person(demo_world, language):
    people = demo_world + list(User.objects.filter(kind__in=["citizen", "enterprise"]))
    client = Client(headers={"accept-language": language})
    paths = public_paths()
    assert len(paths) > 40
    problems = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response) if response.streaming else response.content
        found = leaks(body.decode("utf-8-sig"), people)
        if found:
            problems[path] = found
    assert problems == {}


def test_the_published_answer_is_found_and_masked(demo_world):
    answer = Publication.objects.public().get(kind=Publication.Kind.REQUEST_ANSWER)
    assert "欧阳**" in answer.body
    assert "欧阳娜娜" not in answer.body
    assert "312" in answer.body


def test_the_verification_of_an_instrument_names_no_natural_person(demo_world):
    """What the verification page and API answer for an uploaded instrument: its number,
    issuer and date; never the party it is addressed to."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    people = demo_world + list(User.objects.filter(kind__in=["citizen", "enterprise"]))
    client = Client(headers={"accept-language": "zh-hans"})
    problems = {}
    for instrument in Instrument.objects.select_related("application__applicant"):
        for url in (reverse("instruments:verify"), reverse("api:instrument-verify")):
            upload = SimpleUploadedFile("i.pdf", bytes(instrument.pdf), "application/pdf")
            body = client.post(url, {"file": upload}).content.decode()
            found = leaks(body, people)
            if instrument.application.applicant.real_name in body:
                found.append(instrument.application.applicant.real_name)
            if found:
                problems[(instrument.number, url)] = found
    assert Instrument.objects.count() > 5
    assert problems == {}


def test_a_published_letter_names_its_writer_masked(demo_world):
    letter = PublishedLetter.objects.get(topic__contains="噪音")
    client = Client(headers={"accept-language": "zh-hans"})
    for url in (
        letter.get_absolute_url(),
        reverse("api:published-letter-detail", args=[letter.tracking_number]),
    ):
        text = client.get(url).content.decode()
        assert "欧阳娜娜" not in text
        assert "欧阳**" in text
