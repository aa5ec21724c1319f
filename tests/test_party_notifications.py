"""Notifications name the licensed party when it is not the reader (issue 17 §1).

A founder's receipt and decision name the company being founded; an agent's name the principal;
a department's name the party its case is about. The applicant's own case, filed in person,
reads as before: "Dear applicant, your application…" needs no second name.
"""

import pytest

from accounts.models import Notification
from accounts.notifications import render_notification
from services import filing
from tests.factories import (
    DEFAULT_ANSWERS,
    ApplicationFactory,
    CitizenFactory,
    DepartmentFactory,
    item_with_stages,
    reviewer_of,
)
from tests.test_parties import authorisation, complete_and_submit, founding_item  # noqa: F401

pytestmark = pytest.mark.django_db

COMPANY = "合肥新创科技有限公司"
LINE = {"en": "Licensed party: {}", "zh-hans": "行政相对人：{}"}


def body(recipient, kind: str, language: str) -> str:
    notification = Notification.objects.get(recipient=recipient, kind=kind)
    return render_notification(notification, language).body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_founders_receipt_and_decision_name_the_company(founding_item, language):  # noqa: F811
    founder = CitizenFactory(real_name="张三")
    ApplicationFactory(
        item=founding_item,
        applicant=founder,
        answers={**DEFAULT_ANSWERS, "business_name": COMPANY},
        approved=True,
    )
    for kind in ("application_received", "application_decided"):
        assert LINE[language].format(COMPANY) in body(founder, kind, language), kind


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_reads_whose_case_it_is_and_the_principal_reads_it_as_before(language):
    item = item_with_stages([[DepartmentFactory()]], audience="citizen")
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory(real_name="赵六")
    authorisation(principal, agent)
    complete_and_submit(filing.start_draft(item, principal, filed_by=agent), agent)

    assert LINE[language].format("张三") in body(agent, "application_received", language)
    own = body(principal, "application_received", language)
    assert LINE[language].split("{}")[0] not in own
    # Nothing else changed in the principal's receipt: no empty line where the name would be.
    assert "\n\n\n" not in own


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_department_reads_the_party_its_task_is_about(language):
    department = DepartmentFactory()
    reviewer = reviewer_of(department)
    item = item_with_stages(
        [[department]],
        audience="citizen",
        subject_rule="new_entity",
        subject_name_field="business_name",
    )
    ApplicationFactory(
        item=item, answers={**DEFAULT_ANSWERS, "business_name": COMPANY}, in_review=True
    )
    assert LINE[language].format(COMPANY) in body(reviewer, "task_assigned", language)
