"""What each instrument says: the placeholders of its template, filled from the case.

Everything an instrument says about the licensed party comes from `instrument_party()`: the
case's subject (行政相对人, services/parties.py), which is not always the account that filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from accounts.models import Department
from approvals.calendar import official_date
from approvals.models import ACCEPTANCE_STAGE, Certificate, Extension, ReviewTask
from services.models import Application, ApplicationEvent
from services.parties import subject_of

from .appeals import LAWSUIT_MONTHS, RECONSIDERATION_DAYS, appeal_periods
from .models import IssuingOffice, Kind

Event = ApplicationEvent.Kind
ENGLISH = "en"
CHINESE = "zh-hans"
MONTHS = (
    "January February March April May June July August September October November December"
).split()

# The legal events that yield an instrument, and which one. A decision on a disclosure request
# is answered by a 答复书 instead (instrument_kind).
EVENT_INSTRUMENTS: dict[str, str] = {
    Event.ACCEPTED: Kind.ACCEPTANCE,
    Event.DEEMED_ACCEPTED: Kind.ACCEPTANCE,
    Event.NOT_ACCEPTED: Kind.NON_ACCEPTANCE,
    Event.SUPPLEMENT_REQUESTED: Kind.SUPPLEMENT,
    Event.APPROVED: Kind.APPROVAL,
    Event.REJECTED: Kind.REFUSAL,
    Event.EXTENDED: Kind.EXTENSION,
    Event.CERTIFICATE_ISSUED: Kind.CERTIFICATE,
}
WITH_APPEAL_RIGHTS = {Kind.NON_ACCEPTANCE, Kind.REFUSAL, Kind.DISCLOSURE_ANSWER}


def is_disclosure_request(application: Application) -> bool:
    return application.item.code in settings.DISCLOSURE_REQUEST_ITEMS


def instrument_kind(event: ApplicationEvent) -> str | None:
    if event.application.definition.item.is_letter:
        return None  # a letter's answer is a reply, not a legal act: no written instrument
    kind = EVENT_INSTRUMENTS.get(event.kind)
    if kind in (Kind.APPROVAL, Kind.REFUSAL) and is_disclosure_request(event.application):
        return Kind.DISCLOSURE_ANSWER
    return kind


# --- the party -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    identifier: str
    kind: str  # "natural_person" or "organisation"
    language: str  # the language the party reads: the authoritative Chinese, plus English?


def instrument_party(application: Application) -> Party:
    """The licensed party the instruments name (services/parties.py), addressed in the language
    of the applicant who reads them: a new entity has no account of its own."""
    subject = subject_of(application)
    language = ENGLISH if application.applicant.preferred_language == ENGLISH else CHINESE
    # Like the e-certificate: the full name, never the full ID number.
    return Party(subject.name, subject.identifier, subject.kind, language)


# --- who issues ----------------------------------------------------------------------------------


def issuing_department(event: ApplicationEvent, kind: str) -> Department:
    """The department in whose name the instrument is issued and sealed.

    The department the event names (acceptance, a supplement request, an extension); for a
    refusal the first department that refused; for an approval, an answer or a certificate the
    first department of the last stage; failing all of those, the accepting department.
    """
    if event.department_id:
        return event.department
    tasks = ReviewTask.objects.filter(application=event.application).select_related("department")
    if kind in (Kind.REFUSAL, Kind.NON_ACCEPTANCE, Kind.DISCLOSURE_ANSWER):
        refusing = tasks.filter(state=ReviewTask.State.REJECTED).order_by(
            "-stage_order", "department__code"
        )
        if refusing:
            return refusing[0].department
    deciding = tasks.filter(stage_order__gt=ACCEPTANCE_STAGE).order_by(
        "-stage_order", "department__code"
    )
    task = deciding.first() or tasks.order_by("stage_order").first()
    return task.department


def office_of(department: Department) -> IssuingOffice:
    """The department's issuing office, or the defaults of one when none is configured."""
    return IssuingOffice.objects.filter(department=department).first() or IssuingOffice(
        department=department, number_prefix=department.name
    )


# --- the placeholders ----------------------------------------------------------------------------


def format_date(day: date | None, language: str) -> str:
    if day is None:
        return ""
    if language == ENGLISH:
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _day(moment) -> date | None:
    return official_date(moment) if moment else None


def _frozen_item(application: Application):
    """The item's terms as the case froze them (services.definitions.ItemTerms)."""
    return application.definition.item


def _in(language: str, chinese: str, english: str) -> str:
    return english or chinese if language == ENGLISH else chinese


def supplement_items(note: str) -> list[str]:
    """The reviewer's notice, one missing or defective material per line."""
    items = []
    for line in note.splitlines():
        line = line.strip().lstrip("-•·*").strip()
        head, _, rest = line.partition(".")
        if head.isdigit() and rest:
            line = rest.strip()
        if line:
            items.append(line)
    return items


OUTCOMES = {
    ReviewTask.State.APPROVED: ("同意", "approved"),
    ReviewTask.State.DEEMED_APPROVED: ("视为同意", "deemed approved"),
    ReviewTask.State.REJECTED: ("不同意", "refused"),
}


