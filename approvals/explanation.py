"""How a deadline was counted, day by day, in words an applicant can check.

A deadline is the end of office hours on the N-th working day after the day it starts from
(approvals/calendar.py), moved later by every clock stop's working days and by an approved
extension (approvals/clocks.py). Shifting by working days composes — counting a days and then
b more lands where counting a + b does — so the whole count is one walk from the start: every
weekend and holiday on the way is skipped, every make-up working day is counted. This module
walks it again from the stored rows and names each day that moved the date.

The recomputed date is compared with the one recorded. They differ only when the calendar
was edited after the deadline was computed; the explanation then says so rather than hide it.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from services.models import Application

from .calendar import (
    WorkingCalendar,
    current_calendar,
    end_of_office_hours,
    official_date,
    working_days_between,
)
from .models import CalendarDay, ClockStop, Extension, ReviewTask

Kind = CalendarDay.Kind
WEEKEND = "weekend"
MAKE_UP_FOR = re.compile(r"for (\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class MovedDay:
    """A day on the way that changed the count: skipped (weekend, holiday) or worked (调休)."""

    day: date
    kind: str  # "weekend", or a CalendarDay.Kind value
    name: str

    @property
    def counted(self) -> bool:
        return self.kind == Kind.MAKEUP_WORKDAY


@dataclass(frozen=True)
class Pause:
    """A clock stop: the working days it lasted are added to the count (Art. 45)."""

    started_at: datetime
    ended_at: datetime | None
    working_days: int
    reason: str


@dataclass(frozen=True)
class Extended:
    """An approved extension (Art. 42): its working days are added once."""

    working_days: int
    decided_at: datetime | None
    department: str = ""


@dataclass
class DeadlineExplanation:
    start: datetime
    working_days: int
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extended] = field(default_factory=list)
    days: list[MovedDay] = field(default_factory=list)
    due_at: datetime | None = None
    recorded_due_at: datetime | None = None
    restarted: bool = False  # acceptance counted afresh from the complete materials (Art. 32)
    follows_extended_department: bool = False

    @property
    def paused_days(self) -> int:
        return sum(pause.working_days for pause in self.pauses)

    @property
    def extension_days(self) -> int:
        return (
            0 if self.follows_extended_department else sum(e.working_days for e in self.extensions)
        )

    @property
    def counted_days(self) -> int:
        return self.working_days + self.paused_days + self.extension_days

    @property
    def clock_stopped(self) -> bool:
        return any(pause.ended_at is None for pause in self.pauses)

    @property
    def first_counted_day(self) -> date:
        return official_date(self.start) + timedelta(days=1)

    @property
    def matches_record(self) -> bool:
        return self.recorded_due_at is None or self.recorded_due_at == self.due_at

    def day_groups(self) -> list[dict]:
        """Consecutive days of one kind and name, as a page lists them ("Sat 5 – Sun 6")."""
        groups: list[dict] = []
        for moved in self.days:
            last = groups[-1] if groups else None
            if (
                last
                and last["kind"] == moved.kind
                and last["name"] == moved.name
                and last["last"] + timedelta(days=1) == moved.day
            ):
                last["last"] = moved.day
                last["count"] += 1
                last["when"] = _("%(first)s – %(last)s") % {
                    "first": _weekday_and_date(last["first"]),
                    "last": _weekday_and_date(moved.day),
                }
            else:
                groups.append(
                    {
                        "when": _weekday_and_date(moved.day),
                        "kind": moved.kind,
                        "name": moved.name,
                        "first": moved.day,
                        "last": moved.day,
                        "count": 1,
                        "counted": moved.counted,
                    }
                )
        return groups

    def as_data(self) -> dict:
        """The explanation for the API (dates in ISO 8601, names in the caller's language)."""
        return {
            "start": self.start,
            "first_counted_day": self.first_counted_day,
            "working_days": self.working_days,
            "clock_stops": [
                {
                    "started_at": pause.started_at,
                    "ended_at": pause.ended_at,
                    "working_days": pause.working_days,
                    "reason": pause.reason,
                }
                for pause in self.pauses
            ],
            "extensions": [
                {
                    "working_days": extension.working_days,
                    "decided_at": extension.decided_at,
                    "department": extension.department,
                }
                for extension in self.extensions
            ],
            "days": [
                {
                    "date": moved.day,
                    "kind": moved.kind,
                    "name": moved.name,
                    "counted": moved.counted,
                }
                for moved in self.days
            ],
            "counted_working_days": self.counted_days,
            "clock_stopped": self.clock_stopped,
            "restarted": self.restarted,
            "follows_extended_department": self.follows_extended_department,
            "due_at": self.due_at,
            "recorded_due_at": self.recorded_due_at,
            "matches_record": self.matches_record,
        }


def _weekday_and_date(day: date) -> str:
    return f"{date_format(day, 'D')} {date_format(day, 'DATE_FORMAT')}"


def _walk(
    explanation: DeadlineExplanation, calendar: WorkingCalendar, names: dict[date, str]
) -> None:
    """Count `counted_days` working days after the start, noting each day that moved the end."""
    first = official_date(explanation.start)
    last = calendar.shift(first, explanation.counted_days)
    explanation.days = _moved_days(first, last, calendar, names)
    explanation.due_at = end_of_office_hours(last)


def _moved_days(
    start: date, last: date, calendar: WorkingCalendar, names: dict[date, str]
) -> list[MovedDay]:
    """The days after `start` up to `last` that a count skips (weekends, holidays) or counts
    although they fall on a weekend (make-up working days)."""
    moved, day = [], start
    while day < last:
        day += timedelta(days=1)
        if day in calendar.makeup_workdays:
            moved.append(MovedDay(day, Kind.MAKEUP_WORKDAY, names.get(day, "")))
        elif day in calendar.holidays and not calendar.is_working_day(day):
            moved.append(MovedDay(day, Kind.HOLIDAY, names.get(day, "")))
        elif not calendar.is_working_day(day):
            moved.append(MovedDay(day, WEEKEND, ""))
    return moved


def _day_names(start: datetime) -> dict[date, str]:
    """Names of the calendar's exceptional days from the start on, in the reader's language.

    The calendar is seeded in English from the `holidays` package (approvals/calendar.py);
    a Chinese reader gets the State Council's names (元旦, 春节 …) where the package has them.
    """
    rows = CalendarDay.objects.filter(date__gt=official_date(start)).values_list(
        "date", "kind", "name"
    )
    if not (get_language() or "").startswith("zh"):
        return {day: name for day, _kind, name in rows}
    names = {}
    for day, kind, name in rows:
        if kind == Kind.HOLIDAY:
            names[day] = _chinese_holiday_names(day.year).get(day, name)
        else:  # "Make-up working day for 2026-01-01" → "元旦调休"
            made_up_for = MAKE_UP_FOR.search(name)
            holiday = made_up_for and date.fromisoformat(made_up_for.group(1))
            chinese = holiday and _chinese_holiday_names(holiday.year).get(holiday)
            names[day] = f"{chinese}调休" if chinese else ""
    return names


@lru_cache(maxsize=8)
def _chinese_holiday_names(year: int) -> dict[date, str]:
    """The State Council's names (元旦, 春节 …) for the days an administrator seeded in English."""
    import holidays

    return dict(holidays.China(years=[year], language="zh_CN").items())


def _pauses(stops) -> list[Pause]:
    """Each stop's working days counted on the calendar as it is now, as a recount counts them
    (a holiday declared inside a stop shortens what the stop adds)."""
    return [
        Pause(
            started_at=stop.started_at,
            ended_at=stop.ended_at,
            working_days=max(working_days_between(stop.started_at, stop.ended_at), 0)
            if stop.ended_at
            else 0,
            reason=str(ClockStop.Reason(stop.reason).label),
        )
        for stop in stops
    ]


def explain_task_deadline(
    task: ReviewTask, names: dict[date, str] | None = None
) -> DeadlineExplanation:
    """One department's deadline: its limit from when its stage reached it, stops and extension.

    Expects `clock_stops` prefetched and `extension` selected, as the status page loads them.
    """
    stops = sorted(task.clock_stops.all(), key=lambda stop: stop.started_at)
    closed = [stop for stop in stops if stop.ended_at]
    if task.is_acceptance and closed:
        # Art. 32: once the materials are complete, acceptance is counted afresh from then.
        explanation = DeadlineExplanation(
            start=closed[-1].ended_at, working_days=task.time_limit_days, restarted=True
        )
        explanation.pauses = _pauses(stop for stop in stops if not stop.ended_at)
    else:
        explanation = DeadlineExplanation(start=task.created_at, working_days=task.time_limit_days)
        explanation.pauses = _pauses(stops)
    extension = getattr(task, "extension", None)  # a missing one-to-one raises AttributeError
    if extension and extension.state == Extension.State.APPROVED:
        explanation.extensions = [Extended(extension.working_days, extension.decided_at)]
    explanation.recorded_due_at = task.due_at
    _walk(
        explanation, current_calendar(), _day_names(explanation.start) if names is None else names
    )
    return explanation


def explain_overall_deadline(
    application: Application, tasks: list[ReviewTask], names: dict[date, str] | None = None
) -> DeadlineExplanation | None:
    """The case's deadline: the item's overall limit from acceptance, moved by the time any of
    its departments' clocks stood still (the case's clock runs only while none is stopped)."""
    if not application.accepted_at or not application.due_at:
        return None
    explanation = DeadlineExplanation(
        start=application.accepted_at,
        working_days=application.definition.overall_limit_days(),
        recorded_due_at=application.due_at,
    )
    stops = [
        stop
        for task in tasks
        for stop in task.clock_stops.all()
        if stop.ended_at is None or stop.ended_at > application.accepted_at
    ]
    explanation.pauses = _case_pauses(stops, application.accepted_at)
    calendar, names = current_calendar(), _day_names(explanation.start) if names is None else names
    _walk(explanation, calendar, names)
    # Art. 42 extends one department's period; the case's date follows the latest of them.
    extended = [
        task
        for task in tasks
        if getattr(task, "extension", None) and task.extension.state == Extension.State.APPROVED
    ]
    explanation.extensions = [
        Extended(t.extension.working_days, t.extension.decided_at, str(t.department))
        for t in extended
    ]
    latest = max((task.due_at for task in extended), default=None)
    if latest and latest > explanation.due_at:
        explanation.follows_extended_department = True
        explanation.due_at = latest
        start = official_date(explanation.start)
        explanation.days = _moved_days(start, official_date(latest), calendar, names)
    return explanation


def _case_pauses(stops, accepted_at: datetime) -> list[Pause]:
    """The spans in which at least one department's clock stood still, as the case's clock
    stopped at the first and ran again when the last one ended (clocks._end_clock_stop)."""
    spans: list[list] = []
    for stop in sorted(stops, key=lambda s: s.started_at):
        start = max(stop.started_at, accepted_at)
        if spans and (spans[-1][1] is None or start <= spans[-1][1]):
            if spans[-1][1] is not None:
                spans[-1][1] = None if stop.ended_at is None else max(spans[-1][1], stop.ended_at)
            spans[-1][2].append(stop)
        else:
            spans.append([start, stop.ended_at, [stop]])
    return [
        Pause(
            started_at=start,
            ended_at=end,
            working_days=max(working_days_between(start, end), 0) if end else 0,
            reason=", ".join(
                sorted({str(ClockStop.Reason(stop.reason).label) for stop in members})
            ),
        )
        for start, end, members in spans
    ]


def explain_case(application: Application, tasks: list[ReviewTask]) -> dict:
    """Every deadline of an open case: the overall one and each open task's."""
    if application.is_closed:
        return {"overall": None, "departments": []}
    names = _day_names(min(task.created_at for task in tasks)) if tasks else {}
    return {
        "overall": explain_overall_deadline(application, tasks, names),
        "departments": [
            {"task": task, "explanation": explain_task_deadline(task, names)}
            for task in tasks
            if task.is_open
        ],
    }
