"""Registering with a real-name identity, logging in and out, and the administrator's override."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.identity import CREDIT_CODE_ALPHABET, RESIDENT_ID_CHECK
from accounts.models import User
from tests.authentication import emailed_code, register_through_the_portal
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    EnterpriseFactory,
    UserFactory,
    valid_credit_code,
    valid_resident_id,
    with_wrong_check_character,
)

pytestmark = pytest.mark.django_db


def citizen_form(**overrides) -> dict:
    return {
        "username": "zhangsan",
        "real_name": "张三",
        "resident_id": valid_resident_id(),
        "mobile": "13800138000",
        "email": "zhangsan@example.cn",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def enterprise_form(**overrides) -> dict:
    return {
        "username": "hefei-food",
        "enterprise_name": "合肥市放心食品有限公司",
        "credit_code": valid_credit_code(),
        "real_name": "李经办",
        "mobile": "13900139000",
        "email": "office@hefei-food.example.cn",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def test_citizen_registers_with_valid_resident_id_and_is_logged_in(client, celery_worker):
    data = citizen_form()
    response = register_through_the_portal(client, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("services:catalogue")
    user = User.objects.get(username="zhangsan")
    assert user.kind == User.Kind.CITIZEN
    assert user.resident_id == data["resident_id"]
    assert user.email_verified_at is not None
    assert client.session[SESSION_KEY] == str(user.pk)


def test_citizen_registration_stores_resident_id_normalised(client, celery_worker):
    register_through_the_portal(client, citizen_form(resident_id=" 11010519491231002x "))

    assert User.objects.get(username="zhangsan").resident_id == "11010519491231002X"


def test_citizen_registration_with_wrong_check_digit_explains_and_creates_nobody(client):
    wrong = with_wrong_check_character(valid_resident_id(), RESIDENT_ID_CHECK)
    response = client.post(reverse("accounts:register_citizen"), citizen_form(resident_id=wrong))

    assert response.status_code == 200
    assert "This resident ID number is not valid" in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()
    assert SESSION_KEY not in client.session


def without_csrf_token(response) -> str:
    """The page as the person sees it; the form's token is masked afresh on every page."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_an_already_registered_id_number_gets_the_same_answer_as_a_new_one(client, mailoutbox):
    existing = CitizenFactory(email="holder@example.cn")
    stranger = client.post(
        reverse("accounts:register_citizen"),
        citizen_form(resident_id=existing.resident_id, username="lisi"),
    )
    newcomer_client = type(client)(headers={"accept-language": "en"})
    newcomer = newcomer_client.post(reverse("accounts:register_citizen"), citizen_form())

    assert (stranger.status_code, stranger["Location"]) == (302, newcomer["Location"])
    stranger_page = client.get(stranger["Location"])
    newcomer_page = newcomer_client.get(newcomer["Location"])
    assert stranger_page.status_code == newcomer_page.status_code == 200
    assert without_csrf_token(stranger_page) == without_csrf_token(newcomer_page)
    assert "already exists" not in stranger_page.content.decode()


def test_the_holder_of_the_id_number_is_told_someone_tried_and_no_account_is_opened(
    client, celery_worker
):
    existing = CitizenFactory(email="holder@example.cn")
    response = client.post(
        reverse("accounts:register_citizen"),
        citizen_form(resident_id=existing.resident_id, username="lisi"),
    )

    notice = existing.notifications.get(kind="registration_attempted")
    for guess in ("000000", "123456"):
        client.post(response["Location"], {"code": guess})

    assert notice.url == reverse("accounts:login")
    assert not User.objects.filter(username="lisi").exists()
    assert User.objects.with_resident_id(existing.resident_id).count() == 1
    assert SESSION_KEY not in client.session


def test_a_wrong_code_is_refused_and_five_wrong_codes_end_the_registration(client, mailoutbox):
    response = client.post(reverse("accounts:register_citizen"), citizen_form())
    confirm_url = response["Location"]

    first = client.post(confirm_url, {"code": "000000"})
    for _ in range(4):
        client.post(confirm_url, {"code": "000000"})
    after = client.get(confirm_url)

    assert "This code is wrong or has expired." in first.content.decode()
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("accounts:register_citizen"))
    assert not User.objects.filter(username="zhangsan").exists()


def test_the_registration_code_is_emailed_in_the_registrants_language(client, celery_worker):
    chinese = type(client)(headers={"accept-language": "zh-hans"})
    chinese.post(reverse("accounts:register_citizen"), citizen_form(email="wang@example.cn"))

    code = emailed_code("wang@example.cn")

    from django.core import mail

    message = next(m for m in mail.outbox if "wang@example.cn" in m.to)
    assert message.subject == f"您的注册验证码：{code}"


def test_citizen_registration_with_malformed_mobile_is_refused(client):
    response = client.post(reverse("accounts:register_citizen"), citizen_form(mobile="12345"))

    assert response.status_code == 200
    assert "Enter an 11-digit mainland mobile number." in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


