"""Written instruments: every legal event of a case yields one numbered, sealed PDF with the
right words, the refusals with the appeal rights the law requires."""

import hashlib
import io
import threading

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse
from django.utils.formats import date_format
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from approvals import clocks
from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from instruments.generation import (
    instrument_texts,
    issue_instrument,
    issue_instruments_of,
    revoke_instrument,
)
from instruments.models import Instrument, IssuingOffice, Kind
from instruments.signing import root_certificate
from instruments.wording import check_template
from services.models import Application, ApplicationEvent
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    StaffFactory,
    acceptance_task,
    application_at_acceptance,
    clerk_of,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
)

Event = ApplicationEvent.Kind


@pytest.fixture
def market(db):
    department = DepartmentFactory(code="market", name="合肥市市场监督管理局", name_en="Market")
    IssuingOffice.objects.create(
        department=department,
        number_prefix="合市监许",
        reconsideration_body="合肥市人民政府",
        court="合肥市蜀山区人民法院",
    )
    return department


@pytest.fixture
def item(market):
    return item_with_stages([[market]], code="food-business-licence", name="食品经营许可")


def decided(item, outcome: str, opinion: str, applicant=None):
    application = routed_application(item, applicant)
    for task in ReviewTask.objects.filter(application=application, stage_order=1):
        decide(task.pk, reviewer_of(task.department), outcome, opinion)
    application.refresh_from_db()
    return application


def the_instrument(application, kind: str) -> Instrument:
    issue_instruments_of(application.pk)
    return Instrument.objects.get(application=application, kind=kind)


def text_of(instrument: Instrument) -> str:
    chinese, _english = instrument_texts(instrument)
    return "\n\n".join(chinese)


def pdf_title(instrument: Instrument) -> str:
    reader = PdfFileReader(io.BytesIO(bytes(instrument.pdf)))
    return str(reader.trailer["/Info"]["/Title"])


# --- each event, its instrument ------------------------------------------------------------------


def test_acceptance_yields_an_acceptance_notice_numbered_by_the_accepting_department(item):
    application = routed_application(item)

    notice = the_instrument(application, Kind.ACCEPTANCE)

    assert notice.event.kind == Event.ACCEPTED
    assert notice.department == acceptance_task(application).department
    assert pdf_title(notice) == f"受理通知书 {notice.number}"
    assert "决定予以受理" in text_of(notice)
    assert application.tracking_number in text_of(notice)


def test_refusal_states_its_reasons_the_appeal_bodies_and_the_last_days(item, market):
    application = decided(item, Outcome.REJECT, "经营场所与有毒有害场所的距离不足25米。")

    refusal = the_instrument(application, Kind.REFUSAL)
    text = text_of(refusal)

    assert refusal.number == f"合市监许〔{refusal.dated.year}〕第000001号"
    assert refusal.department == market
    assert pdf_title(refusal) == f"不予行政许可决定书 {refusal.number}"
    assert "距离不足25米" in text
    assert "第三十八条第二款" in text
    assert "向合肥市人民政府申请行政复议" in text
    assert "向合肥市蜀山区人民法院提起行政诉讼" in text
    assert refusal.reconsideration_until and refusal.lawsuit_until
    assert f"{refusal.lawsuit_until.year}年{refusal.lawsuit_until.month}月" in text


def test_approval_yields_a_decision_and_the_certificate_its_own_pdf(item):
    application = decided(item, Outcome.APPROVE, "材料齐全，符合条件。")

    approval = the_instrument(application, Kind.APPROVAL)
    certificate = the_instrument(application, Kind.CERTIFICATE)

    assert "决定准予行政许可" in text_of(approval)
    assert application.certificate.number in text_of(approval)
    assert "材料齐全，符合条件。" in text_of(approval)
    assert application.certificate.number in text_of(certificate)
    assert approval.reconsideration_until is None


