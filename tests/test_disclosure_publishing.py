"""Proactive disclosure: grading, second-person approval, permalinks, attachments, withdrawal,
feeds and the sitemap; and disclosure on request through the ordinary pipeline."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from approvals.decisions import Outcome, decide
from disclosure.models import Publication
from disclosure.publishing import approve_publication, draft_publication, withdraw_publication
from disclosure.requests import draft_answer_publication
from portal.demo import load_demo
from services.models import ServiceItem
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    head_of,
    pdf_upload,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(code="market", name="市市场监督管理局")


@pytest.fixture
def author(department):
    return reviewer_of(department)


def draft(author, department, **fields):
    values = {
        "kind": Publication.Kind.NOTICE,
        "classification": Publication.Classification.PUBLIC,
        "title": "关于小餐饮备案的通告",
        "body": "小餐饮经营者可在线备案。",
        **fields,
    }
    return draft_publication(author, department=department, **values)


def test_a_draft_is_not_public(client, author, department):
    item = draft(author, department)

    assert not Publication.objects.public().exists()
    assert item.title not in client.get(reverse("disclosure:publications")).content.decode()
    assert client.get(reverse("disclosure:draft", args=[item.pk])).status_code == 302  # login


def test_the_author_cannot_approve_their_own_draft(author, department):
    item = draft(author, department)

    with pytest.raises(PermissionDenied):
        approve_publication(item.pk, author)
    item.refresh_from_db()
    assert item.state == Publication.State.DRAFT


def test_the_database_refuses_a_publication_approved_by_its_author(author, department):
    item = draft(author, department)
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.filter(pk=item.pk).update(
            state="published",
            approved_by=author,
            number="2026-999999",
            published_at=item.created_at,
        )


def test_a_second_person_publishes_it_under_a_permalink(client, author, department):
    item = draft(author, department)

    published = approve_publication(item.pk, head_of(department))

    assert published.number == f"{published.published_at:%Y}-{published.pk:06d}"
    assert published.get_absolute_url() == f"/disclosure/publications/{published.number}/"
    page = client.get(published.get_absolute_url())
    assert page.status_code == 200
    assert "小餐饮经营者可在线备案" in page.content.decode()


def test_staff_of_another_department_cannot_approve(author, department):
    item = draft(author, department)

    with pytest.raises(PermissionDenied):
        approve_publication(item.pk, reviewer_of(DepartmentFactory()))


def test_nobody_drafts_for_a_department_they_do_not_belong_to(department):
    with pytest.raises(PermissionDenied):
        draft(reviewer_of(DepartmentFactory()), department)


@pytest.mark.parametrize("classification", ["on_request", "internal", "confidential"])
def test_a_publication_not_graded_public_never_reaches_the_public(
    client, author, department, classification
):
    item = approve_publication(
        draft(author, department, classification=classification, title="执法检查计划").pk,
        head_of(department),
    )

    assert item.state == Publication.State.PUBLISHED
    assert client.get(item.get_absolute_url()).status_code == 404
    for url in [
        reverse("disclosure:publications"),
        reverse("disclosure:feed"),
        reverse("disclosure:feed_kind", args=["notice"]),
        reverse("disclosure:feed_department", args=["market"]),
        reverse("sitemap"),
        reverse("disclosure:search") + "?q=执法检查",
    ]:
        assert "执法检查计划" not in client.get(url).content.decode(), url
        assert item.number not in client.get(url).content.decode(), url


def test_attachments_are_checked_and_published_with_the_text(client, author, department):
    with pytest.raises(ValidationError):
        draft(author, department, attachments=[pdf_upload("fake.pdf", b"MZ not a pdf")])
    item = approve_publication(
        draft(author, department, attachments=[pdf_upload("方案.pdf")]).pk, head_of(department)
    )
    attachment = item.attachments.get()

    response = client.get(attachment.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_withdrawal_keeps_a_record_and_explains_itself(client, author, department):
    head = head_of(department)
    item = approve_publication(draft(author, department).pk, head)

    with pytest.raises(ValidationError):
        withdraw_publication(item.pk, head, "  ")
    withdraw_publication(item.pk, head, "已被2026年第3号通告替代")

    page = client.get(item.get_absolute_url())
    assert page.status_code == 410
    assert "已被2026年第3号通告替代" in page.content.decode()
    assert "小餐饮经营者可在线备案" not in page.content.decode()
    assert item.number not in client.get(reverse("sitemap")).content.decode()


def test_the_withdrawal_form_needs_a_reason(client_for, author, department):
    head = head_of(department)
    item = approve_publication(draft(author, department).pk, head)

    client_for(head).post(reverse("disclosure:withdraw", args=[item.pk]), {"reason": ""})

    item.refresh_from_db()
    assert item.state == Publication.State.PUBLISHED


def test_staff_draft_and_approve_through_the_pages(client_for, author, department):
    response = client_for(author).post(
        reverse("disclosure:new_publication"),
        {
            "kind": "statistics",
            "classification": "public",
            "department": department.pk,
            "title": "2026年一季度办件统计",
            "body": "一季度共受理办件1200件。",
        },
    )
    item = Publication.objects.get(title="2026年一季度办件统计")
    assert response.status_code == 302
    assert item.state == Publication.State.DRAFT

    client_for(head_of(department)).post(reverse("disclosure:approve", args=[item.pk]))

    item.refresh_from_db()
    assert item.state == Publication.State.PUBLISHED


def test_feeds_are_atom_per_kind_and_per_department(client, author, department):
    item = approve_publication(draft(author, department).pk, head_of(department))

    for url in [
        reverse("disclosure:feed"),
        reverse("disclosure:feed_kind", args=["notice"]),
        reverse("disclosure:feed_department", args=["market"]),
    ]:
        response = client.get(url)
        assert response["Content-Type"].startswith("application/atom+xml")
        assert item.get_absolute_url() in response.content.decode()
    assert (
        item.title
        not in client.get(reverse("disclosure:feed_kind", args=["document"])).content.decode()
    )
    assert client.get(reverse("disclosure:feed_kind", args=["nonsense"])).status_code == 404


def test_sitemap_lists_publications_decisions_and_guides(client, author, department):
    item = approve_publication(draft(author, department).pk, head_of(department))

    body = client.get(reverse("sitemap")).content.decode()

    assert item.get_absolute_url() in body


# --- disclosure on request -----------------------------------------------------------------------


@pytest.fixture
def disclosure_request():
    load_demo()
    item = ServiceItem.objects.get(code="information-disclosure-request")
    applicant = CitizenFactory(real_name="欧阳娜娜", mobile="13812345678")
    application = routed_application(
        item,
        applicant,
        answers={
            "information": "请公开本市2025年小餐饮许可的数量，联系电话13812345678。",
            "delivery": "邮寄",
        },
    )
    return application


def test_disclosure_request_limits_are_data_on_the_item(disclosure_request):
    item = disclosure_request.item
    assert item.statutory_limit_days == 20
    assert item.max_extension_days == 20
    task = disclosure_request.review_tasks.get(stage_order=1)
    assert task.department.code == "general-office"
    assert task.time_limit_days == 20


def test_the_answer_reaches_the_applicant_and_can_be_published_masked(
    client_for, disclosure_request
):
    task = disclosure_request.review_tasks.get(stage_order=1)
    office_reviewer = reviewer_of(task.department)
    decide(task.pk, office_reviewer, Outcome.APPROVE, "2025年共发放小餐饮许可312件。")

    status = client_for(disclosure_request.applicant).get(
        reverse("application_status", args=[disclosure_request.pk])
    )
    assert "312" in status.content.decode()

    listed = client_for(office_reviewer).get(reverse("disclosure:requests"))
    assert disclosure_request.tracking_number in listed.content.decode()
    client_for(office_reviewer).post(
        reverse("disclosure:publish_answer", args=[disclosure_request.pk])
    )
    answer = Publication.objects.get(kind=Publication.Kind.REQUEST_ANSWER)
    assert answer.state == Publication.State.DRAFT
    assert "312" in answer.body
    assert "欧阳娜娜" not in answer.title + answer.body
    assert "13812345678" not in answer.body


def test_only_the_answering_department_may_publish_the_answer(disclosure_request):
    task = disclosure_request.review_tasks.get(stage_order=1)
    decide(task.pk, reviewer_of(task.department), Outcome.APPROVE, "予以公开。")

    with pytest.raises(PermissionDenied):
        draft_answer_publication(disclosure_request.pk, reviewer_of(DepartmentFactory()))
