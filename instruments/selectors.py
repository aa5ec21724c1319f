"""Who may read which instrument: the parties of the case, and the departments concerned."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from approvals.calendar import official_date
from approvals.permissions import visible_tasks
from services.models import Application, ApplicationEvent
from services.permissions import applications_of

from .appeals import AppealPeriods, appeal_periods
from .content import EVENT_INSTRUMENTS, instrument_kind
from .generation import RECONCILE_WINDOW
from .models import Instrument


def listed(queryset: QuerySet[Instrument]) -> QuerySet[Instrument]:
    """Without the PDFs themselves: a list never needs their bytes."""
    return queryset.defer("pdf").select_related("department").order_by("issued_at", "id")


def instruments_of_party(user, application_id: int) -> QuerySet[Instrument]:
    """The instruments of one of the person's own cases, or 404 for anyone else's.

    Agents (issue 17) will reach their principals' cases through the same `applications_of`.
    """
    application = get_object_or_404(applications_of(user), pk=application_id)
    return listed(Instrument.objects.filter(application=application))


def instrument_for_party(user, application_id: int, instrument_id: int) -> Instrument:
    application = get_object_or_404(applications_of(user), pk=application_id)
    return get_object_or_404(
        Instrument.objects.select_related("application", "department"),
        application=application,
        pk=instrument_id,
    )


def instrument_for_staff(user, task_id: int, instrument_id: int) -> Instrument:
    """An instrument of a case one of the person's departments has a task on, or 404."""
    task = get_object_or_404(visible_tasks(user), pk=task_id)
    return get_object_or_404(
        Instrument.objects.select_related("application", "department"),
        application_id=task.application_id,
        pk=instrument_id,
    )


@dataclass(frozen=True)
class Expected:
    """One instrument a case has, or is owed and still being prepared."""

    event: ApplicationEvent
    kind: str
    instrument: Instrument | None

    @property
    def kind_label(self) -> str:
        return str(Instrument.Kind(self.kind).label)


def case_instruments(application: Application) -> list[Expected]:
    """Every legal event of the case with its instrument, None while it is being prepared."""
    events = [
        event
        for event in application.events.all()
        if event.kind in EVENT_INSTRUMENTS and event.application_id == application.pk
    ]
    if not events:
        return []
    issued = {
        (instrument.event_id, instrument.kind): instrument
        for instrument in listed(Instrument.objects.filter(application=application))
    }
    # Events older than the reconciler's window without an instrument (cases decided before
    # instruments existed) will not get one by themselves: `manage.py issue_instruments`
    # backfills them. Until then they are not shown as "being prepared" for ever.
    prepared_since = timezone.now() - RECONCILE_WINDOW
    expected = []
    for event in events:
        event.application = application
        kind = instrument_kind(event)
        if kind is None:
            continue
        instrument = issued.get((event.pk, kind))
        if instrument is not None or event.created_at >= prepared_since:
            expected.append(Expected(event, kind, instrument))
    return expected


def appeal_period_of_refusal(application_id: int, decided_at) -> AppealPeriods:
    """The appeal period of a refused application, as the register shows it: the last days its
    refusal states, or (while the refusal is being prepared) those counted from the decision."""
    refusal = (
        Instrument.objects.filter(
            application_id=application_id,
            kind__in=[Instrument.Kind.REFUSAL, Instrument.Kind.NON_ACCEPTANCE],
        )
        .only("issued_at", "reconsideration_until", "lawsuit_until")
        .first()
    )
    if refusal is None:
        return appeal_periods(official_date(decided_at))
    return AppealPeriods(
        received_on=official_date(refusal.issued_at),
        reconsideration_until=refusal.reconsideration_until,
        lawsuit_until=refusal.lawsuit_until,
    )
