"""Uploaded materials: the virus-scanner hook, and how stored files leave the portal again."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals.models import ReviewTask
from services.materials import INLINE_PREVIEW_POLICY, sniff_material
from services.models import Attachment
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    application_form_data,
    draft_application,
    item_with_stages,
    pdf_upload,
    png_upload,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

EICAR_MARKER = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
scanned_files = []


def reject_eicar(upload) -> None:
    """A stand-in for ClamAV: finds the EICAR test signature anywhere in the file."""
    scanned_files.append(upload.name)
    if EICAR_MARKER in upload.read():
        raise ValidationError(f"The file {upload.name} contains a virus.", code="virus")


@pytest.fixture
def market():
    return DepartmentFactory(name="市市场监督管理局")


@pytest.fixture
def item(market):
    return item_with_stages([[market]])


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_default_scanner_accepts_a_clean_file():
    assert sniff_material(pdf_upload()) == "application/pdf"


def test_the_scanner_sees_every_upload_and_its_file_can_still_be_read(settings):
    settings.MATERIAL_SCANNER = "tests.test_uploads.reject_eicar"
    scanned_files.clear()
    upload = pdf_upload("clean.pdf")

    sniff_material(upload)

    assert scanned_files == ["clean.pdf"]
    assert upload.read(4) == b"%PDF"  # seeked back for storing


def test_an_infected_file_is_refused_with_the_scanners_message_and_nothing_is_stored(
    settings, client_for, item
):
    settings.MATERIAL_SCANNER = "tests.test_uploads.reject_eicar"
    citizen = CitizenFactory()
    draft = draft_application(item, citizen)
    infected = pdf_upload("发票.pdf", b"%PDF-1.4\n" + EICAR_MARKER + b"\n%%EOF\n")

    response = client_for(citizen).post(
        reverse("services:edit", args=[draft.pk]),
        application_form_data(submit=True, id_card=infected),
    )

    assert response.status_code == 200
    assert "contains a virus" in response.content.decode()
    assert not Attachment.objects.filter(application=draft).exists()
    assert stored_files(settings) == []
    draft.refresh_from_db()
    assert draft.status == draft.Status.DRAFT


# --- downloads -----------------------------------------------------------------------------------


@pytest.fixture
def task(item, market):
    application = routed_application(item, CitizenFactory())
    return ReviewTask.objects.get(application=application, department=market)


def test_the_applicant_downloads_their_material_as_an_attachment(client_for, task):
    application = task.application
    attachment = application.attachments.first()

    response = client_for(application.applicant).get(
        reverse("services:attachment", args=[application.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_staff_download_is_an_attachment_unless_previewed(client_for, task, market):
    attachment = task.application.attachments.first()
    url = reverse("approvals:attachment", args=[task.pk, attachment.pk])

    response = client_for(reviewer_of(market)).get(url)

    assert response["Content-Disposition"].startswith("attachment;")


def test_staff_preview_of_an_image_is_sandboxed(client_for, task, market):
    from services.materials import store_attachment

    reviewer = reviewer_of(market)
    image = png_upload()
    image.sniffed_type = sniff_material(image)
    attachment = store_attachment(task.application, "site_photo", image, "image/png", reviewer)

    response = client_for(reviewer).get(
        reverse("approvals:attachment", args=[task.pk, attachment.pk]), {"inline": "1"}
    )

    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == INLINE_PREVIEW_POLICY
    assert "sandbox" in response["Content-Security-Policy"].split("; ")
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_staff_preview_of_a_pdf_is_sandboxed_too(client_for, task, market):
    attachment = task.application.attachments.filter(content_type="application/pdf").first()

    response = client_for(reviewer_of(market)).get(
        reverse("approvals:attachment", args=[task.pk, attachment.pk]), {"inline": "1"}
    )

    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == INLINE_PREVIEW_POLICY
    assert "sandbox" in response["Content-Security-Policy"].split("; ")


# --- names: the user's only as a label -------------------------------------------------------------


def upload_through_the_portal(client_for, item, name: str) -> Attachment:
    citizen = CitizenFactory()
    draft = draft_application(item, citizen)
    client_for(citizen).post(
        reverse("services:edit", args=[draft.pk]),
        application_form_data(id_card=pdf_upload(name)),
    )
    return Attachment.objects.get(application=draft, is_current=True)


def download_of(client_for, attachment: Attachment):
    return client_for(attachment.application.applicant).get(
        reverse("services:attachment", args=[attachment.application_id, attachment.pk])
    )


def test_a_pdf_named_html_is_stored_and_served_as_a_pdf(client_for, item):
    attachment = upload_through_the_portal(client_for, item, "poly.html")

    response = download_of(client_for, attachment)

    assert attachment.original_name == "poly.html"  # the label the applicant recognises
    assert attachment.file.name.endswith(".pdf")
    assert "poly.html" not in attachment.file.name
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="poly.pdf"'


def test_a_right_to_left_override_is_stripped_from_the_label_and_the_served_name(client_for, item):
    attachment = upload_through_the_portal(client_for, item, "x\u202egpj.exe")

    response = download_of(client_for, attachment)

    assert attachment.original_name == "xgpj.exe"
    assert response["Content-Disposition"] == 'attachment; filename="xgpj.pdf"'
    assert "\u202e" not in response["Content-Disposition"]


def test_the_applicants_pages_show_the_label_without_bidi_controls(client_for, item):
    attachment = upload_through_the_portal(client_for, item, "申请\u202e书.pdf")

    page = client_for(attachment.application.applicant).get(
        reverse("services:edit", args=[attachment.application_id])
    )

    assert "申请书.pdf" in page.content.decode()
    assert "\u202e" not in page.content.decode()


def test_a_chinese_label_is_served_under_an_rfc_5987_name_with_the_real_extension(client_for, item):
    attachment = upload_through_the_portal(client_for, item, "营业执照.png")

    response = download_of(client_for, attachment)

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"
    )


def test_a_name_of_controls_only_is_served_as_file_and_folders_are_dropped():
    from services.materials import download_name, file_label

    assert download_name("\u202e\u200f", "image/png") == "file.png"
    assert download_name("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert file_label("C:\\Users\\me\\身份证.pdf") == "身份证.pdf"
    assert file_label("line\nbreak\x00.pdf") == "linebreak.pdf"
