"""Registering with a real-name identity, logging in and out, and the administrator's override."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.identity import CREDIT_CODE_ALPHABET, RESIDENT_ID_CHECK
from accounts.models import User
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


def test_citizen_registers_with_valid_resident_id_and_is_logged_in(client):
    data = citizen_form()
    response = client.post(reverse("accounts:register_citizen"), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("services:catalogue")
    user = User.objects.get(username="zhangsan")
    assert user.kind == User.Kind.CITIZEN
    assert user.resident_id == data["resident_id"]
    assert client.session[SESSION_KEY] == str(user.pk)


def test_citizen_registration_stores_resident_id_normalised(client):
    client.post(
        reverse("accounts:register_citizen"), citizen_form(resident_id=" 11010519491231002x ")
    )

    assert User.objects.get(username="zhangsan").resident_id == "11010519491231002X"


def test_citizen_registration_with_wrong_check_digit_explains_and_creates_nobody(client):
    wrong = with_wrong_check_character(valid_resident_id(), RESIDENT_ID_CHECK)
    response = client.post(reverse("accounts:register_citizen"), citizen_form(resident_id=wrong))

    assert response.status_code == 200
    assert "This resident ID number is not valid" in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()
    assert SESSION_KEY not in client.session


def test_citizen_registration_with_an_already_registered_resident_id_is_refused(client):
    existing = CitizenFactory()
    response = client.post(
        reverse("accounts:register_citizen"), citizen_form(resident_id=existing.resident_id)
    )

    assert response.status_code == 200
    assert "An account with this resident ID number already exists." in response.content.decode()
    assert User.objects.with_resident_id(existing.resident_id).count() == 1


def test_citizen_registration_with_malformed_mobile_is_refused(client):
    response = client.post(reverse("accounts:register_citizen"), citizen_form(mobile="12345"))

    assert response.status_code == 200
    assert "Enter an 11-digit mainland mobile number." in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


def test_registration_does_not_redirect_to_another_site(client):
    response = client.post(
        reverse("accounts:register_citizen") + "?next=https://evil.example.com/", citizen_form()
    )

    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_registration_follows_next_within_the_portal(client):
    response = client.post(
        reverse("accounts:register_citizen") + "?next=/applications/", citizen_form()
    )

    assert response["Location"] == "/applications/"


def test_enterprise_registers_with_valid_credit_code(client):
    data = enterprise_form()
    response = client.post(reverse("accounts:register_enterprise"), data)

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
