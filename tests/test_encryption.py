"""Personal identifiers encrypted at rest: what the database holds, how a person is found again,
and how keys are rotated. See docs/security.md, "Personal data at rest"."""

import hashlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from accounts import crypto
from accounts.checks import check_personal_data_keys, check_personal_data_keys_are_not_the_demo_ones
from accounts.models import User
from approvals.models import ReviewTask
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    UserFactory,
    item_with_stages,
    reviewer_of,
    routed_application,
    valid_resident_id,
)
from tests.test_registration import admin_change_data

pytestmark = pytest.mark.django_db

ADDRESS = "安徽省合肥市蜀山区长江西路100号"
ENCRYPTED_COLUMNS = ("resident_id", "mobile", "address")


def raw_columns(user: User, *columns: str) -> dict[str, str]:
    """The columns as PostgreSQL holds them, read around the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM accounts_user WHERE id = %s",  # noqa: S608
            [user.pk],
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


def raw_row_text(user: User) -> str:
    """Every column of the row, as one text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(u)::text FROM accounts_user u WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def write_raw(user: User, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE accounts_user SET {column} = %s WHERE id = %s", [value, user.pk])


# --- what the database holds -----------------------------------------------------------------


def test_database_holds_no_plaintext_id_number_mobile_or_address():
    resident_id = valid_resident_id()
    citizen = CitizenFactory(resident_id=resident_id, mobile="13912345678", address=ADDRESS)

    row = raw_row_text(citizen)

    assert resident_id not in row
    assert resident_id[6:14] not in row  # not even the birth date
    assert "13912345678" not in row
    assert "长江西路" not in row


def test_each_encrypted_column_holds_a_fernet_token_of_the_value():
    citizen = CitizenFactory(mobile="13912345678", address=ADDRESS)
    key = Fernet(crypto.configured_encryption_keys()[0])

    stored = raw_columns(citizen, *ENCRYPTED_COLUMNS)

    for column in ENCRYPTED_COLUMNS:
        assert stored[column].startswith("gAAAAA")  # Fernet's version byte 0x80, base64
        assert key.decrypt(stored[column].encode()).decode() == getattr(citizen, column)


def test_the_same_id_number_never_gives_the_same_token_twice():
    first = crypto.encrypt("11010519491231002X")
    second = crypto.encrypt("11010519491231002X")

    assert first != second


def test_registration_through_the_form_stores_no_plaintext(client, celery_worker):
    from django.contrib.sessions.models import Session

    from tests.authentication import emailed_code

    resident_id = valid_resident_id()
    pending = client.post(
        reverse("accounts:register_citizen"),
        {
            "username": "zhangsan",
            "real_name": "张三",
            "resident_id": resident_id,
            "mobile": "13800138000",
            "email": "zhangsan@example.cn",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    # While the code is awaited, the pending registration is in the session, encrypted.
    session_row = Session.objects.get(session_key=client.session.session_key).session_data
    assert pending.status_code == 302
    assert resident_id not in session_row
    assert resident_id not in str(client.session.load())
    client.post(pending["Location"], {"code": emailed_code("zhangsan@example.cn")})

    row = raw_row_text(User.objects.get(username="zhangsan"))
    assert resident_id not in row
    assert "13800138000" not in row


def test_blind_index_is_a_keyed_hash_not_a_plain_one():
    resident_id = valid_resident_id()
    citizen = CitizenFactory(resident_id=resident_id)

    index = raw_columns(citizen, "resident_id_index")["resident_id_index"]

    assert len(index) == 64
    assert index != hashlib.sha256(resident_id.encode()).hexdigest()
    assert index != hashlib.sha256(f"resident_id:{resident_id}".encode()).hexdigest()
    with override_settings(BLIND_INDEX_KEY="another-key-of-at-least-thirty-two-characters"):
        assert crypto.blind_index("resident_id", resident_id) != index


def test_an_empty_identifier_is_stored_empty_with_no_index():
    enterprise = EnterpriseFactory(mobile="")

    stored = raw_columns(enterprise, "resident_id", "mobile", "address", "resident_id_index")

    assert stored == {"resident_id": "", "mobile": "", "address": "", "resident_id_index": ""}


# --- through the ORM ---------------------------------------------------------------------------


def test_identifiers_read_back_as_plaintext_through_the_orm():
    resident_id = valid_resident_id()
    citizen = CitizenFactory(resident_id=resident_id, mobile="13912345678", address=ADDRESS)

    again = User.objects.get(pk=citizen.pk)

    assert (again.resident_id, again.mobile, again.address) == (
        resident_id,
        "13912345678",
        ADDRESS,
    )
    assert User.objects.filter(pk=citizen.pk).values_list("mobile", flat=True).get() == (
        "13912345678"
    )


def test_changing_only_the_id_number_with_update_fields_updates_its_index():
    citizen = CitizenFactory()
    new_number = valid_resident_id(serial=777)

    citizen.resident_id = new_number
    citizen.save(update_fields=["resident_id"])

    assert User.objects.with_resident_id(new_number).get() == citizen


def test_validators_see_the_plaintext_in_full_clean():
    citizen = CitizenFactory.build(resident_id="110105194912310021", mobile="12345")

    with pytest.raises(ValidationError) as raised:
        citizen.full_clean(exclude=["password"])

    assert set(raised.value.message_dict) >= {"resident_id", "mobile"}


# --- uniqueness and look-up through the blind index ----------------------------------------------


def test_person_is_found_by_id_number_however_it_is_spelled():
    citizen = CitizenFactory(resident_id="11010519491231002X")

    assert User.objects.with_resident_id(" 110105 19491231002x ").get() == citizen
    assert not User.objects.with_resident_id(valid_resident_id(serial=555)).exists()
    assert not User.objects.with_resident_id("").exists()


def test_registration_with_an_id_number_already_registered_opens_no_second_account(client):
    existing = CitizenFactory(resident_id="11010519491231002X")

    response = client.post(
        reverse("accounts:register_citizen"),
        {
            "username": "someone-else",
            "real_name": "张三",
            "resident_id": "11010519491231002x",
            "mobile": "13800138000",
            "email": "else@example.cn",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302  # the same answer as for a new number (test_registration)
    assert not User.objects.filter(username="someone-else").exists()
    assert User.objects.with_resident_id(existing.resident_id).count() == 1


def test_database_refuses_a_second_account_with_the_same_id_number():
    CitizenFactory(resident_id="11010519491231002X")

    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenFactory(resident_id="11010519491231002x")


def test_full_clean_reports_a_duplicate_id_number_on_its_field():
    existing = CitizenFactory()
    duplicate = CitizenFactory.build(resident_id=existing.resident_id)

    with pytest.raises(ValidationError) as raised, translation.override("en"):
        duplicate.full_clean(exclude=["password"])

    assert raised.value.message_dict["resident_id"] == [
        "An account with this resident ID number already exists."
    ]


def test_many_accounts_without_an_id_number_are_allowed():
    EnterpriseFactory()
    EnterpriseFactory()

    assert User.objects.filter(kind=User.Kind.ENTERPRISE, resident_id="").count() == 2


@pytest.mark.parametrize(
    "lookup",
    [
        {"resident_id": "11010519491231002X"},
        {"mobile__startswith": "138"},
        {"address__icontains": "合肥"},
        {"resident_id__in": ["11010519491231002X"]},
    ],
)
def test_filtering_on_an_encrypted_column_is_refused_with_a_clear_error(lookup):
    with pytest.raises(FieldError, match="is encrypted.*with_resident_id"):
        list(User.objects.filter(**lookup))


def test_emptiness_of_an_encrypted_column_can_still_be_queried():
    CitizenFactory(address=ADDRESS)
    EnterpriseFactory()

    assert User.objects.exclude(address="").count() == 1
    assert User.objects.filter(address__isnull=True).count() == 0


def test_administrator_finds_a_person_by_whole_id_number(client_for):
    administrator = UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
    citizen = CitizenFactory(username="findme", resident_id="11010519491231002X")

    response = client_for(administrator).get(
        reverse("admin:accounts_user_changelist"), {"q": "11010519491231002x"}
    )

    assert response.status_code == 200
    assert reverse("admin:accounts_user_change", args=[citizen.pk]) in response.content.decode()


def test_administrator_giving_a_second_account_the_same_id_number_gets_a_form_error(client_for):
    administrator = UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
    first, second = CitizenFactory(), CitizenFactory()
    original = second.resident_id

    response = client_for(administrator).post(
        reverse("admin:accounts_user_change", args=[second.pk]),
        admin_change_data(second, resident_id=first.resident_id),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["resident_id"] == [
        "An account with this resident ID number already exists."
    ]
    second.refresh_from_db()
    assert second.resident_id == original


# --- key rotation ------------------------------------------------------------------------------


@pytest.fixture
def old_key():
    return crypto.configured_encryption_keys()[0]


@pytest.fixture
def new_key():
    return Fernet.generate_key().decode()


def test_after_rotation_every_token_opens_with_the_new_key_alone(old_key, new_key):
    citizens = [CitizenFactory(mobile=f"1391234567{n}", address=ADDRESS) for n in range(3)]
    out = StringIO()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)

    new_only = Fernet(new_key)
    for citizen in citizens:
        for column, token in raw_columns(citizen, *ENCRYPTED_COLUMNS).items():
            assert new_only.decrypt(token.encode()).decode() == getattr(citizen, column)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        again = User.objects.get(pk=citizens[0].pk)
        assert again.resident_id == citizens[0].resident_id
        assert User.objects.with_resident_id(citizens[0].resident_id).get() == again
    assert "accounts.User.resident_id: 3 re-encrypted, 0 already under the first key" in (
        out.getvalue()
    )


def test_rotation_run_twice_changes_nothing_the_second_time(old_key, new_key):
    citizen = CitizenFactory()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("rotate_encryption_keys", stdout=StringIO())
        after_first = raw_columns(citizen, *ENCRYPTED_COLUMNS)
        out = StringIO()
        call_command("rotate_encryption_keys", stdout=out)

    assert raw_columns(citizen, *ENCRYPTED_COLUMNS) == after_first
    assert "accounts.User.resident_id: 0 re-encrypted, 1 already under the first key" in (
        out.getvalue()
    )


def test_check_fails_while_a_value_needs_the_old_key_and_changes_nothing(old_key, new_key):
    citizen = CitizenFactory()
    before = raw_columns(citizen, *ENCRYPTED_COLUMNS)

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        with pytest.raises(CommandError, match="still need an older key"):
            call_command("rotate_encryption_keys", "--check", stdout=StringIO())
        assert raw_columns(citizen, *ENCRYPTED_COLUMNS) == before

        call_command("rotate_encryption_keys", stdout=StringIO())
        out = StringIO()
        call_command("rotate_encryption_keys", "--check", stdout=out)

    assert "Every value is under the first key" in out.getvalue()


def test_a_value_under_an_unknown_key_raises_a_clear_error_not_garbage():
    citizen = CitizenFactory()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"11010519491231002X").decode()
    write_raw(citizen, "resident_id", foreign)

    with pytest.raises(crypto.UndecryptableValueError, match="accounts_user.resident_id"):
        User.objects.get(pk=citizen.pk)
    with pytest.raises(CommandError, match=f"accounts.User.resident_id of pk {citizen.pk}"):
        call_command("rotate_encryption_keys", stdout=StringIO())


def test_plaintext_written_around_the_orm_is_refused_on_read():
    citizen = CitizenFactory()
    write_raw(citizen, "mobile", "13800138000")

    with pytest.raises(crypto.UndecryptableValueError):
        User.objects.get(pk=citizen.pk)


def test_reindex_after_a_new_blind_index_key_finds_people_again():
    citizen = CitizenFactory()
    new_key = "a-new-blind-index-key-with-enough-characters-0123"

    with override_settings(BLIND_INDEX_KEY=new_key):
        assert not User.objects.with_resident_id(citizen.resident_id).exists()
        with pytest.raises(CommandError, match="made with another key"):
            call_command("reindex_blind_index", "--check", stdout=StringIO())

        call_command("reindex_blind_index", stdout=StringIO())

        assert User.objects.with_resident_id(citizen.resident_id).get() == citizen
        call_command("reindex_blind_index", "--check", stdout=StringIO())


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"]])
def test_unusable_encryption_keys_are_reported_by_the_system_check(keys):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys):
        errors = check_personal_data_keys(None)

    assert [e.id for e in errors] == ["accounts.E001"]
    assert "not-a-fernet-key" not in errors[0].msg  # a key never goes into a log


def test_a_short_blind_index_key_is_reported_by_the_system_check():
    with override_settings(BLIND_INDEX_KEY="short"):
        assert [e.id for e in check_personal_data_keys(None)] == ["accounts.E002"]


def test_deploy_check_warns_about_the_demo_keys(new_key):
    assert [w.id for w in check_personal_data_keys_are_not_the_demo_ones(None)] == ["accounts.W001"]
    with override_settings(
        FIELD_ENCRYPTION_KEYS=[new_key], BLIND_INDEX_KEY="x" * crypto.MIN_BLIND_INDEX_KEY_LENGTH
    ):
        assert check_personal_data_keys_are_not_the_demo_ones(None) == []


# --- masked display ----------------------------------------------------------------------------


def test_masked_identifiers_keep_only_what_recognises_a_person():
    citizen = User(resident_id="340104199003071234", mobile="13800138000", address=ADDRESS)

    assert citizen.masked_resident_id == "340104********1234"
    assert citizen.masked_mobile == "138****8000"
    assert citizen.masked_address == "安徽省合肥市****"
    assert User().masked_resident_id == ""


def test_reviewer_sees_the_applicants_identifiers_masked(client_for):
    department = DepartmentFactory()
    citizen = CitizenFactory(resident_id="11010519491231002X", mobile="13912345678")
    application = routed_application(item_with_stages([[department]]), citizen)
    task = ReviewTask.objects.get(application=application, department=department)

    page = client_for(reviewer_of(department)).get(reverse("approvals:task", args=[task.pk]))

    content = page.content.decode()
    assert "110105********002X" in content
    assert "139****5678" in content
    assert "11010519491231002X" not in content
    assert "13912345678" not in content
