"""Notifications: inbox and e-mail, in the recipient's language, each event told once."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import email_notification, notify
from accounts.tasks import email_notification as email_notification_task
from approvals import clocks
from approvals.decisions import Outcome, decide
from services.models import Application
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    application_form_data,
    clerk_of,
    email_pending_notifications,
    head_of,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    routed_application,
    service_centre,
    submitted_application,
    wait_until,
)


@pytest.fixture
def department(db):
    return DepartmentFactory(code="market", name="市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def item(department):
    return item_with_stages(
        [[department]], name="个体工商户登记", name_en="Sole trader registration"
    )


def test_submission_puts_a_receipt_with_the_tracking_number_in_the_inbox(item):
    applicant = CitizenFactory(email="zhang@example.cn", preferred_language="en")

    application = submitted_application(item, applicant)

    receipt = Notification.objects.get(recipient=applicant, kind="application_received")
    assert receipt.key == f"receipt:{application.pk}"
    email_pending_notifications("application_received")
    [message] = [m for m in mail.outbox if m.to == ["zhang@example.cn"]]
    assert application.tracking_number in message.subject
    assert "Sole trader registration" in message.body
    assert f"/applications/{application.pk}/" in message.body


def test_email_is_written_in_the_recipients_language_not_the_senders(item):
    applicant = CitizenFactory(email="li@example.cn", preferred_language="zh-hans")
    application = submitted_application(item, applicant)

    email_pending_notifications("application_received")

    [message] = [m for m in mail.outbox if m.to == ["li@example.cn"]]
    assert "个体工商户登记" in message.body
    assert application.tracking_number in message.subject
    assert "Sole trader registration" not in message.body


def test_the_same_event_is_stored_and_emailed_once(item):
    applicant = CitizenFactory(email="wang@example.cn")
    first = notify([applicant], "application_received", "receipt:x", {"tracking_number": "1"})
    again = notify([applicant], "application_received", "receipt:x", {"tracking_number": "1"})

    assert len(first) == 1 and again == []
    assert email_notification(first[0]) is True
    assert email_notification(first[0]) is False
    assert len([m for m in mail.outbox if m.to == ["wang@example.cn"]]) == 1


def test_an_event_announced_again_to_more_people_reaches_only_those_not_told_yet(item):
    told, new = CitizenFactory(), CitizenFactory()
    context = {"tracking_number": "2", "item_name": "个体工商户登记", "nested": {"n": 1}}
    notify([told], "application_received", "receipt:y", context, url="/applications/2/")

    again = notify([told, new], "application_received", "receipt:y", context)

    [notification] = Notification.objects.filter(pk__in=again)
    assert notification.recipient == new
    assert notification.context == context
    assert Notification.objects.get(recipient=told, key="receipt:y").url == "/applications/2/"


def test_supplement_request_lists_what_is_missing(item, department):
    applicant = CitizenFactory(email="zhao@example.cn", preferred_language="en")
    application = routed_application(item, applicant)
    task = application.review_tasks.get(department=department)

    decide(task.pk, reviewer_of(department), Outcome.REQUEST_SUPPLEMENT, "营业执照复印件不清晰")
    email_pending_notifications("supplement_requested")

    [message] = [m for m in mail.outbox if m.to == ["zhao@example.cn"]]
    assert "营业执照复印件不清晰" in message.body
    assert "Market Regulation" in message.body
    assert reverse("services:edit", args=[application.pk]) in message.body


def test_extension_tells_the_applicant_the_reason(item, department):
    applicant = CitizenFactory(email="qian@example.cn", preferred_language="en")
    application = routed_application(item, applicant)
    task = application.review_tasks.get(department=department)
    extension = clocks.request_extension(task.pk, reviewer_of(department), 3, "需要现场核查")

    clocks.decide_extension(extension.pk, head_of(department), True)
    email_pending_notifications("time_limit_extended")

    [message] = [m for m in mail.outbox if m.to == ["qian@example.cn"]]
    assert "需要现场核查" in message.body
    assert "3 working days" in message.body


def test_approval_sends_the_certificate_link(item, department):
    applicant = CitizenFactory(email="sun@example.cn", preferred_language="en")
    application = routed_application(item, applicant)
    task = application.review_tasks.get(department=department)

    decide(task.pk, reviewer_of(department), Outcome.APPROVE, "同意")
    email_pending_notifications("application_decided")

    [message] = [m for m in mail.outbox if m.to == ["sun@example.cn"]]
    assert "Approved" in message.subject
    assert reverse("application_certificate", args=[application.pk]) in message.body


def test_rejection_gives_the_reasons(item, department):
    applicant = CitizenFactory(email="zhou@example.cn", preferred_language="en")
    application = routed_application(item, applicant)
    task = application.review_tasks.get(department=department)

    decide(task.pk, reviewer_of(department), Outcome.REJECT, "经营场所不符合要求")
    email_pending_notifications("application_decided")

    [message] = [m for m in mail.outbox if m.to == ["zhou@example.cn"]]
    assert "not approved" in message.subject
    assert "经营场所不符合要求" in message.body
    assert "certificate" not in message.body.lower().split("reasons")[0]


def test_department_staff_are_told_of_a_new_task(item, department):
    reviewer = reviewer_of(department, email="rev@market.gov.cn", preferred_language="en")
    clerk = clerk_of(service_centre())
    application = routed_application(item)

    assert Notification.objects.filter(recipient=clerk, kind="task_assigned").exists()
    told = Notification.objects.get(recipient=reviewer, kind="task_assigned")
    task = application.review_tasks.get(department=department)
    assert told.url == reverse("approvals:task", args=[task.pk])


def test_only_the_recipient_sees_a_notification(item, client_for):
    applicant, other = CitizenFactory(), CitizenFactory()
    submitted_application(item, applicant)
    notification = Notification.objects.get(recipient=applicant)

    assert (
        client_for(other).get(reverse("accounts:notification", args=[notification.pk])).status_code
        == 404
    )
    inbox = client_for(other).get(reverse("accounts:inbox"))
    assert notification.context["tracking_number"] not in inbox.content.decode()


def test_inbox_shows_the_unread_count_and_marks_read(item, client_for):
    applicant = CitizenFactory()
    application = submitted_application(item, applicant)
    client = client_for(applicant)

    page = client.get(reverse("accounts:inbox")).content.decode()
    assert "1 unread" in page
    assert application.tracking_number in page

    notification = Notification.objects.get(recipient=applicant)
    client.get(reverse("accounts:notification", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "unread" not in client.get(reverse("accounts:inbox")).content.decode()


def test_mark_all_read(item, client_for):
    applicant = CitizenFactory()
    submitted_application(item, applicant)
    submitted_application(item, applicant)

    client_for(applicant).post(reverse("accounts:mark_read"))

    assert not Notification.objects.filter(recipient=applicant, read_at__isnull=True).exists()


def test_switching_language_is_remembered_for_notifications(db, client_for):
    citizen = CitizenFactory(preferred_language="zh-hans")

    client_for(citizen).post(reverse("set_language"), {"language": "en", "next": "/"})

    citizen.refresh_from_db()
    assert citizen.preferred_language == "en"


def test_registration_remembers_the_language_used(db, celery_worker):
    from django.test import Client

    from tests.authentication import register_through_the_portal
    from tests.factories import valid_resident_id

    client = Client(headers={"accept-language": "en"})
    register_through_the_portal(
        client,
        {
            "username": "newcomer",
            "real_name": "陈明",
            "resident_id": valid_resident_id(),
            "mobile": "13800138000",
            "email": "chen@example.cn",
            "password1": "a-Long-pass-phrase-9",
            "password2": "a-Long-pass-phrase-9",
        },
    )

    from accounts.models import User

    assert User.objects.get(username="newcomer").preferred_language == "en"


# --- through the real worker -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_receipt_is_emailed_by_the_worker_after_commit(celery_worker, client_for, item):
    applicant = CitizenFactory(email="worker@example.cn", preferred_language="en")
    client = client_for(applicant)
    client.post(reverse("services:start", args=[item.code]))
    application = Application.objects.get(applicant=applicant)
    materials = {m.code: pdf_upload(f"{m.code}.pdf") for m in item.materials.all()}
    client.post(
        reverse("services:edit", args=[application.pk]),
        application_form_data(submit=True, **materials),
    )
    application.refresh_from_db()

    assert wait_until(lambda: any(m.to == ["worker@example.cn"] for m in mail.outbox), timeout=15)
    [message] = [m for m in mail.outbox if m.to == ["worker@example.cn"]]
    assert application.tracking_number in message.subject
    # The message reaches the outbox inside the worker's transaction, a moment before it
    # commits emailed_at.
    assert wait_until(
        lambda: Notification.objects.get(recipient=applicant).emailed_at is not None, timeout=15
    )
    # The worker goes on routing the case and mailing the departments: let it finish, or the
    # flush after this test meets its open transactions (a deadlock under load).
    assert wait_until(
        lambda: Application.objects.filter(pk=application.pk, routed_at__isnull=False).exists()
        and not Notification.objects.filter(emailed_at__isnull=True).exists(),
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_a_task_run_twice_sends_once(celery_worker, item):
    applicant = CitizenFactory(email="twice@example.cn")
    [notification_id] = notify([applicant], "application_received", "receipt:twice", {})
    mail.outbox.clear()

    email_notification_task.delay(notification_id)
    email_notification_task.delay(notification_id)

    assert wait_until(
        lambda: Notification.objects.filter(pk=notification_id, emailed_at__isnull=False).exists()
    )
    # The second run finds it sent; give it the time to (wrongly) send again.
    wait_until(lambda: len(mail.outbox) > 1, timeout=2)
    assert len([m for m in mail.outbox if m.to == ["twice@example.cn"]]) == 1


def test_emails_whose_task_was_lost_are_sent_by_the_reconciler(item, settings):
    from datetime import timedelta

    from accounts.tasks import email_unsent_notifications

    settings.NOTIFICATION_GRACE = timedelta(0)
    applicant = CitizenFactory(email="lost@example.cn")
    submitted_application(item, applicant)  # in a `db` test the on-commit task never runs

    assert email_unsent_notifications() >= 1
    assert email_unsent_notifications() == 0
    assert len([m for m in mail.outbox if m.to == ["lost@example.cn"]]) == 1


def test_a_person_without_an_email_address_still_gets_the_inbox_line(item):
    applicant = CitizenFactory(email="")
    submitted_application(item, applicant)
    notification = Notification.objects.get(recipient=applicant)

    assert email_notification(notification.pk) is False  # nothing sent: no address

    notification.refresh_from_db()
    assert notification.emailed_at is not None  # and not tried again
    assert mail.outbox == []


def test_the_header_says_inbox_and_the_count_apart(item, client_for):
    applicant = CitizenFactory()
    submitted_application(item, applicant)

    page = client_for(applicant).get(reverse("services:mine")).content.decode()

    # One inline box in the flex link: the space between the word and the badge is kept, on
    # screen and in the link's accessible name ("Inbox 1 unread", not "Inbox1 unread").
    assert '<span>Inbox <span class="badge">1 unread</span></span></a>' in page