def test_registration_does_not_redirect_to_another_site(client, celery_worker):
    response = register_through_the_portal(
        client, citizen_form(), query="?next=https://evil.example.com/"
    )

    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_registration_follows_next_within_the_portal(client, celery_worker):
    response = register_through_the_portal(client, citizen_form(), query="?next=/applications/")

    assert response["Location"] == "/applications/"


def test_enterprise_registers_with_valid_credit_code(client, celery_worker):
    data = enterprise_form()
    response = register_through_the_portal(client, data, kind="enterprise")

    assert response.status_code == 302
    user = User.objects.get(username="hefei-food")
    assert user.kind == User.Kind.ENTERPRISE
    assert user.credit_code == data["credit_code"]
    assert user.applicant_name == "合肥市放心食品有限公司"


def test_enterprise_registration_with_wrong_check_character_explains_and_creates_nobody(client):
    wrong = with_wrong_check_character(valid_credit_code(), CREDIT_CODE_ALPHABET)
    response = client.post(
        reverse("accounts:register_enterprise"), enterprise_form(credit_code=wrong)
    )

    assert response.status_code == 200
    assert (
        "The check character of this unified social credit code does not match."
        in response.content.decode()
    )
    assert not User.objects.filter(username="hefei-food").exists()


def test_enterprise_registration_with_forbidden_letter_explains_and_creates_nobody(client):
    response = client.post(
        reverse("accounts:register_enterprise"), enterprise_form(credit_code="91350100M000100Y4O")
    )

    assert response.status_code == 200
    assert "without I, O, Z, S, V" in response.content.decode()
    assert not User.objects.filter(username="hefei-food").exists()


def test_enterprise_registration_with_an_already_registered_credit_code_is_refused(client):
    existing = EnterpriseFactory()
    response = client.post(
        reverse("accounts:register_enterprise"), enterprise_form(credit_code=existing.credit_code)
    )

    assert response.status_code == 200
    assert "An account with this credit code already exists." in response.content.decode()
    assert User.objects.filter(credit_code=existing.credit_code).count() == 1


def test_enterprise_with_failing_credit_code_and_no_reason_fails_validation():
    user = EnterpriseFactory.build(
        credit_code=with_wrong_check_character(valid_credit_code(), CREDIT_CODE_ALPHABET)
    )

    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "credit_code_override_reason" in error.value.message_dict


def test_enterprise_with_failing_credit_code_and_a_recorded_reason_passes_validation():
    user = EnterpriseFactory.build(
        credit_code=with_wrong_check_character(valid_credit_code(), CREDIT_CODE_ALPHABET),
        credit_code_override_reason="1999年试点地区发放的代码，经核验营业执照原件。",
    )

    user.full_clean()


def admin_change_data(user: User, **overrides) -> dict:
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2024-01-02",
        "date_joined_1": "09:00:00",
        "last_login_0": "",
        "last_login_1": "",
        "kind": user.kind,
        "real_name": user.real_name,
        "resident_id": user.resident_id,
        "mobile": user.mobile,
        "enterprise_name": user.enterprise_name,
        "credit_code": user.credit_code,
        "credit_code_override_reason": user.credit_code_override_reason,
        **overrides,
    }


def test_administrator_accepting_a_failing_credit_code_is_recorded(client_for):
    administrator = UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
    enterprise = EnterpriseFactory()
    failing = with_wrong_check_character(valid_credit_code(), CREDIT_CODE_ALPHABET)

    response = client_for(administrator).post(
        reverse("admin:accounts_user_change", args=[enterprise.pk]),
        admin_change_data(
            enterprise,
            credit_code=failing,
            credit_code_override_reason="早期试点地区代码，已核验原件。",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    enterprise.refresh_from_db()
    assert enterprise.credit_code == failing
    assert enterprise.credit_code_override_by == administrator


def test_administrator_cannot_save_a_failing_credit_code_without_a_reason(client_for):
    administrator = UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
    enterprise = EnterpriseFactory()
    original = enterprise.credit_code

    response = client_for(administrator).post(
        reverse("admin:accounts_user_change", args=[enterprise.pk]),
        admin_change_data(
            enterprise, credit_code=with_wrong_check_character(original, CREDIT_CODE_ALPHABET)
        ),
    )

    assert response.status_code == 200
    assert "credit_code_override_reason" in response.context["adminform"].form.errors
    enterprise.refresh_from_db()
    assert enterprise.credit_code == original
    assert enterprise.credit_code_override_by is None


def test_registered_citizen_logs_in_with_password(client):
    user = CitizenFactory()

    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_with_wrong_password_is_refused(client):
    user = CitizenFactory()

    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "not-it"}
    )

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_logout_by_post_ends_the_session(client_for):
    client = client_for(CitizenFactory())

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_logout_by_get_is_not_allowed(client_for):
    client = client_for(CitizenFactory())

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert SESSION_KEY in client.session
