"""A case from start to published decision through the API alone, as other systems use it."""

import pytest

from approvals.routing import route_application
from services.models import Application
from tests.factories import (
    TEXT_BYTES,
    CitizenFactory,
    DepartmentFactory,
    clerk_of,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    routed_application,
    service_centre,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments():
    return DepartmentFactory(code="market"), DepartmentFactory(code="tax")


@pytest.fixture
def item(departments):
    return item_with_stages([departments], code="food-licence", audience="both")


def start(client, item) -> dict:
    response = client.post("/api/v1/applications/", {"item": item.code})
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_catalogue_lists_published_items_with_their_guide(api, item):
    found = api().get("/api/v1/services/", {"department": "tax", "audience": "citizen"})
    guide = api().get(f"/api/v1/services/{item.code}/")

    assert [row["code"] for row in found.json()["results"]] == [item.code]
    assert guide.status_code == 200
    body = guide.json()
    assert [m["code"] for m in body["materials"]] == ["id_card", "site_photo"]
    assert [f["name"] for f in body["form_fields"]] == ["business_name", "postcode"]
    assert [d["department"]["code"] for d in body["stages"][0]["departments"]] == ["market", "tax"]


def test_a_catalogue_filter_outside_its_choices_is_refused_in_the_callers_language(api, item):
    response = api(language="zh-hans").get("/api/v1/services/", {"audience": "aliens"})

    assert response.status_code == 400
    assert "aliens" in response.json()["fields"]["audience"][0]
    assert "选择" in response.json()["fields"]["audience"][0]


def test_a_citizen_files_with_an_attachment_and_gets_a_tracking_number(api, item):
    citizen = CitizenFactory()
    client = api(citizen)
    draft = start(client, item)
    url = f"/api/v1/applications/{draft['id']}/"
    assert draft["status"] == "draft"
    assert "Attach “身份证明”." in draft["missing"]

    bad_answer = client.patch(url, {"answers": {"business_name": "张三便利店", "postcode": "abc"}})
    assert bad_answer.status_code == 400
    assert bad_answer.json()["fields"] == {
        "answers.postcode": ["A postcode has exactly six digits."]
    }
    assert Application.objects.get(pk=draft["id"]).answers == {}

    saved = client.patch(url, {"answers": {"business_name": "张三便利店", "postcode": "230001"}})
    assert saved.status_code == 200
    assert saved.json()["answers"] == {"business_name": "张三便利店", "postcode": "230001"}

    not_a_pdf = client.upload(
        url + "attachments/", {"material": "id_card", "file": pdf_upload("id.pdf", TEXT_BYTES)}
    )
    assert not_a_pdf.status_code == 400
    assert "is not a PDF, JPEG or PNG file" in not_a_pdf.json()["fields"]["file"][0]

    attached = client.upload(url + "attachments/", {"material": "id_card", "file": pdf_upload()})
    assert attached.status_code == 201
    assert [a["material_code"] for a in attached.json()["attachments"]] == ["id_card"]
    assert attached.json()["missing"] == []

    submitted = client.post(url + "submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["tracking_number"]
    assert [e["kind"] for e in submitted.json()["timeline"]] == ["created", "submitted"]


def test_submitting_an_incomplete_draft_lists_everything_missing(api, item):
    client = api(CitizenFactory())
    draft = start(client, item)

    response = client.post(f"/api/v1/applications/{draft['id']}/submit/")

    assert response.status_code == 400
    assert response.json()["errors"] == ["Answer “经营者名称”.", "Attach “身份证明”."]
    assert Application.objects.get(pk=draft["id"]).status == "draft"


def test_a_removed_attachment_is_no_longer_current_but_kept(api, item):
    client = api(CitizenFactory())
    draft = start(client, item)
    url = f"/api/v1/applications/{draft['id']}/"
    attached = client.upload(url + "attachments/", {"material": "id_card", "file": pdf_upload()})
    attachment_id = attached.json()["attachments"][0]["id"]

    removed = client.delete(f"{url}attachments/{attachment_id}/")

    assert removed.status_code == 200
    assert removed.json()["attachments"] == []
    assert "Attach “身份证明”." in removed.json()["missing"]
    assert Application.objects.get(pk=draft["id"]).attachments.filter(is_current=False).count() == 1


def test_an_enterprise_only_service_refuses_a_citizen_with_403(api, departments):
    item = item_with_stages([departments[:1]], audience="enterprise")

    response = api(CitizenFactory()).post("/api/v1/applications/", {"item": item.code})

    assert response.status_code == 403
    assert response.json()["errors"] == ["This service is for Enterprises."]


def test_reviewers_decide_and_the_applicant_watches_every_department(api, item, departments):
    market, tax = departments
    citizen = CitizenFactory(real_name="张三")
    applicant = api(citizen)
    draft = start(applicant, item)
    url = f"/api/v1/applications/{draft['id']}/"
    applicant.patch(url, {"answers": {"business_name": "张三便利店"}})
    applicant.upload(url + "attachments/", {"material": "id_card", "file": pdf_upload()})
    applicant.post(url + "submit/")
    route_application(draft["id"])  # what the Celery worker does after the commit

    clerk = api(clerk_of(service_centre()))
    acceptance = clerk.get("/api/v1/tasks/").json()["results"]
    assert [t["application_id"] for t in acceptance] == [draft["id"]]
    accepted = clerk.post(
        f"/api/v1/tasks/{acceptance[0]['id']}/decision/", {"outcome": "approve", "opinion": "受理"}
    )
    assert accepted.status_code == 200, accepted.json()

    status = applicant.get(url).json()
    review = {d["department"]["code"]: d for d in status["stages"][1]["departments"]}
    assert status["status"] == "in_review"
    assert {code: row["state"] for code, row in review.items()} == {
        "market": "pending",
        "tax": "pending",
    }
    assert all(row["due_at"] for row in review.values())

    for department, opinion in ((market, "同意"), (tax, "符合条件")):
        reviewer = api(reviewer_of(department))
        task = reviewer.get("/api/v1/tasks/").json()["results"][0]
        claimed = reviewer.post(f"/api/v1/tasks/{task['id']}/claim/")
        assert claimed.json()["claimed_by"]
        decided = reviewer.post(
            f"/api/v1/tasks/{task['id']}/decision/", {"outcome": "approve", "opinion": opinion}
        )
        assert decided.json()["state"] == "approved"

    status = applicant.get(url).json()
    assert status["status"] == "approved"
    assert [d["opinion"] for d in status["stages"][1]["departments"]] == ["同意", "符合条件"]
    assert status["certificate_number"]

    public = api()
    record = public.get(f"/api/v1/decisions/{status['tracking_number']}/").json()
    assert record["applicant_display"] == "张*"
    assert record["outcome"] == "approved"
    register = public.get("/api/v1/decisions/", {"text": "张*"}).json()
    assert [r["tracking_number"] for r in register["results"]] == [status["tracking_number"]]
    certificate = public.get(f"/api/v1/certificates/{status['certificate_number'].lower()}/")
    assert certificate.status_code == 200
    assert certificate.json()["status"] == "valid"
    assert certificate.json()["holder_name"] == "张*"


def test_a_supplement_request_is_answered_through_the_api(api, item, departments):
    market, _tax = departments
    citizen = CitizenFactory()
    application = routed_application(item, citizen)
    reviewer = api(reviewer_of(market))
    task = reviewer.get("/api/v1/tasks/", {"item": item.code}).json()["results"][0]
    asked = reviewer.post(
        f"/api/v1/tasks/{task['id']}/decision/",
        {"outcome": "request_supplement", "opinion": "请补充经营场所照片。"},
    )
    assert asked.json()["state"] == "supplement_requested"

    applicant = api(citizen)
    url = f"/api/v1/applications/{application.pk}/"
    assert applicant.get(url).json()["status"] == "supplement_requested"
    applicant.upload(url + "attachments/", {"material": "site_photo", "file": pdf_upload()})
    answered = applicant.post(url + "supplement/")

    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == "in_review"
    assert reviewer.get(f"/api/v1/tasks/{task['id']}/").json()["state"] == "pending"


def test_a_supplement_cannot_be_sent_for_a_draft(api, item):
    client = api(CitizenFactory())
    draft = start(client, item)

    response = client.post(f"/api/v1/applications/{draft['id']}/supplement/")

    assert response.status_code == 400
    assert response.json()["errors"] == ["No supplement has been requested for this application."]
    assert Application.objects.get(pk=draft["id"]).status == "draft"


def test_withdrawing_twice_is_a_conflict(api, item):
    citizen = CitizenFactory()
    application = routed_application(item, citizen)
    client = api(citizen)
    url = f"/api/v1/applications/{application.pk}/withdraw/"

    first = client.post(url, {"reason": "不再需要"})
    second = client.post(url)

    assert first.status_code == 200
    assert first.json()["status"] == "withdrawn"
    assert second.status_code == 409
    assert second.json()["errors"]


def test_the_clock_stops_and_resumes_and_the_head_decides_the_extension(api, item, departments):
    from tests.factories import head_of

    market, _tax = departments
    application = routed_application(item)
    reviewer = api(reviewer_of(market))
    task_id = application.review_tasks.get(department=market).pk
    due_before = reviewer.get(f"/api/v1/tasks/{task_id}/").json()["due_at"]

    stopped = reviewer.post(
        f"/api/v1/tasks/{task_id}/clock-stop/", {"reason": "inspection", "note": "现场核查"}
    )
    assert stopped.json()["clock_stopped_at"]
    resumed = reviewer.post(f"/api/v1/tasks/{task_id}/clock-resume/")
    assert resumed.json()["clock_stopped_at"] is None

    requested = reviewer.post(
        f"/api/v1/tasks/{task_id}/extension/", {"working_days": 3, "reason": "需要专家论证"}
    )
    assert requested.json()["extension"]["state"] == "requested"
    head = api(head_of(market))
    extension = head.get("/api/v1/extensions/").json()["results"][0]
    decided = head.post(f"/api/v1/extensions/{extension['id']}/decision/", {"approve": True})

    assert decided.status_code == 200, decided.json()
    assert decided.json()["state"] == "approved"
    assert reviewer.get(f"/api/v1/tasks/{task_id}/").json()["due_at"] > due_before


def test_a_draft_cannot_be_withdrawn_it_was_never_filed(api, item):
    client = api(CitizenFactory())
    draft = start(client, item)

    response = client.post(f"/api/v1/applications/{draft['id']}/withdraw/")

    assert response.status_code == 409
    assert response.json()["errors"] == ["This application is Draft and cannot become Withdrawn."]
    assert Application.objects.get(pk=draft["id"]).status == "draft"


def test_the_head_sees_overdue_tasks_of_the_department_and_reviewers_see_none(
    api, item, departments, time_machine
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import head_of

    market, _tax = departments
    application = routed_application(item)
    task = application.review_tasks.get(department=market)
    head_user, reviewer_user = head_of(market), reviewer_of(market)
    assert api(head_user).get("/api/v1/tasks/overdue/").json()["results"] == []

    time_machine.move_to(task.due_at + timedelta(hours=1))
    # Staff tokens last 15 idle minutes: new ones, days later.
    head, reviewer = api(head_user), api(reviewer_user)
    overdue = head.get("/api/v1/tasks/overdue/").json()["results"]

    assert [row["id"] for row in overdue] == [task.pk]
    assert overdue[0]["is_overdue"] is True
    assert reviewer.get("/api/v1/tasks/overdue/").json()["results"] == []
    assert timezone.now() > task.due_at
