"""Once-only: identity data from the account, and materials given before reused, not re-uploaded."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from approvals.models import ReviewTask
from services import once_only
from services.models import ApplicationEvent, Attachment
from tests.factories import (
    PDF_BYTES,
    CitizenFactory,
    DepartmentFactory,
    clerk_of,
    draft_application,
    item_with_stages,
    routed_application,
    submitted_application,
    valid_resident_id,
)

ID_CARD = {"code": "id_card", "name": "身份证复印件", "kind": "id-card", "validity_days": 365}


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def first_item(department):
    return item_with_stages([[department]], materials=[ID_CARD], code="first")


@pytest.fixture
def second_item(department):
    # Another item asking for the same document type under its own material code.
    return item_with_stages(
        [[department]],
        code="second",
        materials=[{"code": "applicant_id", "name": "申请人身份证", "kind": "id-card"}],
        fields=[
            {"name": "applicant_name", "label": "申请人姓名", "prefill_from": "real_name"},
            {"name": "id_number", "label": "身份证号", "prefill_from": "resident_id"},
            {"name": "phone", "label": "联系电话", "prefill_from": "mobile"},
            {"name": "purpose", "label": "用途", "is_required": False},
        ],
    )


@pytest.fixture
def citizen(db):
    return CitizenFactory(real_name="张三", resident_id=valid_resident_id(), mobile="13912345678")


def test_identity_answers_are_prefilled_from_the_account(second_item, citizen, client_for):
    draft = draft_application(second_item, citizen)

    assert draft.answers == {
        "applicant_name": "张三",
        "id_number": citizen.resident_id,
        "phone": "13912345678",
    }
    page = client_for(citizen).get(reverse("services:edit", args=[draft.pk])).content.decode()
    assert 'value="张三"' in page


def test_a_file_given_before_is_offered_with_its_date_and_tracking_number(
    first_item, second_item, citizen, client_for
):
    earlier = submitted_application(first_item, citizen)
    draft = draft_application(second_item, citizen)

    page = client_for(citizen).get(reverse("services:edit", args=[draft.pk])).content.decode()

    given = earlier.attachments.get()
    assert f'name="reuse__applicant_id" value="{given.pk}"' in page
    assert earlier.tracking_number in page
    with translation.override("en"):  # the page's language (the client sends en)
        given_on = date_format(timezone.localdate(given.uploaded_at), "DATE_FORMAT")
    assert f"Use the one you gave on {given_on}" in page


def test_reusing_copies_the_file_into_the_new_case_and_records_it(
    first_item, second_item, citizen, client_for
):
    earlier = submitted_application(first_item, citizen)
    given = earlier.attachments.get()
    draft = draft_application(second_item, citizen)

    client_for(citizen).post(
        reverse("services:edit", args=[draft.pk]),
        {
            "applicant_name": "张三",
            "id_number": citizen.resident_id,
            "phone": "13912345678",
            "reuse__applicant_id": str(given.pk),
            "submit": "",
        },
    )

    draft.refresh_from_db()
    assert draft.status == "submitted"
    copy = draft.attachments.get(is_current=True)
    assert copy.reused_from == given
    assert copy.sha256 == given.sha256
    assert copy.file.name != given.file.name
    with copy.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    event = draft.events.get(kind=ApplicationEvent.Kind.MATERIAL_REUSED)
    assert earlier.tracking_number in event.note
    # The earlier case keeps its own file.
    assert Attachment.objects.get(pk=given.pk).application == earlier


def test_reviewers_of_the_new_case_can_open_the_reused_file(
    first_item, second_item, citizen, department, client_for
):
    given = submitted_application(first_item, citizen).attachments.get()
    draft = draft_application(second_item, citizen)
    once_only.reuse_material(draft, "applicant_id", given.pk, citizen)
    from services import filing

    filing.save_draft(
        draft,
        {"applicant_name": "张三", "id_number": citizen.resident_id, "phone": "13912345678"},
        {},
        citizen,
    )
    filing.submit(draft, citizen)
    from approvals.routing import route_application

    route_application(draft.pk)
    task = ReviewTask.objects.get(application=draft)
    copy = draft.attachments.get(is_current=True)

    clerk = clerk_of(task.department)
    response = client_for(clerk).get(reverse("approvals:attachment", args=[task.pk, copy.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_another_persons_file_cannot_be_reused(first_item, second_item, citizen):
    stranger = submitted_application(first_item, CitizenFactory()).attachments.get()
    draft = draft_application(second_item, citizen)

    assert once_only.reusable_materials(draft) == {}
    with pytest.raises(PermissionDenied):
        once_only.reuse_material(draft, "applicant_id", stranger.pk, citizen)
    assert not draft.attachments.exists()


def test_a_posted_id_of_someone_elses_file_is_refused(first_item, second_item, citizen, client_for):
    submitted_application(first_item, citizen)  # so the form offers a file
    stranger = submitted_application(first_item, CitizenFactory()).attachments.get()
    draft = draft_application(second_item, citizen)

    response = client_for(citizen).post(
        reverse("services:edit", args=[draft.pk]),
        {"reuse__applicant_id": str(stranger.pk), "save": ""},
    )

    assert response.status_code == 403
    assert not draft.attachments.exists()


def test_an_expired_file_is_not_offered(first_item, second_item, citizen):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        submitted_application(first_item, citizen)
    draft = draft_application(second_item, citizen)

    # The second item's material has the default validity of 365 days.
    assert once_only.reusable_materials(draft) == {}


def test_a_file_of_another_document_type_is_not_offered(department, second_item, citizen):
    licence = {"code": "licence", "name": "营业执照", "kind": "business-licence"}
    other = item_with_stages([[department]], materials=[licence], code="other")
    submitted_application(other, citizen)

    assert once_only.reusable_materials(draft_application(second_item, citizen)) == {}


def test_a_material_without_a_type_is_always_uploaded_anew(department, first_item, citizen):
    untyped = item_with_stages(
        [[department]], materials=[{"code": "id_card", "name": "身份证"}], code="untyped"
    )
    submitted_application(first_item, citizen)

    assert once_only.reusable_materials(draft_application(untyped, citizen)) == {}


def test_files_of_unsubmitted_drafts_are_not_offered(first_item, second_item, citizen):
    from tests.factories import complete_draft

    complete_draft(first_item, citizen)

    assert once_only.reusable_materials(draft_application(second_item, citizen)) == {}


def test_routed_case_shows_reuse_on_the_applicants_timeline(
    first_item, second_item, citizen, client_for
):
    given = routed_application(first_item, citizen).attachments.get()
    draft = draft_application(second_item, citizen)
    once_only.reuse_material(draft, "applicant_id", given.pk, citizen)

    assert draft.events.filter(kind="material_reused").count() == 1
