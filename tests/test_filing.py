"""Filing: drafts, the form rules, materials, submission and the frozen item definition."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from approvals.routing import route_application
from services import filing
from services.models import Application, ApplicationEvent, Attachment, Audience, ServiceItemVersion
from tests.factories import (
    PDF_BYTES,
    TEXT_BYTES,
    ApplicationFactory,
    CitizenFactory,
    DepartmentFactory,
    ReviewStageFactory,
    StageDepartmentFactory,
    accept,
    application_form_data,
    implementation_of,
    item_with_stages,
    pdf_upload,
    png_upload,
    reviewer_of,
    routed_application,
    sniffed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments():
    return [DepartmentFactory(name="市市场监督管理局"), DepartmentFactory(name="市消防救援支队")]


@pytest.fixture
def item(departments):
    return item_with_stages([departments])


@pytest.fixture
def citizen():
    return CitizenFactory()


@pytest.fixture
def draft(item, citizen):
    return ApplicationFactory(item=item, applicant=citizen)


@pytest.fixture
def applicant_client(client_for, citizen):
    return client_for(citizen)


def edit_url(application) -> str:
    return reverse("services:edit", args=[application.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_applicant_starts_a_draft_from_the_guide(applicant_client, item, citizen):
    response = applicant_client.post(reverse("services:start", args=[item.code]))

    application = Application.objects.get(applicant=citizen)
    assert response.status_code == 302
    assert response["Location"] == edit_url(application)
    assert application.status == Application.Status.DRAFT
    assert application.tracking_number is None
    assert application.events.filter(kind=ApplicationEvent.Kind.CREATED).exists()


def test_citizen_cannot_start_an_item_for_enterprises(applicant_client, departments, citizen):
    item = item_with_stages([departments], audience=Audience.ENTERPRISE)

    response = applicant_client.post(reverse("services:start", args=[item.code]))

    assert response.status_code == 302
    assert response["Location"] == item.get_absolute_url()
    assert not Application.objects.filter(applicant=citizen).exists()


def test_saved_draft_keeps_the_answers_when_the_applicant_comes_back(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "庐阳区张记面馆"})
    )

    assert response.status_code == 302
    assert response["Location"] == edit_url(draft)
    draft.refresh_from_db()
    assert draft.answers == {"business_name": "庐阳区张记面馆"}
    assert draft.status == Application.Status.DRAFT
    page = applicant_client.get(edit_url(draft))
    assert page.status_code == 200
    assert "庐阳区张记面馆" in page.content.decode()


def test_applicant_can_clear_an_optional_answer_of_a_draft(applicant_client, draft):
    applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "张记", "postcode": "230001"})
    )

    applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "张记", "postcode": ""})
    )

    draft.refresh_from_db()
    assert draft.answers == {"business_name": "张记"}


def test_saved_draft_keeps_the_attached_material(applicant_client, draft):
    applicant_client.post(
        edit_url(draft), application_form_data(id_card=pdf_upload("我的身份证.pdf"))
    )

    attachment = Attachment.objects.get(application=draft)
    assert attachment.material_code == "id_card"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == PDF_BYTES
    assert "我的身份证.pdf" in applicant_client.get(edit_url(draft)).content.decode()


def test_draft_may_be_saved_incomplete(applicant_client, draft):
    response = applicant_client.post(edit_url(draft), application_form_data({}))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_stored_file_name_never_comes_from_the_applicant(applicant_client, draft):
    applicant_client.post(
        edit_url(draft), application_form_data(id_card=pdf_upload("张三 身份证.png"))
    )

    attachment = Attachment.objects.get(application=draft)
    assert attachment.original_name == "张三 身份证.png"
    assert "身份证" not in attachment.file.name
    assert attachment.file.name.endswith(
        ".pdf"
    )  # the extension of the sniffed type, not of the name


def test_png_material_is_accepted(applicant_client, draft):
    applicant_client.post(edit_url(draft), application_form_data(id_card=png_upload("scan.png")))

    attachment = Attachment.objects.get(application=draft)
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png")


def test_new_file_for_a_material_supersedes_the_previous_one(applicant_client, draft):
    applicant_client.post(edit_url(draft), application_form_data(id_card=pdf_upload("first.pdf")))
    applicant_client.post(edit_url(draft), application_form_data(id_card=png_upload("second.png")))

    current = Attachment.objects.get(application=draft, is_current=True)
    assert current.original_name == "second.png"
    assert (
        Attachment.objects.filter(application=draft, is_current=False).get().original_name
        == "first.pdf"
    )


def test_submission_gives_a_tracking_number_at_once(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data(submit=True, id_card=pdf_upload())
    )

    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED
    assert re.fullmatch(r"\d{8}\d{8}", draft.tracking_number)
    assert response.status_code == 302
    assert response["Location"] == draft.get_absolute_url()
    assert any(draft.tracking_number in message for message in messages_of(response))
    status_page = applicant_client.get(draft.get_absolute_url())
    assert draft.tracking_number in status_page.content.decode()


def test_submission_records_the_event_and_freezes_the_item(applicant_client, draft):
    applicant_client.post(edit_url(draft), application_form_data(submit=True, id_card=pdf_upload()))

    draft.refresh_from_db()
    assert draft.submitted_at is not None
    assert draft.item_version is not None
    assert draft.events.filter(kind=ApplicationEvent.Kind.SUBMITTED).count() == 1


def test_submission_without_a_required_answer_is_refused_and_nothing_is_submitted(
    applicant_client, draft
):
    response = applicant_client.post(
        edit_url(draft),
        application_form_data({"postcode": "230001"}, submit=True, id_card=pdf_upload()),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["business_name"]
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT
    assert draft.tracking_number is None
    assert not Attachment.objects.filter(application=draft).exists()


def test_submission_without_a_required_material_is_refused(applicant_client, draft):
    response = applicant_client.post(edit_url(draft), application_form_data(submit=True))

    assert response.status_code == 200
    assert "Attach this material before you submit." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_material_attached_to_the_draft_need_not_be_attached_again_to_submit(
    applicant_client, draft
):
    applicant_client.post(edit_url(draft), application_form_data(id_card=pdf_upload()))

    applicant_client.post(edit_url(draft), application_form_data(submit=True))

    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED


def test_answer_not_matching_the_pattern_gets_the_items_own_message(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "张记", "postcode": "23A01"})
    )

    assert response.status_code == 200
    assert "A postcode has exactly six digits." in response.content.decode()
    draft.refresh_from_db()
    # The wrong answer is not stored; the draft keeps the right one (tests/test_drafts.py).
    assert draft.answers == {"business_name": "张记"}


def test_pattern_must_match_the_whole_answer(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "张记", "postcode": "2300011"})
    )

    assert response.status_code == 200
    assert response.context["form"].errors["postcode"] == ["A postcode has exactly six digits."]


def test_answer_shorter_than_the_minimum_length_is_refused(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "张"})
    )

    assert response.status_code == 200
    assert response.context["form"].errors["business_name"]
    draft.refresh_from_db()
    assert draft.answers == {}


def test_answer_longer_than_the_maximum_length_is_refused(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data({"business_name": "长" * 41})
    )

    assert response.status_code == 200
    assert response.context["form"].errors["business_name"]
    draft.refresh_from_db()
    assert draft.answers == {}


def test_text_file_named_pdf_is_refused_with_a_clear_message_and_not_stored(
    applicant_client, draft
):
    response = applicant_client.post(
        edit_url(draft),
        application_form_data(id_card=pdf_upload("licence.pdf", content=TEXT_BYTES)),
    )

    assert response.status_code == 200
    assert "The file licence.pdf is not a PDF, JPEG or PNG file." in response.content.decode()
    assert not Attachment.objects.filter(application=draft).exists()


def test_oversize_file_is_refused_with_its_size_and_not_stored(applicant_client, draft, settings):
    settings.MATERIAL_MAX_BYTES = 64
    assert len(PDF_BYTES) > 64

    response = applicant_client.post(
        edit_url(draft), application_form_data(id_card=pdf_upload("big.pdf"))
    )

    assert response.status_code == 200
    assert "The file big.pdf is" in response.content.decode()
    assert "the limit is" in response.content.decode()
    assert not Attachment.objects.filter(application=draft).exists()


def test_empty_file_is_refused(applicant_client, draft):
    response = applicant_client.post(
        edit_url(draft), application_form_data(id_card=pdf_upload("empty.pdf", content=b""))
    )

    assert response.status_code == 200
    assert not Attachment.objects.filter(application=draft).exists()


def test_bad_file_is_not_stored_but_the_answers_of_the_same_post_are(applicant_client, draft):
    applicant_client.post(
        edit_url(draft),
        application_form_data(
            {"business_name": "庐阳区张记面馆"}, id_card=pdf_upload("x.pdf", content=TEXT_BYTES)
        ),
    )

    draft.refresh_from_db()
    # A draft never loses what was typed: the answers are kept, the bad file is refused.
    assert draft.answers == {"business_name": "庐阳区张记面馆"}
    assert not Attachment.objects.filter(application=draft).exists()


def test_submitted_application_is_no_longer_editable(applicant_client, item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)

    response = applicant_client.get(edit_url(application))

    assert response.status_code == 302
    assert response["Location"] == application.get_absolute_url()


def test_submitted_application_cannot_be_submitted_again(item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)

    with pytest.raises(ValidationError):
        filing.submit(application, citizen)
    assert ApplicationEvent.objects.filter(application=application, kind="submitted").count() == 1


def test_domain_submission_lists_everything_missing(item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen)

    with pytest.raises(ValidationError) as error:
        filing.submit(application, citizen)

    assert len(error.value.messages) == 2  # the business name and the identity document
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


# --- the form's decision: save, submit or send the supplement (filing.file_form) -------------------


def test_filing_the_form_without_sending_saves_the_draft(draft, citizen):
    filed, outcome = filing.file_form(
        draft, answers={"business_name": "张三便利店"}, uploads={}, actor=citizen, send=False
    )

    assert outcome == filing.Filed.SAVED
    assert filed.status == Application.Status.DRAFT
    assert filed.answers == {"business_name": "张三便利店"}


def test_sending_a_complete_draft_submits_it(draft, citizen):
    uploads = {"id_card": sniffed(pdf_upload())}

    filed, outcome = filing.file_form(
        draft, answers={"business_name": "张三便利店"}, uploads=uploads, actor=citizen, send=True
    )

    assert outcome == filing.Filed.SUBMITTED
    assert filed.status == Application.Status.SUBMITTED
    assert filed.tracking_number


def test_sending_an_incomplete_draft_is_refused_and_saves_nothing(draft, citizen):
    with pytest.raises(ValidationError):
        filing.file_form(
            draft, answers={"business_name": "张三便利店"}, uploads={}, actor=citizen, send=True
        )

    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT
    assert draft.answers == {}


def test_sending_an_application_awaiting_supplements_provides_the_supplement(item, departments):
    application = routed_application(item)
    task = ReviewTask.objects.filter(application=application, stage_order=1).first()
    decide(task.pk, reviewer_of(task.department), Outcome.REQUEST_SUPPLEMENT, "请补充照片")

    filed, outcome = filing.file_form(
        application,
        answers={},
        uploads={"site_photo": sniffed(png_upload())},
        actor=application.applicant,
        send=True,
    )

    assert outcome == filing.Filed.SUPPLEMENT_PROVIDED
    assert filed.status == Application.Status.IN_REVIEW
    assert application.events.filter(kind=ApplicationEvent.Kind.SUPPLEMENT_PROVIDED).exists()


def test_catalogue_edits_after_submission_do_not_change_the_submitted_definition(item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)
    frozen = application.definition

    item.fields.filter(name="business_name").update(label="改名后的字段")
    implementation_of(item).stages.get(order=1).departments.create(
        department=DepartmentFactory(name="新增的部门")
    )
    StageDepartmentFactory(
        stage=ReviewStageFactory(item=item, order=2), department=DepartmentFactory()
    )
    item.statutory_limit_days = 5
    item.save()

    application = Application.objects.get(pk=application.pk)
    assert application.definition == frozen
    assert [f.label for f in application.definition.fields][0] == "经营者名称"
    assert len(application.definition.review_stages) == 1
    assert application.definition.item.statutory_limit_days == 20


def test_routing_follows_the_definition_frozen_at_submission(item, citizen, departments):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)
    implementation_of(item).stages.get(order=1).departments.create(
        department=DepartmentFactory(name="新增的部门")
    )

    route_application(application.pk)
    accept(application)

    routed_to = set(
        ReviewTask.objects.filter(application=application, stage_order=1).values_list(
            "department", flat=True
        )
    )
    assert routed_to == {department.pk for department in departments}


def test_submission_after_a_catalogue_edit_follows_the_new_definition(item, departments):
    before = ApplicationFactory(item=item, submitted=True)
    added = DepartmentFactory(name="新增的部门")
    implementation_of(item).stages.get(order=1).departments.create(department=added)

    after = ApplicationFactory(item=item, submitted=True)

    assert after.item_version != before.item_version
    assert after.item_version.number == before.item_version.number + 1
    assert added.pk in after.definition.review_stages[0].department_ids


def test_unchanged_item_reuses_its_frozen_version(item):
    ApplicationFactory(item=item, submitted=True)
    ApplicationFactory(item=item, submitted=True)

    assert ServiceItemVersion.objects.filter(item=item).count() == 1


def test_applicant_downloads_their_own_attachment(applicant_client, item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)
    attachment = application.attachments.get(material_code="id_card")

    response = applicant_client.get(
        reverse("services:attachment", args=[application.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_applicant_withdraws_an_application_under_review(applicant_client, item, citizen):
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)
    route_application(application.pk)
    accept(application)

    response = applicant_client.post(
        reverse("services:withdraw", args=[application.pk]), {"reason": "不再需要"}
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert not ReviewTask.objects.filter(
        application=application, state__in=ReviewTask.OPEN_STATES
    ).exists()