def placeholders(
    *,
    event: ApplicationEvent,
    kind: str,
    department: Department,
    number: str,
    dated: date,
    received_on: date,
    language: str,
) -> dict:
    """The values of every placeholder (instruments/wording.py) for one instrument, in one
    language; Chinese is the authoritative text, English the rendering added for who chose it."""
    application = event.application
    item = _frozen_item(application)
    party = instrument_party(application)
    office = office_of(department)
    tasks = list(
        ReviewTask.objects.filter(application=application, stage_order__gt=ACCEPTANCE_STAGE)
        .select_related("department")
        .order_by("stage_order", "department__code")
    )
    opinions = [
        {
            "department": _in(language, task.department.name, task.department.name_en),
            "outcome": OUTCOMES[task.state][1 if language == ENGLISH else 0],
            "opinion": task.opinion,
        }
        for task in tasks
        if task.state in OUTCOMES and task.decided_at and task.decided_at <= event.created_at
    ]
    context = {
        "number": number,
        "dated": format_date(dated, language),
        "legal_basis": application.item.legal_basis.strip(),
        "reasons": application.decision_reason or event.note,
        "answer": "\n\n".join(o["opinion"] for o in opinions if o["opinion"]),
        "party": {
            "name": party.name,
            "identifier": party.identifier,
            "kind": {
                "natural_person": _in(language, "自然人", "natural person"),
                "organisation": _in(language, "法人或者其他组织", "organisation"),
            }[party.kind],
        },
        "case": {
            "tracking_number": application.tracking_number,
            "item_name": _in(language, item.name, item.name_en),
            "submitted_on": format_date(_day(application.submitted_at), language),
            "accepted_on": format_date(_day(application.accepted_at), language),
            "deemed_accepted": event.kind == Event.DEEMED_ACCEPTED,
            "decided_on": format_date(_day(application.decided_at), language),
            "due_on": format_date(_day(application.due_at), language),
        },
        "department": {"name": _in(language, department.name, department.name_en)},
        "opinions": opinions,
        "supplement": {
            "department": _in(language, department.name, department.name_en),
            "items": supplement_items(event.note),
        },
        "extension": _extension(event, language),
        "certificate": _certificate(application, language),
        "appeal": {},
    }
    if kind in WITH_APPEAL_RIGHTS:
        periods = appeal_periods(received_on)
        context["appeal"] = {
            "received_on": format_date(received_on, language),
            "reconsideration_days": RECONSIDERATION_DAYS,
            "reconsideration_body": _in(
                language, office.reconsideration_body, office.reconsideration_body_en
            ),
            "reconsideration_until": format_date(periods.reconsideration_until, language),
            "lawsuit_months": LAWSUIT_MONTHS,
            "court": _in(language, office.court, office.court_en),
            "lawsuit_until": format_date(periods.lawsuit_until, language),
        }
    return context


def _extension(event: ApplicationEvent, language: str) -> dict:
    if event.kind != Event.EXTENDED:
        return {}
    extension = (
        Extension.objects.filter(
            task__application=event.application,
            task__department=event.department_id,
            state=Extension.State.APPROVED,
            decided_at__lte=event.created_at,
        )
        .select_related("task")
        .order_by("-decided_at")
        .first()
    )
    if extension is None:
        return {"working_days": "", "reason": event.note, "due_on": ""}
    return {
        "working_days": extension.working_days,
        "reason": extension.reason,
        "due_on": format_date(_day(extension.task.due_at), language),
    }


def _certificate(application: Application, language: str) -> dict:
    certificate = Certificate.objects.filter(application=application).first()
    if certificate is None:
        return {}
    return {
        "number": certificate.number,
        "scope": certificate.scope,
        "valid_from": format_date(certificate.valid_from, language),
        "valid_until": format_date(certificate.valid_until, language)
        or _in(language, "长期", "no expiry"),
        "issuers": certificate.issuing_departments,
    }


def sample_placeholders(kind: str, language: str) -> dict:
    """A made-up case for the template preview in the admin: every placeholder has a value."""
    today = timezone.localdate()
    periods = appeal_periods(today)
    return {
        "number": "合市监许〔2026〕第000123号",
        "dated": format_date(today, language),
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "reasons": "经营场所与有毒、有害场所的距离不足25米，不符合《食品经营许可审查通则》的要求。",
        "answer": "经审查，你申请公开的2025年小餐饮许可名单属于主动公开的政府信息，已在本机关网站公开。",
        "party": {"name": "张三", "identifier": "340104********0012", "kind": "自然人"},
        "case": {
            "tracking_number": "HF20260301000123",
            "item_name": _in(language, "食品经营许可", "Food business licence"),
            "submitted_on": format_date(today, language),
            "accepted_on": format_date(today, language),
            "deemed_accepted": False,
            "decided_on": format_date(today, language),
            "due_on": format_date(today, language),
        },
        "department": {"name": _in(language, "合肥市市场监督管理局", "Hefei Market Regulation")},
        "opinions": [
            {
                "department": "合肥市市场监督管理局",
                "outcome": "同意",
                "opinion": "材料齐全，符合条件。",
            },
            {"department": "合肥市卫生健康委员会", "outcome": "同意", "opinion": "同意。"},
        ],
        "supplement": {
            "department": "合肥市政务服务中心",
            "items": ["营业执照复印件不清晰，请重新上传", "缺少经营场所平面图"],
        },
        "extension": {
            "working_days": 10,
            "reason": "需要现场核查",
            "due_on": format_date(today, language),
        },
        "certificate": {
            "number": "ZZ202600000123",
            "scope": "热食类食品制售",
            "valid_from": format_date(today, language),
            "valid_until": format_date(today.replace(year=today.year + 5), language),
            "issuers": "合肥市市场监督管理局",
        },
        "appeal": {
            "received_on": format_date(today, language),
            "reconsideration_days": RECONSIDERATION_DAYS,
            "reconsideration_body": "合肥市人民政府",
            "reconsideration_until": format_date(periods.reconsideration_until, language),
            "lawsuit_months": LAWSUIT_MONTHS,
            "court": "合肥市蜀山区人民法院",
            "lawsuit_until": format_date(periods.lawsuit_until, language),
        },
    }
