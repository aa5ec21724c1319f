"""The admin's catalogue import (upload, dry run, confirm) and export, and who may use them."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from services.catalogue_admin_io import EXPORT_PERMISSIONS
from services.models import ItemImplementation, ServiceItem
from tests.factories import CitizenFactory, StaffFactory, item_with_stages

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "catalogue-example.json"
IMPORT = "catalogue_import"
EXPORT = "catalogue_export"


@pytest.fixture
def administrator(client_for):
    return client_for(StaffFactory(is_staff=True, is_superuser=True))


def upload(content: bytes, name: str = "catalogue.json") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="application/json")}


def test_the_import_page_states_the_size_limit(administrator, settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 5 * 1024 * 1024

    page = administrator.get(reverse(IMPORT)).content.decode()

    assert "at most 5 MB" in page
    assert "CATALOGUE_IMPORT_MAX_BYTES" in page


def test_an_upload_shows_the_dry_run_and_writes_nothing(administrator):
    response = administrator.post(reverse(IMPORT), upload(EXAMPLE.read_bytes()))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="catalogue-diff"' in page
    assert "food-licence@340100" in page
    assert "Import these changes" in page
    assert not ServiceItem.objects.filter(code="food-licence").exists()


def test_confirming_imports_exactly_the_file_that_was_shown(administrator):
    dry_run = administrator.post(reverse(IMPORT), upload(EXAMPLE.read_bytes()))
    token = dry_run.context["token"]

    response = administrator.post(reverse(IMPORT), {"token": token}, follow=True)

    assert ItemImplementation.objects.filter(item__code="food-licence").count() == 2
    assert any(
        str(message).startswith("The catalogue was imported:")
        for message in response.context["messages"]
    )
    # The token names a file the import consumed: it cannot be replayed.
    again = administrator.post(reverse(IMPORT), {"token": token}, follow=True)
    assert any("upload again" in str(message) for message in again.context["messages"])


def test_a_forged_token_imports_nothing(administrator):
    response = administrator.post(reverse(IMPORT), {"token": "forged:token"}, follow=True)

    assert any("upload again" in str(message) for message in response.context["messages"])
    assert not ServiceItem.objects.filter(code="food-licence").exists()


def test_another_administrators_token_imports_nothing(administrator, client_for):
    token = administrator.post(reverse(IMPORT), upload(EXAMPLE.read_bytes())).context["token"]
    colleague = client_for(StaffFactory(is_staff=True, is_superuser=True))

    colleague.post(reverse(IMPORT), {"token": token})

    assert not ServiceItem.objects.filter(code="food-licence").exists()


def test_a_file_with_errors_shows_every_error_and_offers_no_confirmation(administrator):
    catalogue = json.loads(EXAMPLE.read_text())
    catalogue["implementations"][0]["promised_limit_days"] = 30
    catalogue["implementations"][1]["stages"][0]["departments"][0]["department"] = "nobody"

    response = administrator.post(
        reverse(IMPORT), upload(json.dumps(catalogue, ensure_ascii=False).encode())
    )

    page = response.content.decode()
    assert "2 errors: nothing can be imported." in page
    assert "The promised limit (30 working days)" in page
    assert "There is no department nobody" in page
    assert "token" not in response.context
    assert "Import these changes" not in page


def test_a_file_over_the_limit_is_refused_by_the_form(administrator, settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 100

    response = administrator.post(reverse(IMPORT), upload(EXAMPLE.read_bytes()))

    assert "a catalogue file may have at most 100 bytes" in response.content.decode()
    assert "report" not in response.context


def test_the_import_page_speaks_chinese(client_for):
    administrator = client_for(StaffFactory(is_staff=True, is_superuser=True))

    page = administrator.get(reverse(IMPORT), headers={"accept-language": "zh-hans"})

    assert "导入事项目录" in page.content.decode()


def test_the_export_downloads_the_catalogue_as_json_and_csv(administrator):
    item = item_with_stages([[]])

    exported = administrator.get(reverse(EXPORT))
    table = administrator.get(reverse(EXPORT), {"format": "csv", "table": "implementations"})

    assert exported["Content-Disposition"].startswith('attachment; filename="catalogue-all-')
    assert item.code in [entry["code"] for entry in json.loads(exported.content)["items"]]
    assert table["Content-Type"] == "text/csv; charset=utf-8"
    assert table.content.decode().splitlines()[1].startswith(f"{item.code},340100,")


def test_the_lists_of_items_and_implementations_link_to_import_and_export(administrator):
    for changelist in ("serviceitem", "itemimplementation"):
        page = administrator.get(reverse(f"admin:services_{changelist}_changelist")).content
        assert reverse(IMPORT).encode() in page
        assert reverse(EXPORT).encode() in page


def test_staff_without_the_catalogue_permissions_are_refused(client_for):
    clerk = client_for(StaffFactory(is_staff=True))

    assert clerk.get(reverse(IMPORT)).status_code == 403
    assert clerk.post(reverse(IMPORT), upload(EXAMPLE.read_bytes())).status_code == 403
    assert clerk.get(reverse(EXPORT)).status_code == 403
    assert not ServiceItem.objects.filter(code="food-licence").exists()


def test_staff_who_may_only_read_the_catalogue_may_export_but_not_import(client_for):
    reader = StaffFactory(is_staff=True)
    for name in EXPORT_PERMISSIONS:
        app_label, codename = name.split(".")
        reader.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = client_for(reader)

    assert client.get(reverse(EXPORT)).status_code == 200
    assert client.get(reverse(IMPORT)).status_code == 403


def test_a_citizen_is_sent_to_the_admin_login(client_for):
    citizen = client_for(CitizenFactory())

    response = citizen.get(reverse(IMPORT))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
