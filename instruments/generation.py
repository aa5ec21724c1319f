"""Issuing an instrument: the one function the task, the reconciler, the tests and the
benchmark call. Safe to run twice and from two workers at once: the second run returns the
document the first one stored.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import signing
from accounts.audit import record
from accounts.models import Department
from approvals.calendar import official_date
from services.models import ApplicationEvent

from .content import (
    CHINESE,
    ENGLISH,
    EVENT_INSTRUMENTS,
    format_date,
    instrument_kind,
    instrument_party,
    issuing_department,
    office_of,
    placeholders,
)
from .models import Instrument, InstrumentTemplate, Kind, NumberCounter
from .numbering import format_number, lock_counter
from .rendering import render_instrument, render_seal
from .signing import sign_pdf, signing_key_of
from .wording import DEFAULT_WORDING, TITLES, render_text

logger = logging.getLogger(__name__)
REVOKE_PERMISSION = "instruments.revoke_instrument"
# How far back the reconciler looks for events without their instrument.
RECONCILE_WINDOW = timedelta(days=7)


def wording_for(kind: str, item_id: int | None) -> tuple[str, str]:
    """(Chinese, English) text of the kind: the item's own template, the kind's, or the default."""
    templates = {
        template.item_id: template
        for template in InstrumentTemplate.objects.filter(kind=kind, item_id__in=[item_id, None])
    }
    template = templates.get(item_id) or templates.get(None)
    if template is None:
        return DEFAULT_WORDING[kind]
    return template.body, template.body_en


def verification_url(token: uuid.UUID) -> str:
    return settings.PORTAL_URL.rstrip("/") + reverse("instruments:check", args=[token])


def document_data(
    *,
    kind: str,
    department: Department,
    number: str,
    dated: date,
    token: uuid.UUID,
    chinese: list[str],
    english: list[str] | None,
) -> dict:
    """What the Typst layout (instruments/typst/instrument.typ) prints around the text."""
    url = verification_url(token)
    title_zh, title_en = TITLES[kind]
    return {
        "token": token.hex,
        "issuer": department.name,
        "title": title_zh,
        "number": number,
        "paragraphs": chinese,
        "dated": format_date(dated, CHINESE),
        "verify_url": url,
        "verify_label": f"二维码：验证文书 {number}",
        "verify_note": f"本文书由{department.name}加盖电子印章。扫描二维码或访问下列网址，上传本文件即可验证。",
        "english": None
        if english is None
        else {
            "issuer": department.name_en or department.name,
            "title": title_en,
            "paragraphs": english,
            "dated": format_date(dated, ENGLISH),
            "note": "English rendering, for information. The Chinese text is authoritative.",
        },
    }


def seal_purpose(kind: str) -> str:
    return "政府信息公开专用章" if kind == Kind.DISCLOSURE_ANSWER else "行政审批专用章"


def signed_pdf(data: dict, *, kind: str, department: Department) -> tuple[bytes, str]:
    """Render and seal: the PDF bytes and the id of the key that signed them."""
    rendered = render_instrument(data)
    key = signing_key_of(department)
    pdf = sign_pdf(
        rendered.pdf,
        department=department,
        key=key,
        seal=render_seal(department.name, seal_purpose(kind)),
        page=rendered.seal_page,
        box=rendered.seal_box,
        reason=f"{data['title']} {data['number']}",
    )
    return pdf, key.key_id


def _existing(event: ApplicationEvent, kind: str) -> Instrument | None:
    return (
        Instrument.objects.defer("pdf")
        .filter(application_id=event.application_id, kind=kind, event=event)
        .first()
    )


def issue_instrument(event_id: int, *, now: datetime | None = None) -> Instrument | None:
    """The instrument of a timeline event: made, numbered, sealed and stored once.

    None when the event yields no instrument (or no longer exists).
    """
    event = (
        ApplicationEvent.objects.select_related(
            "application__item", "application__item_version", "application__applicant", "department"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return None
    kind = instrument_kind(event)
    if kind is None:
        return None
    existing = _existing(event, kind)
    if existing is not None:
        return existing
    department = issuing_department(event, kind)
    dated = official_date(event.created_at)
    try:
        with transaction.atomic():
            # Django's foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED), which
            # here would come after the audit log's lock: checked at the insert instead, this
            # transaction takes the case's row (key share) before the audit lock, in the order
            # every decision takes them, so deciding the same case never deadlocks with it.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            counter = lock_counter(department, dated.year)
            # Another worker may have issued it while this one waited for the counter.
            existing = _existing(event, kind)
            if existing is not None:
                return existing
            return _issue(event, kind, department, dated, counter, now or timezone.now())
    except IntegrityError:
        existing = _existing(event, kind)
        if existing is None:
            raise
        return existing


def _issue(event, kind, department, dated, counter: NumberCounter, now: datetime) -> Instrument:
    application = event.application
    serial = counter.last + 1
    number = format_number(office_of(department).number_prefix, dated.year, serial)
    # Delivered electronically when it is stored: appeal periods run from today.
    received_on = official_date(now)
    token = uuid.uuid4()
    chinese_text, english_text = wording_for(kind, application.item_id)
    party = instrument_party(application)
    values = {"event": event, "kind": kind, "department": department, "number": number}
    values.update(dated=dated, received_on=received_on)
    chinese = render_text(chinese_text, placeholders(**values, language=CHINESE))
    english = None
    if party.language == ENGLISH and english_text.strip():
        english = render_text(english_text, placeholders(**values, language=ENGLISH))
    data = document_data(
        kind=kind,
        department=department,
        number=number,
        dated=dated,
        token=token,
        chinese=chinese,
        english=english,
    )
    pdf, key_id = signed_pdf(data, kind=kind, department=department)
    instrument = Instrument.objects.create(
        application=application,
        event=event,
        kind=kind,
        department=department,
        year=dated.year,
        serial=serial,
        number=number,
        token=token,
        dated=dated,
        issued_at=now,
        languages=CHINESE if english is None else f"{CHINESE}+{ENGLISH}",
        key_id=key_id,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        **_appeal_dates(kind, received_on),
    )
    NumberCounter.objects.filter(pk=counter.pk).update(last=serial)
    # ACTIONS of accounts/audit.py: a line of the case's record, like its timeline events.
    record(
        "application.event",
        obj=application,
        detail={
            "event": "instrument_issued",
            "tracking_number": application.tracking_number,
            "instrument": kind,
            "number": number,
            "event_id": event.pk,
            "department": department.code,
            "sha256": instrument.sha256,
            "key_id": key_id,
            # Under the national suite the PDF's SM3 digest is in the (SM3) chain too, so the
            # day's SM2-signed anchor, and the inclusion proof of this entry, cover it.
            **national_digest(pdf),
        },
    )
    logger.info("Issued %s for %s", number, application.tracking_number)
    return instrument


def national_digest(pdf: bytes) -> dict:
    if signing.current_suite() != signing.NATIONAL:
        return {}
    return {"sm3": signing.hexdigest(pdf, signing.SM3)}


def _appeal_dates(kind: str, received_on: date) -> dict:
    from .appeals import appeal_periods
    from .content import WITH_APPEAL_RIGHTS

    if kind not in WITH_APPEAL_RIGHTS:
        return {}
    periods = appeal_periods(received_on)
    return {
        "reconsideration_until": periods.reconsideration_until,
        "lawsuit_until": periods.lawsuit_until,
    }


def events_without_instrument(older_than: datetime, limit: int = 200) -> list[int]:
    """Recent legal events whose instrument was never made (its message lost, a worker killed).

    Read through the timeline's index on created_at, within RECONCILE_WINDOW, so the cost
    follows the events of the last days, not every case ever filed.
    """
    return list(
        ApplicationEvent.objects.filter(
            kind__in=list(EVENT_INSTRUMENTS),
            created_at__gte=older_than - RECONCILE_WINDOW,
            created_at__lte=older_than,
            instruments__isnull=True,
        )
        # A letter's events yield none (instrument_kind): left out, or they would fill the batch.
        .exclude(application__item__kind="letter")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def revoke_instrument(instrument: Instrument, by, reason: str) -> Instrument:
    """Revoke an instrument for good (a decision withdrawn, say); whoever verifies it reads why."""
    if not by.has_perm(REVOKE_PERMISSION):
        raise PermissionDenied(_("You may not revoke written instruments."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason: whoever verifies it reads it.")})
    with connection.cursor() as cursor:  # the revoker's row before the audit lock, as above
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    updated = Instrument.objects.filter(pk=instrument.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason, revoked_by=by
    )
    if not updated:
        raise ValidationError(_("This instrument has already been revoked."))
    instrument.refresh_from_db(fields=["revoked_at", "revoked_reason", "revoked_by"])
    record(
        "application.event",
        obj=instrument.application,
        actor=by,
        detail={
            "event": "instrument_revoked",
            "number": instrument.number,
            "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
        },
    )
    return instrument


def issue_instruments_of(application_id: int) -> list[Instrument]:
    """Every instrument a case is owed, issued now if missing (tests, backfills, the demo)."""
    event_ids = ApplicationEvent.objects.filter(
        application_id=application_id, kind__in=list(EVENT_INSTRUMENTS)
    ).values_list("pk", flat=True)
    issued = [issue_instrument(event_id) for event_id in event_ids]
    return [instrument for instrument in issued if instrument is not None]


def instrument_texts(instrument: Instrument) -> tuple[list[str], list[str] | None]:
    """The paragraphs the instrument prints, as they render from its case (for checks)."""
    event = ApplicationEvent.objects.select_related(
        "application__item", "application__item_version", "application__applicant", "department"
    ).get(pk=instrument.event_id)
    chinese_text, english_text = wording_for(instrument.kind, event.application.item_id)
    values = {
        "event": event,
        "kind": instrument.kind,
        "department": instrument.department,
        "number": instrument.number,
        "dated": instrument.dated,
        "received_on": official_date(instrument.issued_at),
    }
    chinese = render_text(chinese_text, placeholders(**values, language=CHINESE))
    english = None
    if ENGLISH in instrument.languages:
        english = render_text(english_text, placeholders(**values, language=ENGLISH))
    return chinese, english
