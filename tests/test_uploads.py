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
