"""Every page of the Django admin opens, for everyone who reaches the admin (issue 14, item 4).

A crawl over the admin's own registry, as the permission matrix crawls the URL configuration:
every registered model's list, its add page and the change page of one of its objects, on the
demo data `make run` loads (portal/demo.py) plus one case taken to approval, so that every
model an application fills (attachments, events, tasks, certificates…) has a row to open. A
page may answer 200, refuse (403) or send to the login page (302), never fail (500): a new
inline or field that the admin cannot render fails here first.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from portal.demo import load_demo
from tests.factories import ApplicationFactory

# The demo's administrator, the service centre's administrator, and a department head whose
# staff status lets him keep his department's common opinions in the admin (and only those).
ADMIN_USERS = ("admin", "centre", "head-market")
ANSWERS_NOT_FAILURES = {200, 302, 403}


def admin_pages() -> list[str]:
    """The list, add and change page of every registered model (the change page of its first
    object, when it has one)."""
    pages = []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return pages


@pytest.fixture
def demo_with_a_decided_case(db):
    load_demo()
    ApplicationFactory(approved=True)


@pytest.mark.parametrize("username", ADMIN_USERS)
def test_every_admin_page_answers_without_a_server_error(
    demo_with_a_decided_case, client_for, username
):
    client = client_for(User.objects.get(username=username))
    client.raise_request_exception = False  # every failing page listed, not only the first
    failures = []
    for path in admin_pages():
        response = client.get(path)
        if response.status_code not in ANSWERS_NOT_FAILURES:
            failures.append((path, response.status_code))
        elif response.status_code == 302:
            assert "/admin/login/" in response["Location"], path
    assert failures == []


def test_the_administrator_opens_an_application_with_its_attachments(
    demo_with_a_decided_case, client_for
):
    application = ApplicationFactory(complete=True)
    client = client_for(User.objects.get(username="admin"))

    response = client.get(reverse("admin:services_application_change", args=[application.pk]))

    assert response.status_code == 200
    attachment = application.attachments.first()
    assert attachment.original_name in response.content.decode()
