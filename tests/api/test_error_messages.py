"""The API's refusals in the caller's language (Accept-Language), English and Chinese alike.

Class-level messages are made once, at import: only a lazy translation follows each request's
language (issue 14: the staff-only 403 was always in Chinese). A 404 names no model and says
the same whether the object does not exist or is someone else's.
"""

import pytest

from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    draft_application,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

STAFF_ONLY = {"en": "This is for civil servants.", "zh-hans": "仅供工作人员使用。"}
NOT_FOUND = {"en": "Not found, or not yours to see.", "zh-hans": "未找到，或您无权查看。"}
NOT_LOGGED_IN = {
    "en": "Authentication credentials were not provided.",
    "zh-hans": "身份认证信息未提供。",
}
LANGUAGES = ("en", "zh-hans")


@pytest.fixture
def case():
    department = DepartmentFactory(code="dept-x")
    application = routed_application(item_with_stages([[department]]), CitizenFactory())
    return {"department": department, "application": application}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_only_refusal_is_in_the_callers_language(api, language):
    response = api(CitizenFactory(), language=language).get("/api/v1/tasks/")

    assert response.status_code == 403
    assert response.json()["errors"] == [STAFF_ONLY[language]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_anonymous_caller_is_told_to_log_in_in_their_language(api, language):
    response = api(language=language).get("/api/v1/tasks/")

    assert response.status_code == 401
    assert response.json()["errors"] == [NOT_LOGGED_IN[language]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_task_of_no_department_of_the_caller_is_not_found_without_model_names(
    api, case, language
):
    other_department = DepartmentFactory(code="dept-y")
    task = case["application"].review_tasks.get(department=case["department"])

    response = api(reviewer_of(other_department), language=language).get(
        f"/api/v1/tasks/{task.pk}/"
    )

    assert response.status_code == 404
    assert response.json() == {"errors": [NOT_FOUND[language]], "fields": {}}
    assert "ReviewTask" not in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_elses_application_and_a_missing_one_get_the_same_404(api, case, language):
    client = api(CitizenFactory(), language=language)

    someone_elses = client.get(f"/api/v1/applications/{case['application'].pk}/")
    missing = client.get("/api/v1/applications/987654321/")

    assert someone_elses.status_code == missing.status_code == 404
    assert someone_elses.json() == missing.json() == {"errors": [NOT_FOUND[language]], "fields": {}}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_api_address_is_not_found_in_the_callers_language(api, language):
    response = api(language=language).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["errors"] == [NOT_FOUND[language]]


def test_a_draft_of_someone_else_cannot_be_patched_and_the_answer_names_no_model(api, case):
    draft = draft_application(case["application"].item, CitizenFactory())

    response = api(CitizenFactory()).patch(
        f"/api/v1/applications/{draft.pk}/", {"answers": {"business_name": "某某商店"}}
    )

    assert response.status_code == 404
    assert "Application" not in response.content.decode()
