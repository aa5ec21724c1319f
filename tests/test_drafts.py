"""Drafts saved as you go, and "my applications" with what happens next."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from services.models import Application
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    draft_application,
    item_with_stages,
    pdf_upload,
    routed_application,
    submitted_application,
)


@pytest.fixture
def item(db):
    return item_with_stages([[DepartmentFactory()]])


@pytest.fixture
def draft(item):
    return draft_application(item)


def test_saving_a_draft_keeps_the_valid_answers_and_files_when_one_answer_is_wrong(
    draft, client_for
):
    client = client_for(draft.applicant)
    response = client.post(
        reverse("services:edit", args=[draft.pk]),
        {
            "business_name": "张三便利店",
            "postcode": "12",
            "material__id_card": pdf_upload(),
            "save": "",
        },
    )

    draft.refresh_from_db()
    assert draft.answers == {"business_name": "张三便利店"}
    assert draft.attachments.filter(material_code="id_card", is_current=True).exists()
    page = response.content.decode()
    assert "A postcode has exactly six digits." in page
    assert 'value="12"' in page  # what was typed is still there to correct


def test_a_wrong_answer_never_erases_the_one_saved_before(draft, client_for):
    client = client_for(draft.applicant)
    url = reverse("services:edit", args=[draft.pk])
    client.post(url, {"business_name": "张三便利店", "postcode": "230001", "save": ""})

    client.post(url, {"business_name": "张", "postcode": "230001", "save": ""})

    draft.refresh_from_db()
    assert draft.answers == {"business_name": "张三便利店", "postcode": "230001"}


def test_the_form_loads_the_autosave_script_from_a_static_file(draft, client_for):
    page = client_for(draft.applicant).get(reverse("services:edit", args=[draft.pk]))
    html = page.content.decode()

    assert f'data-autosave-url="{reverse("services:autosave", args=[draft.pk])}"' in html
    assert '<script src="/static/js/autosave.js" defer></script>' in html
    assert "<script>" not in html  # nothing inline: the CSP would block it
    assert 'name="save"' in html  # and without the script, saving works as before


def test_autosave_keeps_the_answers_typed_so_far(draft, client_for):
    response = client_for(draft.applicant).post(
        reverse("services:autosave", args=[draft.pk]), {"business_name": "李四小吃", "postcode": ""}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is True and body["errors"] == {}
    draft.refresh_from_db()
    assert draft.answers == {"business_name": "李四小吃"}


def test_autosave_reports_wrong_answers_and_keeps_the_rest(draft, client_for):
    response = client_for(draft.applicant).post(
        reverse("services:autosave", args=[draft.pk]),
        {"business_name": "李四小吃", "postcode": "abc"},
    )

    assert response.json()["errors"] == {"postcode": ["A postcode has exactly six digits."]}
    draft.refresh_from_db()
    assert draft.answers == {"business_name": "李四小吃"}


def test_autosave_of_someone_elses_draft_is_not_found(draft, client_for):
    response = client_for(CitizenFactory()).post(
        reverse("services:autosave", args=[draft.pk]), {"business_name": "冒名"}
    )

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.answers == {}


def test_autosave_cannot_change_a_submitted_application(item, client_for):
    application = submitted_application(item)
    before = dict(application.answers)

    response = client_for(application.applicant).post(
        reverse("services:autosave", args=[application.pk]), {"business_name": "改名"}
    )

    assert response.status_code == 409
    application.refresh_from_db()
    assert application.answers == before


def test_my_applications_lists_drafts_and_cases_with_their_next_step(item, client_for):
    applicant = CitizenFactory()
    draft_application(item, applicant)
    in_review = routed_application(item, applicant)

    page = client_for(applicant).get(reverse("services:mine")).content.decode()

    assert "Continue the draft" in page
    assert "Finish and submit your application." in page
    assert in_review.tracking_number in page
    assert "The departments are reviewing it." in page
    assert "working days left" in page


def test_my_applications_shows_only_my_own(item, client_for):
    mine, theirs = CitizenFactory(), CitizenFactory()
    other = routed_application(item, theirs)

    page = client_for(mine).get(reverse("services:mine")).content.decode()

    assert other.tracking_number not in page


def test_my_applications_does_not_query_per_row(item, client_for, django_assert_max_num_queries):
    applicant = CitizenFactory()
    for _ in range(3):
        submitted_application(item, applicant)
    client = client_for(applicant)
    client.get(reverse("services:mine"))  # warm caches (calendar, session)

    with django_assert_max_num_queries(20) as captured:
        client.get(reverse("services:mine"))
    few = len(captured)
    for _ in range(3):
        submitted_application(item, applicant)
    with django_assert_max_num_queries(few) as captured:
        client.get(reverse("services:mine"))
    assert Application.objects.filter(applicant=applicant).count() == 6


# --- one draft at a time, unless asked; discarding -----------------------------------------------


def test_apply_online_continues_the_draft_already_begun(draft, client_for):
    client = client_for(draft.applicant)

    response = client.post(reverse("services:start", args=[draft.item.code]))

    assert response.status_code == 302
    assert response["Location"] == reverse("services:edit", args=[draft.pk])
    assert Application.objects.filter(applicant=draft.applicant).count() == 1


def test_the_guide_offers_the_draft_and_a_new_application_as_separate_choices(draft, client_for):
    client = client_for(draft.applicant)

    guide = client.get(reverse("services:guide", args=[draft.item.code])).content.decode()
    started = client.post(reverse("services:start", args=[draft.item.code]), {"new": "1"})

    assert "Continue your draft" in guide
    assert reverse("services:edit", args=[draft.pk]) in guide
    assert "Start a new application instead" in guide
    assert Application.objects.filter(applicant=draft.applicant).count() == 2
    assert started["Location"] != reverse("services:edit", args=[draft.pk])


def test_draft_rows_say_when_each_was_started_and_last_saved(item, client_for):
    applicant = CitizenFactory()
    first = draft_application(item, applicant)
    draft_application(item, applicant)
    Application.objects.filter(pk=first.pk).update(
        created_at="2026-11-02T09:00:00+08:00", updated_at="2026-11-03T10:30:00+08:00"
    )

    page = client_for(applicant).get(reverse("services:mine")).content.decode()

    assert "Started 2 Nov 2026, 09:00" in page and "Last saved 3 Nov 2026, 10:30" in page
    assert page.count("Last saved") == 2


def test_the_applicant_discards_a_draft_after_confirming(
    draft, client_for, django_capture_on_commit_callbacks
):
    client = client_for(draft.applicant)
    client.post(
        reverse("services:edit", args=[draft.pk]),
        {"material__id_card": pdf_upload(), "save": ""},
    )
    stored = draft.attachments.get().file.name
    url = reverse("services:discard", args=[draft.pk])

    confirmation = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        discarded = client.post(url)

    assert "Discard the draft?" in confirmation.content.decode()
    assert discarded["Location"] == reverse("services:mine")
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not default_storage.exists(stored)
    entry = AuditEntry.objects.get(action="application.draft_discarded")
    assert entry.actor_id == draft.applicant.pk and entry.object_id == str(draft.pk)


def test_a_submitted_application_is_not_discarded(item, client_for):
    application = submitted_application(item)

    response = client_for(application.applicant).post(
        reverse("services:discard", args=[application.pk])
    )

    assert response.status_code == 302
    assert Application.objects.filter(pk=application.pk).exists()
    assert not AuditEntry.objects.filter(action="application.draft_discarded").exists()


def test_nobody_else_discards_a_draft(draft, client_for):
    response = client_for(CitizenFactory()).post(reverse("services:discard", args=[draft.pk]))

    assert response.status_code == 404
    assert Application.objects.filter(pk=draft.pk).exists()


def test_a_wrong_file_alone_is_reported_as_a_file_not_an_answer(draft, client_for):
    response = client_for(draft.applicant).post(
        reverse("services:edit", args=[draft.pk]),
        {
            "business_name": "张三便利店",
            "material__id_card": SimpleUploadedFile("notes.txt", b"just text"),
            "save": "",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Draft saved, except the files marked below" in page
    assert "except the answers" not in page
    draft.refresh_from_db()
    assert draft.answers["business_name"] == "张三便利店"
