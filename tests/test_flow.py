"""The whole journey through the portal's pages, with routing done by a real Celery worker."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.models import ReviewTask
from services.models import Application
from tests.authentication import pass_second_factor, register_through_the_portal
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    application_form_data,
    clerk_of,
    item_with_stages,
    pdf_upload,
    png_upload,
    reviewer_of,
    service_centre,
    valid_resident_id,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def english_client() -> Client:
    return Client(headers={"accept-language": "en"})


def log_in(username: str) -> Client:
    client = english_client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def approve_on_the_staff_pages(civil_servant, tracking_number: str, opinion: str) -> None:
    """A clerk or reviewer logs in at /staff/ (password, then the authenticator app's code),
    finds the case in the queue, opens it, approves it."""
    client = log_in(civil_servant.username)
    pass_second_factor(client, civil_servant)
    queue = client.get(reverse("approvals:queue"))
    assert queue.request["PATH_INFO"] == "/staff/"
    assert queue.status_code == 200
    assert tracking_number in queue.content.decode()
    task = next(
        t
        for t in queue.context["page"].object_list
        if t.application.tracking_number == tracking_number
    )
    task_page = client.get(reverse("approvals:task", args=[task.pk]))
    assert task_page.status_code == 200
    assert (
        "庐阳区张记面馆" in task_page.content.decode()
    )  # the applicant's answers are there to review
    decided = client.post(
        reverse("approvals:task", args=[task.pk]), {"outcome": "approve", "opinion": opinion}
    )
    assert decided.status_code == 302
    assert decided["Location"] == reverse("approvals:queue")


def test_citizen_application_goes_through_parallel_review_to_a_published_decision(celery_worker):
    market = DepartmentFactory(name="市市场监督管理局")
    fire = DepartmentFactory(name="市消防救援支队")
    item = item_with_stages([[market, fire]], name="食品经营许可（小餐饮）")
    market_reviewer, fire_reviewer = reviewer_of(market), reviewer_of(fire)

    # A citizen registers with a real-name identity, enters the code e-mailed to them, and is
    # logged in.
    citizen = english_client()
    registered = register_through_the_portal(
        citizen,
        {
            "username": "zhangsanfeng",
            "real_name": "张三丰",
            "resident_id": valid_resident_id(),
            "mobile": "13855556666",
            "email": "zsf@example.cn",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert registered.status_code == 302

    # They read the guide, start, fill the one form, attach the materials, and submit once.
    guide = citizen.get(item.get_absolute_url())
    assert guide.status_code == 200
    assert "食品经营许可（小餐饮）" in guide.content.decode()
    started = citizen.post(reverse("services:start", args=[item.code]))
    assert started.status_code == 302
    application = Application.objects.get(applicant__username="zhangsanfeng")
    assert citizen.get(started["Location"]).status_code == 200
    submitted = citizen.post(
        reverse("services:edit", args=[application.pk]),
        application_form_data(
            {"business_name": "庐阳区张记面馆", "postcode": "230001"},
            submit=True,
            id_card=pdf_upload("身份证.pdf"),
            site_photo=png_upload("门店.png"),
        ),
    )
    application.refresh_from_db()
    tracking_number = application.tracking_number
    assert re.fullmatch(r"\d{16}", tracking_number)
    assert submitted["Location"] == application.get_absolute_url()
    assert any(tracking_number in str(m) for m in get_messages(submitted.wsgi_request))

    # The virtual government sends it to the service centre, whose clerk accepts it (受理)…
    assert wait_until(lambda: ReviewTask.objects.filter(application=application).count() == 1), (
        "the worker did not route the application"
    )
    approve_on_the_staff_pages(clerk_of(service_centre()), tracking_number, "材料齐全，予以受理")

    # …which sends it to both departments at once.
    assert ReviewTask.objects.filter(application=application, stage_order=1).count() == 2

    # Each department's reviewer finds it in their own queue and approves it.
    approve_on_the_staff_pages(market_reviewer, tracking_number, "经营场所符合食品安全要求")
    approve_on_the_staff_pages(fire_reviewer, tracking_number, "消防设施检查合格")

    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED

    # The applicant sees every department's opinion and the whole timeline.
    status_page = citizen.get(application.get_absolute_url())
    assert status_page.status_code == 200
    page = status_page.content.decode()
    for text in (
        tracking_number,
        "市市场监督管理局",
        "经营场所符合食品安全要求",
        "市消防救援支队",
        "消防设施检查合格",
        "Application submitted",
        "Received for acceptance",
        "Service Centre",  # the centre's English name, for this English reader
        "Accepted",
        "Application approved",
        "Decision published",
    ):
        assert text in page, text

    # The public reads the decision, with the citizen's name masked.
    register = english_client().get(reverse("disclosure:decisions"))
    assert register.status_code == 200
    public = register.content.decode()
    assert tracking_number in public
    assert "张**" in public
    assert "张三丰" not in public

    # The worker seals the case's instruments after each event; the test ends once it has, so
    # the database's flush after it never waits on (or deadlocks with) a half-done one.
    from instruments.generation import events_without_instrument
    from instruments.models import Instrument

    assert wait_until(
        lambda: not events_without_instrument(timezone.now())
        and Instrument.objects.filter(application__tracking_number=tracking_number).exists(),
        timeout=60,
    )
