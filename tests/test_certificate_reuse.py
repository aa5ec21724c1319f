"""E-certificates reused as materials (信息共享, 免提交): a material that a valid e-certificate of
another item satisfies takes one of the applicant's own instead of an uploaded copy, verified
when chosen and again when the case is decided."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from approvals.certificates import revoke
from approvals.decisions import Outcome, decide
from approvals.models import Certificate, ReviewTask
from instruments.reuse import IssuedCertificates, certificate_materials
from services import filing
from services.models import Application, Material
from tests.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    StaffFactory,
    complete_draft,
    draft_application,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    routed_application,
    sniffed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    return DepartmentFactory(code="market")


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def startup_certificate(market, enterprise) -> Certificate:
    """The enterprise's business start-up, approved: its e-certificate is the business licence."""
    startup = item_with_stages([[market]], code="business-startup", audience="enterprise")
    application = routed_application(startup, enterprise)
    task = application.review_tasks.get(department=market)
    decide(task.pk, reviewer_of(market), Outcome.APPROVE, "同意")
    return Certificate.objects.get(application=application)


@pytest.fixture
def food_item(market):
    """The food business licence asks for a business licence, which the start-up's e-certificate
    satisfies."""
    item = item_with_stages(
        [[market]],
        code="food-business-licence",
        audience="enterprise",
        materials=[{"code": "business-licence", "name": "营业执照", "is_required": True}],
    )
    Material.objects.filter(item=item, code="business-licence").update(
        certificate_of="business-startup"
    )
    return item


def test_the_form_offers_the_applicants_own_valid_certificate(
    client_for, enterprise, startup_certificate, food_item
):
    draft = draft_application(food_item, enterprise)

    page = client_for(enterprise).get(reverse("services:edit", args=[draft.pk])).content.decode()

    assert f'name="certificate__business-licence" value="{startup_certificate.pk}"' in page
    assert startup_certificate.number in page


def test_choosing_the_certificate_attaches_its_signed_pdf_and_the_case_can_be_submitted(
    enterprise, startup_certificate, food_item
):
    draft = complete_draft(food_item, enterprise, uploads={})

    attachment = IssuedCertificates().use(
        draft, "business-licence", startup_certificate.pk, enterprise
    )
    submitted = filing.submit(Application.objects.get(pk=draft.pk), enterprise)

    assert attachment.certificate_number == startup_certificate.number
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == f"{startup_certificate.number}.pdf"
    assert submitted.status == Application.Status.SUBMITTED
    assert submitted.events.filter(
        kind="material_reused", note__contains=startup_certificate.number
    )


def test_a_revoked_certificate_or_someone_elses_is_not_offered(
    enterprise, startup_certificate, food_item, market
):
    other = EnterpriseFactory()
    theirs = draft_application(food_item, other)
    mine = draft_application(food_item, enterprise)
    admin = StaffFactory(is_staff=True, is_superuser=True)

    assert IssuedCertificates().offers(theirs) == {}
    with pytest.raises(PermissionDenied):
        IssuedCertificates().use(theirs, "business-licence", startup_certificate.pk, other)
    revoke(startup_certificate, admin, "营业执照已注销")
    assert IssuedCertificates().offers(mine) == {}


def test_a_certificate_revoked_between_filing_and_decision_is_flagged_on_the_task(
    client_for, enterprise, startup_certificate, food_item, market
):
    draft = complete_draft(food_item, enterprise, uploads={})
    IssuedCertificates().use(draft, "business-licence", startup_certificate.pk, enterprise)
    draft.refresh_from_db()
    filing.submit(draft, enterprise)
    from approvals.routing import route_application
    from tests.factories import accept

    route_application(draft.pk)
    application = accept(Application.objects.get(pk=draft.pk))
    task = ReviewTask.objects.get(application=application, department=market, stage_order=1)
    assert not certificate_materials(application)[0].flagged

    revoke(startup_certificate, StaffFactory(is_staff=True, is_superuser=True), "营业执照已注销")

    rows = certificate_materials(application)
    page = client_for(reviewer_of(market)).get(reverse("approvals:task", args=[task.pk]))
    assert rows[0].flagged and rows[0].status_now == "revoked"
    assert "Revoked since it was chosen" in page.content.decode()


def test_a_new_upload_wins_over_the_certificate_choice(
    client_for, enterprise, startup_certificate, food_item
):
    draft = draft_application(food_item, enterprise)
    upload = sniffed(pdf_upload("营业执照.pdf"))

    client_for(enterprise).post(
        reverse("services:edit", args=[draft.pk]),
        {
            "certificate__business-licence": str(startup_certificate.pk),
            "material__business-licence": upload,
        },
    )

    current = draft.attachments.get(is_current=True)
    assert current.certificate_number == ""


def test_the_demo_food_licence_accepts_the_business_start_up_certificate():
    from portal.demo import load_demo

    load_demo()

    material = Material.objects.get(item__code="food-business-licence", code="business-licence")
    assert material.certificate_of == "business-startup"