def test_non_acceptance_yields_a_decision_with_appeal_rights(item):
    application = application_at_acceptance(item)
    task = acceptance_task(application)
    decide(task.pk, clerk_of(task.department), Outcome.REJECT, "不属于本机关职权范围。")

    decision = the_instrument(application, Kind.NON_ACCEPTANCE)

    assert "不属于本机关职权范围" in text_of(decision)
    assert "决定不予受理" in text_of(decision)
    assert decision.reconsideration_until is not None


def test_the_supplement_notice_lists_every_item_once(item):
    application = application_at_acceptance(item)
    task = acceptance_task(application)
    note = "1. 营业执照复印件不清晰\n2. 缺少经营场所平面图\n3. 法定代表人未签字"
    decide(task.pk, clerk_of(task.department), Outcome.REQUEST_SUPPLEMENT, note)

    notice = the_instrument(application, Kind.SUPPLEMENT)
    text = text_of(notice)

    assert "一次性告知" in text
    assert "1. 营业执照复印件不清晰\n2. 缺少经营场所平面图\n3. 法定代表人未签字" in text


def test_an_extension_yields_a_notice_with_the_days_and_the_reason(item, market):
    application = routed_application(item)
    task = application.review_tasks.get(department=market)
    extension = clocks.request_extension(task.pk, reviewer_of(market), 10, "需要现场核查")
    clocks.decide_extension(extension.pk, head_of(market), True)

    notice = the_instrument(application, Kind.EXTENSION)

    assert "延长10个工作日" in text_of(notice)
    assert "需要现场核查" in text_of(notice)


def test_a_disclosure_request_is_answered_by_an_answer_not_a_permit_decision(db):
    office = DepartmentFactory(code="general-office", name="合肥市人民政府办公室")
    request_item = item_with_stages([[office]], code="information-disclosure-request")
    application = decided(request_item, Outcome.APPROVE, "所申请信息予以公开：共312件。")

    issue_instruments_of(application.pk)

    kinds = set(Instrument.objects.filter(application=application).values_list("kind", flat=True))
    assert Kind.DISCLOSURE_ANSWER in kinds and Kind.APPROVAL not in kinds
    answer = Instrument.objects.get(application=application, kind=Kind.DISCLOSURE_ANSWER)
    assert "所申请信息予以公开：共312件。" in text_of(answer)
    assert "政府信息公开条例" in text_of(answer)


def test_an_enterprise_is_named_by_its_name_and_credit_code(item):
    enterprise = EnterpriseFactory()
    application = decided(item, Outcome.APPROVE, "同意", applicant=enterprise)

    certificate = the_instrument(application, Kind.CERTIFICATE)

    assert enterprise.enterprise_name in text_of(certificate)
    assert enterprise.credit_code in text_of(certificate)


def test_english_is_added_only_for_applicants_who_chose_it(item):
    english = decided(
        item, Outcome.REJECT, "不符合条件。", applicant=CitizenFactory(preferred_language="en")
    )
    chinese = decided(item, Outcome.REJECT, "不符合条件。", applicant=CitizenFactory())

    in_english = the_instrument(english, Kind.REFUSAL)
    in_chinese = the_instrument(chinese, Kind.REFUSAL)

    assert in_english.languages == "zh-hans+en" and in_chinese.languages == "zh-hans"
    _chinese, rendering = instrument_texts(in_english)
    assert "administrative reconsideration" in "\n".join(rendering)
    assert in_english.size <= 200 * 1024 and in_chinese.size <= 200 * 1024


# --- once, numbered, immutable -------------------------------------------------------------------


def test_issuing_twice_returns_the_same_stored_document(item):
    application = decided(item, Outcome.REJECT, "不符合条件。")
    event = application.events.get(kind=Event.REJECTED)

    first = issue_instrument(event.pk)
    second = issue_instrument(event.pk)

    assert first.pk == second.pk
    assert Instrument.objects.filter(event=event).count() == 1


