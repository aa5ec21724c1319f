"""Who is who on a case (issue 17 §1–3, §7): the licensed party, agents, enterprise members.

docs/people.md states the rules these tests prove; the permission matrix
(tests/test_permission_matrix.py) has a row for each new page.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.enterprises import accept_invitation, add_member, invite, remove_member
from accounts.models import AuditEntry, EnterpriseMember, EnterpriseRole, Notification
from approvals.routing import route_application
from disclosure.publishing import publish_decision
from instruments.content import instrument_party
from instruments.reuse import holder_ids
from services import filing
from services.models import Application, Authorisation
from services.parties import authorise, record_subject_credit_code, revoke_authorisation, subject_of
from tests.api.conftest import ApiClient, token_for
from tests.factories import (
    DEFAULT_ANSWERS,
    ApplicationFactory,
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    accept,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    sniffed,
    valid_credit_code,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def api():
    """api(user) -> a JSON client with an API token for the user, as a program would use."""

    def make(user, *, language: str = "en") -> ApiClient:
        return ApiClient(token_for(user), language)

    return make


@pytest.fixture
def item():
    return item_with_stages([[DepartmentFactory()]], audience="both")


@pytest.fixture
def founding_item():
    """Business start-up: the licence goes to the company named in the form."""
    return item_with_stages(
        [[DepartmentFactory()]],
        audience="citizen",
        subject_rule="new_entity",
        subject_name_field="business_name",
    )


def authorisation(principal, agent, *, item=None, days=30, starts=0) -> Authorisation:
    return authorise(
        principal=principal,
        agent=agent,
        item=item,
        valid_from=TODAY() + timedelta(days=starts),
        valid_until=TODAY() + timedelta(days=days),
        power_of_attorney=sniffed(pdf_upload("委托书.pdf")),
    )


def refusals(reason: str):
    return AuditEntry.objects.filter(action="party.refused", detail__reason=reason)


def complete_and_submit(application: Application, actor) -> Application:
    from services.materials import sniff_material

    uploads = {}
    for material in application.definition.materials:
        upload = pdf_upload(f"{material.code}.pdf")
        upload.sniffed_type = sniff_material(upload)
        uploads[material.code] = upload
    filing.save_draft(application, dict(DEFAULT_ANSWERS), uploads, actor)
    return filing.submit(application, actor)


# --- §1 the licensed party -----------------------------------------------------------------------


def test_a_case_filed_in_person_names_the_applicant_as_licensed_party(item):
    citizen = CitizenFactory(real_name="张三丰")
    application = ApplicationFactory(item=item, applicant=citizen, submitted=True)
    assert application.subject_account == citizen
    assert subject_of(application).name == "张三丰"
    assert subject_of(application).is_natural_person


def test_a_founder_files_for_a_new_company_which_the_certificate_register_and_instruments_name(
    founding_item,
):
    founder = CitizenFactory(real_name="张三")
    application = ApplicationFactory(
        item=founding_item,
        applicant=founder,
        answers={**DEFAULT_ANSWERS, "business_name": "合肥新创科技有限公司"},
        approved=True,
    )
    assert application.subject_account is None
    assert application.subject_name == "合肥新创科技有限公司"
    certificate = application.certificate
    assert (certificate.holder_kind, certificate.holder_name) == (
        "enterprise",
        "合肥新创科技有限公司",
    )
    # An organisation's name is public in the register: not masked like a person's.
    assert publish_decision(application).applicant_display == "合肥新创科技有限公司"
    party = instrument_party(application)
    assert (party.name, party.kind) == ("合肥新创科技有限公司", "organisation")
    # The founder still owns the case: sees it, is notified.
    assert application.applicant == founder
    assert Notification.objects.filter(recipient=founder, kind="application_received").exists()


def test_the_new_entity_receives_its_credit_code_later_and_a_wrong_one_is_refused(founding_item):
    application = ApplicationFactory(item=founding_item, submitted=True)
    code = valid_credit_code()
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    with pytest.raises(ValidationError):
        record_subject_credit_code(application, wrong, application.applicant)
    application.refresh_from_db()
    assert application.subject_credit_code == ""
    record_subject_credit_code(application, code, application.applicant)
    application.refresh_from_db()
    assert subject_of(application).identifier == code


# --- §2 agents -----------------------------------------------------------------------------------


def test_an_agent_files_in_the_principals_name_and_both_see_who_filed_for_whom(item, client_for):
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory(real_name="李四")
    authorisation(principal, agent)
    started = client_for(agent).post(
        reverse("services:start", args=[item.code]), {"on_behalf_of": principal.pk}
    )
    application = Application.objects.get()
    assert started["Location"] == reverse("services:edit", args=[application.pk])
    assert (application.applicant, application.filed_by) == (principal, agent)
    assert application.filing_capacity == "agent"
    complete_and_submit(application, agent)
    notes = list(application.events.values_list("note", flat=True))
    assert "李四 (agent) for 张三" in notes
    page = client_for(principal).get(application.get_absolute_url())
    assert "李四 (agent) for 张三" in page.content.decode()
    # The principal's certificates are the ones the agent may pick, never the agent's own.
    assert holder_ids(application) == [principal.pk]
    # Both hear about it.
    received = Notification.objects.filter(kind="application_received")
    assert set(received.values_list("recipient", flat=True)) == {principal.pk, agent.pk}


def test_the_principal_sees_every_case_in_their_name_the_agent_only_what_they_filed(
    item, client_for
):
    principal, agent = CitizenFactory(), CitizenFactory()
    authorisation(principal, agent)
    by_agent = filing.start_draft(item, principal, filed_by=agent)
    by_principal = filing.start_draft(item, principal)
    principal_list = client_for(principal).get(reverse("services:mine")).context["page"]
    agent_list = client_for(agent).get(reverse("services:mine")).context["page"]
    assert {a.pk for a in principal_list} == {by_agent.pk, by_principal.pk}
    assert {a.pk for a in agent_list} == {by_agent.pk}
    assert (
        client_for(agent).get(reverse("services:edit", args=[by_principal.pk])).status_code == 404
    )


def test_the_principal_withdraws_a_case_the_agent_filed_and_the_agent_may_not(item, client_for):
    principal, agent = CitizenFactory(), CitizenFactory()
    authorisation(principal, agent)
    application = complete_and_submit(filing.start_draft(item, principal, filed_by=agent), agent)
    url = reverse("services:withdraw", args=[application.pk])
    client_for(agent).post(url)
    application.refresh_from_db()
    assert application.status == "submitted"
    client_for(principal).post(url)
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_a_revoked_authorisation_stops_new_filings_at_once_with_a_message_and_an_audit_entry(
    item, client_for
):
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory()
    given = authorisation(principal, agent)
    revoke_authorisation(given.pk, principal)
    response = client_for(agent).post(
        reverse("services:start", args=[item.code]), {"on_behalf_of": principal.pk}, follow=True
    )
    assert "Your authorisation from 张三 has been revoked." in response.content.decode()
    assert not Application.objects.exists()
    assert refusals("revoked").count() == 1


def test_the_api_refuses_an_expired_authorisation_with_403_and_the_reason_in_chinese(item, api):
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory()
    given = authorisation(principal, agent)
    Authorisation.objects.filter(pk=given.pk).update(
        valid_from=TODAY() - timedelta(days=30), valid_until=TODAY() - timedelta(days=1)
    )
    response = api(agent, language="zh-hans").post(
        "/api/v1/applications/", {"item": item.code, "on_behalf_of": principal.pk}
    )
    assert response.status_code == 403
    assert "张三给您的委托已过期" in str(response.json())
    assert not Application.objects.exists()
    assert refusals("expired").count() == 1


def test_an_agent_authorised_for_one_item_cannot_file_another(item, api):
    principal, agent = CitizenFactory(), CitizenFactory()
    other = item_with_stages([[DepartmentFactory()]], audience="both")
    authorisation(principal, agent, item=other)
    response = api(agent).post(
        "/api/v1/applications/", {"item": item.code, "on_behalf_of": principal.pk}
    )
    assert response.status_code == 403
    assert "does not cover this service" in str(response.json())
    assert refusals("outside_authorisation").count() == 1
    assert (
        api(agent)
        .post("/api/v1/applications/", {"item": other.code, "on_behalf_of": principal.pk})
        .status_code
        == 201
    )


def test_revocation_stops_a_draft_from_being_submitted_but_never_alters_a_filed_case(item, api):
    principal, agent = CitizenFactory(), CitizenFactory()
    given = authorisation(principal, agent)
    filed = complete_and_submit(filing.start_draft(item, principal, filed_by=agent), agent)
    draft = filing.start_draft(item, principal, filed_by=agent)
    revoke_authorisation(given.pk, principal)
    response = api(agent).post(f"/api/v1/applications/{draft.pk}/submit/")
    assert response.status_code == 403
    assert "revoked" in str(response.json())
    draft.refresh_from_db()
    assert draft.status == "draft"
    filed.refresh_from_db()
    assert (filed.status, filed.authorisation_id, filed.filed_by) == ("submitted", given.pk, agent)
    assert api(agent).get(f"/api/v1/applications/{filed.pk}/").status_code == 200


@pytest.mark.parametrize(
    "language, message", [("en", "must be a PDF, JPEG or PNG"), ("zh-hans", "PDF")]
)
def test_a_power_of_attorney_that_is_not_a_pdf_or_an_image_is_refused(
    client_for, language, message
):
    principal, agent = CitizenFactory(), CitizenFactory()
    client = client_for(principal)
    response = client.post(
        reverse("services:authorisations"),
        {
            "agent_username": agent.username,
            "valid_from": TODAY().isoformat(),
            "valid_until": (TODAY() + timedelta(days=10)).isoformat(),
            "power_of_attorney": SimpleUploadedFile("委托书.pdf", b"just text, not a PDF"),
        },
        headers={"accept-language": language},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["power_of_attorney"]
    assert not Authorisation.objects.exists()
    assert AuditEntry.objects.filter(action="party.authorisation_refused").count() == 1


def test_a_principal_authorises_through_the_page_and_revokes(client_for):
    principal, agent = CitizenFactory(), CitizenFactory()
    client = client_for(principal)
    response = client.post(
        reverse("services:authorisations"),
        {
            "agent_username": agent.username,
            "valid_from": TODAY().isoformat(),
            "valid_until": (TODAY() + timedelta(days=10)).isoformat(),
            "power_of_attorney": pdf_upload("委托书.pdf"),
        },
    )
    assert response.status_code == 302
    given = Authorisation.objects.get()
    assert (given.principal, given.agent, given.content_type) == (
        principal,
        agent,
        "application/pdf",
    )
    assert (
        client_for(agent)
        .post(reverse("services:revoke_authorisation", args=[given.pk]))
        .status_code
        == 404
    )
    client.post(reverse("services:revoke_authorisation", args=[given.pk]))
    given.refresh_from_db()
    assert given.revoked_at is not None


# --- §3 enterprises ------------------------------------------------------------------------------


@pytest.fixture
def enterprise():
    return EnterpriseFactory(enterprise_name="合肥示范科技有限公司")


def test_a_clerk_files_for_the_enterprise_and_the_legal_representative_sees_and_may_withdraw(
    item, enterprise, client_for
):
    clerk, representative = CitizenFactory(real_name="王经办"), CitizenFactory()
    add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)
    add_member(
        enterprise=enterprise, person=representative, role=EnterpriseRole.LEGAL_REPRESENTATIVE
    )
    client_for(clerk).post(
        reverse("services:start", args=[item.code]), {"on_behalf_of": enterprise.pk}
    )
    application = complete_and_submit(Application.objects.get(), clerk)
    assert (application.applicant, application.filing_capacity) == (enterprise, "enterprise_member")
    assert subject_of(application).name == "合肥示范科技有限公司"
    listed = client_for(representative).get(reverse("services:mine")).context["page"]
    assert [a.pk for a in listed] == [application.pk]
    client_for(representative).post(reverse("services:withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_a_clerk_of_another_enterprise_is_refused_with_the_reason(item, enterprise, api):
    stranger = CitizenFactory()
    add_member(enterprise=EnterpriseFactory(), person=stranger, role=EnterpriseRole.CLERK)
    response = api(stranger).post(
        "/api/v1/applications/", {"item": item.code, "on_behalf_of": enterprise.pk}
    )
    assert response.status_code == 403
    assert "not a member of 合肥示范科技有限公司" in str(response.json())
    assert not Application.objects.exists()
    assert refusals("not_a_member").count() == 1


def test_a_removed_member_with_an_old_token_is_refused_on_the_next_request(item, enterprise, api):
    clerk = CitizenFactory()
    membership = add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)
    client = api(clerk)  # the token is issued while they are a member
    created = client.post(
        "/api/v1/applications/", {"item": item.code, "on_behalf_of": enterprise.pk}
    )
    assert created.status_code == 201
    case = created.json()["id"]
    assert client.get(f"/api/v1/applications/{case}/").status_code == 200

    remove_member(enterprise=enterprise, member_id=membership.pk, actor=enterprise)

    assert client.get(f"/api/v1/applications/{case}/").status_code == 404
    again = client.post("/api/v1/applications/", {"item": item.code, "on_behalf_of": enterprise.pk})
    assert again.status_code == 403
    assert Application.objects.count() == 1
    assert refusals("not_a_member").count() == 1
    assert AuditEntry.objects.filter(action="enterprise.member_removed").count() == 1


def test_the_administrator_invites_by_code_and_a_logged_in_citizen_accepts(enterprise, client_for):
    administrator, newcomer = CitizenFactory(), CitizenFactory()
    add_member(enterprise=enterprise, person=administrator, role=EnterpriseRole.ADMINISTRATOR)
    as_administrator = client_for(administrator)
    as_administrator.post(
        reverse("accounts:invite_member", args=[enterprise.pk]), {"role": "clerk"}
    )
    page = as_administrator.get(reverse("accounts:enterprise", args=[enterprise.pk]))
    code = page.context["invitation_code"]["code"]
    accepted = client_for(newcomer).post(reverse("accounts:accept_invitation"), {"code": code})
    assert accepted.status_code == 302
    assert EnterpriseMember.objects.get(member=newcomer).role == "clerk"
    # Used once only.
    again = client_for(CitizenFactory()).post(reverse("accounts:accept_invitation"), {"code": code})
    assert again.context["form"].errors["code"]


def test_a_clerk_may_not_invite_or_remove_and_the_refusal_is_audited(enterprise):
    clerk = CitizenFactory()
    membership = add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)
    with pytest.raises(PermissionDenied):
        invite(enterprise=enterprise, role="clerk", invited_by=clerk)
    with pytest.raises(PermissionDenied):
        remove_member(enterprise=enterprise, member_id=membership.pk, actor=clerk)
    assert EnterpriseMember.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="enterprise.refused").count() == 2


def test_an_enterprise_has_one_legal_representative(enterprise):
    add_member(enterprise=enterprise, person=CitizenFactory(), role="legal_representative")
    _invitation, code = invite(
        enterprise=enterprise, role="legal_representative", invited_by=enterprise
    )
    with pytest.raises(ValidationError):
        accept_invitation(code=code, person=CitizenFactory())


def test_staff_see_both_names_on_the_case(client_for):
    department = DepartmentFactory()
    reviewed = item_with_stages([[department]], audience="both")
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory(real_name="李四")
    authorisation(principal, agent)
    application = complete_and_submit(
        filing.start_draft(reviewed, principal, filed_by=agent), agent
    )
    route_application(application.pk)
    accept(application)
    task = application.review_tasks.get(department=department)
    page = client_for(reviewer_of(department)).get(reverse("approvals:task", args=[task.pk]))
    text = page.content.decode()
    assert "李四 (agent) for 张三" in text


def test_an_item_for_enterprises_only_cannot_be_filed_by_a_citizen_for_themself(api):
    item = item_with_stages([[DepartmentFactory()]], audience="both", subject_rule="enterprise")
    response = api(CitizenFactory()).post("/api/v1/applications/", {"item": item.code})
    assert response.status_code == 403
    assert refusals("needs_enterprise").count() == 1


def test_a_case_an_agent_filed_names_the_principal_as_licensed_party(item):
    principal, agent = CitizenFactory(real_name="张三丰"), CitizenFactory(real_name="李四")
    authorisation(principal, agent)
    application = complete_and_submit(filing.start_draft(item, principal, filed_by=agent), agent)
    assert subject_of(application).name == "张三丰"
    assert instrument_party(application).name == "张三丰"


def test_a_new_entitys_draft_names_the_entity_the_form_holds_so_far(founding_item):
    draft = ApplicationFactory(item=founding_item)
    assert subject_of(draft).name == ""
    filing.save_draft(draft, {"business_name": "合肥新创科技有限公司"}, {}, draft.applicant)
    draft.refresh_from_db()
    assert (subject_of(draft).name, subject_of(draft).kind) == (
        "合肥新创科技有限公司",
        "organisation",
    )


def test_a_civil_servant_cannot_file_for_a_citizen_through_the_api(item, api):
    citizen = CitizenFactory()
    response = api(reviewer_of(DepartmentFactory())).post(
        "/api/v1/applications/", {"item": item.code, "on_behalf_of": citizen.pk}
    )
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_after_revocation_the_agents_draft_form_refuses_with_a_message_and_keeps_the_draft(
    item, client_for
):
    principal, agent = CitizenFactory(real_name="张三"), CitizenFactory()
    given = authorisation(principal, agent)
    draft = filing.start_draft(item, principal, filed_by=agent)
    revoke_authorisation(given.pk, principal)
    response = client_for(agent).post(
        reverse("services:edit", args=[draft.pk]),
        {"business_name": "另一个名称", "save": ""},
        follow=True,
    )
    assert "Your authorisation from 张三 has been revoked." in response.content.decode()
    draft.refresh_from_db()
    assert "business_name" not in draft.answers or draft.answers["business_name"] != "另一个名称"
    assert refusals("revoked").count() == 1
