"""The admin shows a person's ID number and mobile masked; revealing them is a right of its
own, and every reveal is in the audit log (issue 14, item 6; docs/security.md)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AuditEntry, User
from tests.factories import CitizenFactory, UserFactory

pytestmark = pytest.mark.django_db

RESIDENT_ID = "11010519491231002X"
MOBILE = "13812345678"


@pytest.fixture
def citizen():
    return CitizenFactory(resident_id=RESIDENT_ID, mobile=MOBILE)


@pytest.fixture
def administrator():
    return UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)


def support_staff(*, may_reveal: bool) -> User:
    """A staff member who may look at accounts in the admin, with or without the reveal right."""
    person = UserFactory(kind=User.Kind.STAFF, is_staff=True)
    codenames = ["view_user", "change_user"] + (
        ["reveal_personal_identifiers"] if may_reveal else []
    )
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )
    return person


def reveal_url(person: User) -> str:
    return reverse("admin:accounts_user_reveal", args=[person.pk])


def test_the_change_page_shows_the_identifiers_masked_even_to_a_superuser(
    citizen, administrator, client_for
):
    page = client_for(administrator).get(reverse("admin:accounts_user_change", args=[citizen.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert RESIDENT_ID not in content and MOBILE not in content
    assert "110105********002X" in content and "138****5678" in content


def test_saving_the_page_without_typing_keeps_the_stored_identifiers(
    citizen, administrator, client_for
):
    from tests.test_registration import admin_change_data

    data = admin_change_data(citizen, resident_id="", mobile="", real_name="张三丰")

    response = client_for(administrator).post(
        reverse("admin:accounts_user_change", args=[citizen.pk]), data
    )

    assert response.status_code == 302
    citizen.refresh_from_db()
    assert (citizen.resident_id, citizen.mobile, citizen.real_name) == (
        RESIDENT_ID,
        MOBILE,
        "张三丰",
    )


def test_whoever_may_reveal_sees_the_identifiers_after_confirming_and_it_is_audited(
    citizen, client_for
):
    reader = support_staff(may_reveal=True)
    client = client_for(reader)

    confirmation = client.get(reveal_url(citizen))
    revealed = client.post(reveal_url(citizen), REMOTE_ADDR="192.0.2.10")

    assert RESIDENT_ID not in confirmation.content.decode()
    content = revealed.content.decode()
    assert RESIDENT_ID in content and MOBILE in content
    assert "no-store" in revealed["Cache-Control"]
    entry = AuditEntry.objects.get(action="personal_data.revealed")
    assert (entry.actor_id, entry.object_id, entry.ip) == (reader.pk, str(citizen.pk), "192.0.2.10")
    assert RESIDENT_ID not in str(entry.detail)


def test_only_the_post_reveals_a_look_at_the_confirmation_is_not_logged(citizen, client_for):
    client_for(support_staff(may_reveal=True)).get(reveal_url(citizen))

    assert not AuditEntry.objects.filter(action="personal_data.revealed").exists()


def test_staff_without_the_right_cannot_reveal_and_are_not_offered_to(citizen, client_for):
    client = client_for(support_staff(may_reveal=False))

    change_page = client.get(reverse("admin:accounts_user_change", args=[citizen.pk]))
    refused = client.post(reveal_url(citizen))

    assert change_page.status_code == 200
    assert reveal_url(citizen) not in change_page.content.decode()
    assert refused.status_code == 403
    assert RESIDENT_ID not in refused.content.decode()
    assert not AuditEntry.objects.filter(action="personal_data.revealed").exists()


def test_the_reveal_link_is_offered_to_whoever_has_the_right(citizen, client_for):
    page = client_for(support_staff(may_reveal=True)).get(
        reverse("admin:accounts_user_change", args=[citizen.pk])
    )

    assert reveal_url(citizen) in page.content.decode()


def test_the_reveal_page_speaks_chinese(citizen, administrator, client_for):
    client = client_for(administrator)

    page = client.get(reveal_url(citizen), headers={"accept-language": "zh-hans"})

    assert "显示身份证号码和手机号码" in page.content.decode()