def test_numbers_run_per_department_and_year_without_gaps(item, market):
    for _ in range(3):
        issue_instruments_of(decided(item, Outcome.REJECT, "不符合条件。").pk)

    serials = list(
        Instrument.objects.filter(department=market)
        .order_by("serial")
        .values_list("serial", flat=True)
    )
    assert serials == [1, 2, 3]


def test_an_issued_instrument_cannot_be_changed_or_deleted_in_the_database(item):
    from django.db import DatabaseError, transaction

    refusal = the_instrument(decided(item, Outcome.REJECT, "不符合条件。"), Kind.REFUSAL)

    with pytest.raises(DatabaseError, match="only its revocation"), transaction.atomic():
        Instrument.objects.filter(pk=refusal.pk).update(pdf=b"%PDF-1.7 forged")
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        Instrument.objects.filter(pk=refusal.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_two_workers_issuing_at_once_take_consecutive_numbers(market):
    item = item_with_stages([[market]])
    events = [
        decided(item, Outcome.REJECT, "不符合条件。").events.get(kind=Event.REJECTED).pk
        for _ in range(4)
    ]
    errors = []

    def issue(event_ids):
        try:
            for event_id in event_ids:
                issue_instrument(event_id)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(events,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    refusals = Instrument.objects.filter(kind=Kind.REFUSAL, department=market)
    assert refusals.count() == 4
    assert sorted(refusals.values_list("serial", flat=True)) == [1, 2, 3, 4]


# --- templates ------------------------------------------------------------------------------------


def test_a_template_with_an_unknown_placeholder_is_refused_naming_line_and_placeholder():
    with pytest.raises(ValidationError) as refused:
        check_template("{{ party.name }}：\n\n你的申请已收到。\n{{ party.salary }}")

    assert refused.value.messages == ["Line 4: unknown placeholder «{{ party.salary }}»."]


def test_a_template_may_not_load_tags_or_use_unlisted_filters():
    with pytest.raises(ValidationError, match="Line 2: the tag «now»"):
        check_template('正文\n{% now "Y" %}')
    with pytest.raises(ValidationError, match="Line 1: the filter «safe»"):
        check_template("{{ reasons|safe }}")


def test_the_admin_refuses_to_save_a_template_with_an_unknown_placeholder(db, client_for):
    admin = StaffFactory(is_staff=True, is_superuser=True)
    client = client_for(admin)

    response = client.post(
        reverse("admin:instruments_instrumenttemplate_add"),
        {
            "kind": "refusal",
            "item": "",
            "body": "{{ party.name }}：\n{{ case.secret }}",
            "body_en": "",
        },
    )

    assert response.status_code == 200
    assert "Line 2: unknown placeholder «{{ case.secret }}»." in response.content.decode()


def test_an_edited_template_words_the_next_instrument(item):
    from instruments.models import InstrumentTemplate

    InstrumentTemplate.objects.update_or_create(
        kind=Kind.REFUSAL,
        item=item,
        defaults={"body": "{{ party.name }}：\n\n本事项专用文本。{{ reasons }}", "body_en": ""},
    )

    refusal = the_instrument(decided(item, Outcome.REJECT, "理由甲。"), Kind.REFUSAL)

    assert "本事项专用文本。" in text_of(refusal)


def test_the_admin_previews_a_template_as_a_pdf_on_a_sample_case(db, client_for):
    from instruments.models import InstrumentTemplate

    template = InstrumentTemplate.objects.get(kind=Kind.REFUSAL, item=None)
    client = client_for(StaffFactory(is_staff=True, is_superuser=True))

    response = client.get(
        reverse("admin:instruments_instrumenttemplate_preview", args=[template.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


# --- the seal ---------------------------------------------------------------------------------------


def test_the_signature_validates_with_pyhankos_own_validator(item, market):
    refusal = the_instrument(decided(item, Outcome.REJECT, "不符合条件。"), Kind.REFUSAL)
    trust_root = asn1_x509.Certificate.load(
        root_certificate().public_bytes(serialization.Encoding.DER)
    )

    signatures = PdfFileReader(io.BytesIO(bytes(refusal.pdf))).embedded_signatures
    status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=[trust_root]))

    assert len(signatures) == 1
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == market.name
    assert signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


# --- verification ---------------------------------------------------------------------------------


def upload(client, data: bytes, name="instrument.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("instruments:verify"),
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


@pytest.fixture
def refusal(item):
    return the_instrument(decided(item, Outcome.REJECT, "不符合条件。"), Kind.REFUSAL)


def test_the_stored_copy_verifies_as_valid_with_its_number_and_issuer(client, refusal):
    response = upload(client, bytes(refusal.pdf))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="verdict verdict-valid"' in page
    assert refusal.number in page and refusal.department.name in page


def test_flipping_one_byte_of_a_stored_pdf_makes_it_altered(client, refusal):
    pdf = bytearray(refusal.pdf)
    middle = len(pdf) // 2
    pdf[middle] ^= 0x01

    response = upload(client, bytes(pdf))

    page = response.content.decode()
    assert 'class="verdict verdict-altered"' in page
    assert refusal.number in page


def test_a_revoked_instrument_verifies_as_revoked(client, refusal):
    admin = StaffFactory(is_staff=True, is_superuser=True)
    revoke_instrument(refusal, admin, "决定已被撤销（复议决定书 合政复〔2026〕12号）")

    page = upload(client, bytes(refusal.pdf)).content.decode()

    assert 'class="verdict verdict-revoked"' in page
    assert "合政复〔2026〕12号" in page


def test_an_instrument_signed_by_a_revoked_key_verifies_as_revoked(client, refusal, settings):
    settings.INSTRUMENT_REVOKED_KEYS = [refusal.key_id]

    assert 'verdict-revoked"' in upload(client, bytes(refusal.pdf)).content.decode()


def test_a_pdf_the_portal_did_not_issue_is_unknown(client, db):
    from tests.factories import PDF_BYTES

    page = upload(client, PDF_BYTES).content.decode()

    assert 'class="verdict verdict-unknown"' in page


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_error(client, db):
    response = upload(client, b"\x89PNG\r\n\x1a\nnot a pdf", name="photo.pdf")

    assert response.status_code == 400
    assert "This file is not a PDF." in response.content.decode()


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, db, settings):
    settings.INSTRUMENT_VERIFY_MAX_BYTES = 1024

    response = upload(client, b"%PDF-1.7\n" + b"0" * 2048)

    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_the_api_answers_the_same_verdicts(client, refusal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    altered = bytearray(refusal.pdf)
    altered[len(altered) // 3] ^= 0x20
    answers = {}
    for name, data in {"as issued": bytes(refusal.pdf), "altered": bytes(altered)}.items():
        response = client.post(
            reverse("api:instrument-verify"),
            {"file": SimpleUploadedFile("x.pdf", data, content_type="application/pdf")},
        )
        answers[name] = (response.status_code, response.json()["result"], response.json()["number"])

    assert answers == {
        "as issued": (200, "valid", refusal.number),
        "altered": (200, "altered", refusal.number),
    }


def test_the_qr_code_page_names_the_instrument_but_not_the_party(client, refusal):
    page = client.get(reverse("instruments:check", args=[refusal.token])).content.decode()

    assert refusal.number in page
    assert refusal.application.applicant.real_name not in page


# --- who gets them -----------------------------------------------------------------------------------


def test_the_applicant_downloads_their_instrument_and_nobody_else_does(client_for, refusal):
    owner = refusal.application.applicant
    url = refusal.get_absolute_url()

    mine = client_for(owner).get(url)
    theirs = client_for(CitizenFactory()).get(url)

    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert hashlib.sha256(mine.content).hexdigest() == refusal.sha256
    assert theirs.status_code == 404


def test_the_departments_concerned_download_from_the_case_page(client_for, refusal, market):
    task = refusal.application.review_tasks.get(department=market)
    url = reverse("instruments:staff_download", args=[task.pk, refusal.pk])

    assert client_for(reviewer_of(market)).get(url).status_code == 200
    assert client_for(reviewer_of(DepartmentFactory())).get(url).status_code == 404
    case_page = client_for(reviewer_of(market)).get(reverse("approvals:task", args=[task.pk]))
    assert url in case_page.content.decode()


def test_the_status_page_lists_instruments_and_says_being_prepared_until_they_exist(
    client_for, item
):
    application = decided(item, Outcome.REJECT, "不符合条件。")
    client = client_for(application.applicant)

    before = client.get(reverse("application_status", args=[application.pk])).content.decode()
    issue_instruments_of(application.pk)
    after = client.get(reverse("application_status", args=[application.pk])).content.decode()

    assert "Being prepared" in before
    refusal = Instrument.objects.get(application=application, kind=Kind.REFUSAL)
    assert "Being prepared" not in after
    assert refusal.get_absolute_url() in after and refusal.number in after


def test_the_api_lists_a_cases_instruments_for_its_applicant(client_for, refusal):
    client = client_for(refusal.application.applicant)

    rows = client.get(reverse("api:application-instruments", args=[refusal.application_id])).json()
    pdf = client.get(
        reverse("api:application-instrument", args=[refusal.application_id, refusal.pk])
    )

    issued = {row["kind"]: row for row in rows if row["state"] == "issued"}
    assert issued["refusal"]["number"] == refusal.number
    assert issued["refusal"]["lawsuit_until"] == refusal.lawsuit_until.isoformat()
    assert pdf.status_code == 200 and pdf.content == bytes(refusal.pdf)


# --- after commit, by the worker -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deciding_does_not_wait_and_the_worker_issues_the_instrument_after_commit(celery_worker):
    from tests.factories import wait_until

    department = DepartmentFactory()
    item = item_with_stages([[department]])
    application = routed_application(item)
    task = application.review_tasks.get(department=department)

    decide(task.pk, reviewer_of(department), Outcome.REJECT, "不符合条件。")

    assert wait_until(
        lambda: Instrument.objects.filter(application=application, kind=Kind.REFUSAL).exists(),
        timeout=30,
    )
    assert Instrument.objects.filter(application=application, kind=Kind.ACCEPTANCE).exists()


@pytest.mark.django_db(transaction=True)
def test_the_reconciler_issues_what_a_lost_message_missed(broker_outage, settings):
    from datetime import timedelta

    from instruments.tasks import generate_missing_instruments

    settings.INSTRUMENT_GRACE = timedelta(0)
    department = DepartmentFactory()
    with broker_outage():
        application = decided(item_with_stages([[department]]), Outcome.REJECT, "不符合条件。")
    assert not Instrument.objects.filter(application=application).exists()

    generate_missing_instruments()

    assert Instrument.objects.filter(application=application, kind=Kind.REFUSAL).count() == 1


def test_the_register_shows_the_appeal_period_of_a_refusal(client, item):
    application = decided(item, Outcome.REJECT, "不符合条件。")
    refusal = the_instrument(application, Kind.REFUSAL)

    page = client.get(reverse("disclosure:decision", args=[application.tracking_number]))

    assert "Appeal period" in page.content.decode()
    assert date_format(refusal.reconsideration_until, "DATE_FORMAT") in page.content.decode()
    assert date_format(refusal.lawsuit_until, "DATE_FORMAT") in page.content.decode()


def test_events_from_before_the_instruments_are_not_prepared_for_ever_but_backfilled(item):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from instruments.selectors import case_instruments

    application = decided(item, Outcome.REJECT, "不符合条件。")
    application.events.update(created_at=timezone.now() - timedelta(days=30))

    before = case_instruments(Application.objects.get(pk=application.pk))
    call_command("issue_instruments", "--since", "2020-01-01", stdout=io.StringIO())
    after = case_instruments(Application.objects.get(pk=application.pk))

    assert before == []
    assert {row.kind for row in after} == {Kind.ACCEPTANCE, Kind.REFUSAL}
    assert all(row.instrument for row in after)
