"""The working-day calendar: every administrative time limit is counted on it.

Administrative License Law Art. 82: limits are in working days. The day a period starts is not
counted (Civil Code Art. 201), so "5 working days from receipt" ends on the fifth working day
after the day of receipt, at the end of office hours. Weekends are rest days unless the
calendar makes them make-up working days (调休); weekdays are working days unless it makes
them holidays. Asia/Shanghai has no daylight saving time, so a local date is unambiguous.

The calendar is read from the database once and kept under its version (CalendarVersion), a
token that changes in the same transaction as any change to the days: every deadline counted
after an edit is committed counts on the edited calendar, in every process.
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.utils import timezone

END_OF_OFFICE_HOURS = time(17, 30)
# Working hours (an idle claim's lapse, say) count from 09:00 to 17:30 on working days: 8.5
# hours a day, no lunch break taken out, so "8 working hours" is a little under one day.
START_OF_OFFICE_HOURS = time(9, 0)


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def shift(self, day: date, working_days: int) -> date:
        """The `working_days`-th working day after `day` (before it when negative)."""
        step = 1 if working_days >= 0 else -1
        remaining = abs(working_days)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def count(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.count(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(n))
        )


# The calendar this process read last, under the version (CalendarVersion.token) it was read
# at. It is served only while the database still holds that version, so it needs no expiry,
# and a test needs nothing cleared: its database's version is its own.
_latest: tuple[UUID, WorkingCalendar] | None = None


@dataclass
class _Block:
    calendar: WorkingCalendar | None = None


_block: ContextVar[_Block | None] = ContextVar("working_calendar_block", default=None)


def current_calendar() -> WorkingCalendar:
    """The calendar the database holds now (checked once per `one_calendar()` block)."""
    block = _block.get()
    if block is not None and block.calendar is not None:
        return block.calendar
    calendar = _calendar_at(_stored_version())
    if block is not None:
        block.calendar = calendar
    return calendar


@contextmanager
def one_calendar():
    """Count every deadline inside the block on one calendar, checked against the database once.

    A page of a hundred tasks asks for the calendar a hundred times (colours, days left): each
    web request is such a block (approvals/middleware.py). An edit of the calendar made inside
    the block (forget_cached_calendar) is seen by the block's next deadline.
    """
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


def forget_cached_calendar(**kwargs) -> None:
    """This process changed the calendar: the enclosing block reads it again at its next use.

    Other processes, and this one outside the block, see the new version in the database.
    """
    block = _block.get()
    if block is not None:
        block.calendar = None


def _stored_version() -> UUID | None:
    from .models import CalendarVersion

    return (
        CalendarVersion.objects.filter(pk=CalendarVersion.SINGLETON)
        .values_list("token", flat=True)
        .first()
    )


def _calendar_at(version: UUID | None) -> WorkingCalendar:
    global _latest
    latest = _latest
    if version is not None and latest is not None and latest[0] == version:
        return latest[1]
    # Read after the version, never before: days changed in between are newer than the
    # version kept with them, and the next check meets the version they brought and reads
    # them again. The other way round, older days could be kept under a newer version.
    calendar = _read_calendar()
    if version is not None:  # no version row (a flushed test database): nothing to key on
        _latest = (version, calendar)
    return calendar


def _read_calendar() -> WorkingCalendar:
    from .models import CalendarDay

    rows = list(CalendarDay.objects.values_list("date", "kind"))
    return WorkingCalendar(
        holidays=frozenset(d for d, kind in rows if kind == CalendarDay.Kind.HOLIDAY),
        makeup_workdays=frozenset(d for d, kind in rows if kind == CalendarDay.Kind.MAKEUP_WORKDAY),
    )


def official_date(moment: datetime) -> date:
    """The moment's date in the portal's time zone (settings.TIME_ZONE), whoever is asking."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def end_of_office_hours(day: date) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, END_OF_OFFICE_HOURS), timezone.get_default_timezone()
    )


def working_time_before(
    moment: datetime, working_time: timedelta, calendar: WorkingCalendar | None = None
) -> datetime:
    """The moment `working_time` of office hours on working days before `moment`.

    Office hours run from START_OF_OFFICE_HOURS to END_OF_OFFICE_HOURS; evenings, weekends and
    holidays do not count, make-up working days do. Something last touched at or before the
    result has been idle for at least `working_time` of working hours at `moment`.
    """
    if working_time <= timedelta(0):
        return moment
    calendar = calendar or current_calendar()
    tz = timezone.get_default_timezone()
    point = timezone.localtime(moment, tz)
    day, remaining = point.date(), working_time
    while True:
        opens = timezone.make_aware(datetime.combine(day, START_OF_OFFICE_HOURS), tz)
        if calendar.is_working_day(day) and point > opens:
            closes = timezone.make_aware(datetime.combine(day, END_OF_OFFICE_HOURS), tz)
            point = min(point, closes)
            if point - opens >= remaining:
                return point - remaining
            remaining -= point - opens
        day -= timedelta(days=1)
        point = timezone.make_aware(datetime.combine(day, END_OF_OFFICE_HOURS), tz)


def add_working_days(
    moment: datetime, working_days: int, calendar: WorkingCalendar | None = None
) -> datetime:
    """The end of office hours on the `working_days`-th working day after the moment's day."""
    calendar = calendar or current_calendar()
    return end_of_office_hours(calendar.shift(official_date(moment), working_days))


def working_days_between(
    start: datetime, end: datetime, calendar: WorkingCalendar | None = None
) -> int:
    """Working days from the day after `start` up to and including the day of `end`."""
    calendar = calendar or current_calendar()
    return calendar.count(official_date(start), official_date(end))


SUBSTITUTED_FROM = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def china_calendar_days(years: list[int]) -> list[tuple[date, str, str]]:
    """Holidays and make-up working days of mainland China as the `holidays` package knows them.

    A weekday "Day off (substituted from 01/04/2026)" means that Sunday 4 January is worked.
    """
    import holidays

    rows: dict[date, tuple[str, str]] = {}
    for day, name in holidays.China(years=years, language="en_US").items():
        rows[day] = ("holiday", name)
        substituted = SUBSTITUTED_FROM.search(name)
        if substituted:
            month, day_of_month, year = (int(x) for x in substituted.groups())
            rows[date(year, month, day_of_month)] = (
                "workday",
                f"Make-up working day for {day:%Y-%m-%d}",
            )
    return sorted((day, kind, name) for day, (kind, name) in rows.items())


def seed_china_calendar(years: list[int]) -> int:
    """Add the years' days that the calendar lacks; an administrator's corrections are kept."""
    from .models import CalendarDay

    before = CalendarDay.objects.count()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, kind=kind, name=name)
            for day, kind, name in china_calendar_days(years)
        ],
        ignore_conflicts=True,
    )
    forget_cached_calendar()
    return CalendarDay.objects.count() - before
