"""Notifications: one mechanism for everything the portal tells a person, applicant or civil servant.

Every app announces an event with `notify()` inside the transaction that caused it: the inbox
line is written with that transaction (so it exists exactly when the event does), and the
e-mail is sent by a Celery task enqueued on commit. The pair (recipient, key) is unique, so an
event announced twice is stored once and, because the task marks what it sent under a row
lock, e-mailed once. Subjects and bodies come from templates/notifications/<kind>_subject.txt
and <kind>_body.txt, rendered in the recipient's preferred language.

accounts is used by every app and imports none of them: callers pass plain data (numbers,
names in both languages, notes, paths), never their models.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Membership, Notification, User

logger = logging.getLogger(__name__)


def language_of(user: User) -> str:
    """The language a person reads their notifications in; the official one if never chosen."""
    return user.preferred_language or settings.LANGUAGE_CODE


def remember_language(user: User, language: str) -> None:
    """Keep the language someone uses, so what reaches them later is written in it."""
    codes = {code for code, _name in settings.LANGUAGES}
    if user.is_authenticated and language in codes and user.preferred_language != language:
        user.preferred_language = language
        User.objects.filter(pk=user.pk).update(preferred_language=language)


def notify(
    recipients: Iterable[User], kind: str, key: str, context: dict, url: str = ""
) -> list[int]:
    """Put a notification in each recipient's inbox and e-mail it after commit.

    `key` identifies the event: announcing it again writes and sends nothing new. Returns the
    ids of the notifications that were new.
    """
    people = [person.pk for person in recipients if person is not None and person.is_active]
    if not people:
        return []
    context_field = Notification._meta.get_field("context")
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # One statement for all recipients; ON CONFLICT on the unique (recipient, key) skips
        # those already told, a concurrent insert of the same key included, and RETURNING
        # names only the new rows, so nothing is e-mailed twice.
        cursor.execute(
            """
            INSERT INTO accounts_notification (recipient_id, kind, key, context, url, created_at)
            SELECT recipient, %s, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS recipient
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [
                kind,
                key,
                context_field.get_db_prep_save(context, connection),
                url,
                timezone.now(),
                sorted(set(people)),
            ],
        )
        new_ids = [pk for (pk,) in cursor.fetchall()]
        transaction.on_commit(lambda: enqueue_emails(new_ids))
    return new_ids


@dataclass(frozen=True)
class Message:
    """One person's notification of an event, for `notify_each`."""

    recipient_id: int
    key: str
    context: dict
    url: str = ""


def notify_each(
    kind: str, messages: list[Message], *, recipients_active: bool = False
) -> list[int]:
    """`notify()` for many events of one kind at once (one per case of a recount, say): one
    INSERT for all of them, the same (recipient, key) uniqueness, e-mails after commit.

    `recipients_active`: the caller read the recipients as active people (active_staff_of),
    so they are not read again."""
    if not recipients_active:
        active = set(
            User.objects.filter(
                pk__in={message.recipient_id for message in messages}, is_active=True
            ).values_list("pk", flat=True)
        )
        messages = [message for message in messages if message.recipient_id in active]
    if not messages:
        return []
    context_field = Notification._meta.get_field("context")
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_notification (recipient_id, kind, key, context, url, created_at)
            SELECT recipient, %s, key, context::jsonb, url, %s
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                AS message(recipient, key, context, url)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [
                kind,
                timezone.now(),
                [message.recipient_id for message in messages],
                [message.key for message in messages],
                [json.dumps(message.context, cls=context_field.encoder) for message in messages],
                [message.url for message in messages],
            ],
        )
        new_ids = [pk for (pk,) in cursor.fetchall()]
        transaction.on_commit(lambda: enqueue_emails(new_ids))
    return new_ids


def enqueue_emails(notification_ids: list[int]) -> None:
    from .tasks import email_notification

    for notification_id in notification_ids:
        try:
            email_notification.delay(notification_id)
        except Exception:
            # The inbox line is committed; the reconciler e-mails it once the broker is back.
            logger.warning("Broker unavailable; notification %s e-mailed later", notification_id)


@dataclass
class Rendered:
    subject: str
    body: str


def render_notification(notification: Notification, language: str | None = None) -> Rendered:
    """Subject and text of a notification, in `language` (the recipient's by default)."""
    language = language or language_of(notification.recipient)
    context = {**notification.context}
    english = language.startswith("en")
    # Names of catalogue items and departments are data in both languages: "<x>_name" and
    # "<x>_name_en" become "<x>_label" in the reader's; "<x>_path" becomes an absolute "<x>_url".
    for name, value in notification.context.items():
        if name.endswith("_name") and not name.startswith("_"):
            english_value = notification.context.get(f"{name}_en")
            context[name.removesuffix("_name") + "_label"] = (
                english_value if english and english_value else value
            )
        elif name.endswith("_path") and value:
            context[name.removesuffix("_path") + "_url"] = absolute_url(value)
    context["recipient"] = notification.recipient
    context["link"] = absolute_url(notification.url) if notification.url else ""
    with translation.override(language):
        subject = render_to_string(f"notifications/{notification.kind}_subject.txt", context)
        body = render_to_string(f"notifications/{notification.kind}_body.txt", context)
    return Rendered(subject=" ".join(subject.split()), body=body.strip() + "\n")


def absolute_url(path: str) -> str:
    return settings.PORTAL_URL.rstrip("/") + path


def email_notification(notification_id: int) -> bool:
    """E-mail one notification unless it has been e-mailed already. Safe to run twice at once:
    the row is locked while sending, and marked in the same transaction."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        recipient = notification.recipient
        if recipient.email and recipient.is_active:
            rendered = render_notification(notification)
            send_mail(
                rendered.subject,
                rendered.body,
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
                fail_silently=False,
            )
        # Without an address the inbox is the only channel; marked so it is not tried again.
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return bool(recipient.email)


def unsent_notification_ids(older_than, limit: int = 500) -> list[int]:
    """Notifications whose e-mail task never ran (broker down at commit, worker lost)."""
    return list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- reading the inbox ---------------------------------------------------------------------------


def inbox_of(user: User) -> QuerySet[Notification]:
    """A person's own notifications, newest first: nobody else's are ever in it."""
    if not user.is_authenticated:
        return Notification.objects.none()
    # Rendering a notification reads its recipient: joined here, not fetched once per row.
    return Notification.objects.filter(recipient=user).select_related("recipient")


def unread_count(user: User) -> int:
    return inbox_of(user).filter(read_at__isnull=True).count()


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the person's notifications (all of them, or the given ones) as read."""
    unread = inbox_of(user).filter(read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


# --- who is told ---------------------------------------------------------------------------------


def active_staff_of(department_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(department id, user id) of the active civil servants of these departments, in one query:
    `department_staff` for several departments at once."""
    return list(
        Membership.objects.filter(
            department_id__in=list(department_ids),
            user__is_active=True,
            user__kind=User.Kind.STAFF,
        )
        .values_list("department_id", "user_id")
        .distinct()
    )


def department_staff(department_id: int, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """The active civil servants of a department (of the given roles), e.g. for a new task."""
    memberships = Membership.objects.filter(department_id=department_id)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return User.objects.filter(
        pk__in=memberships.values("user_id"), is_active=True, kind=User.Kind.STAFF
    )
