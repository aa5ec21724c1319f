"""The working-day calendar: every administrative time limit is counted on it.

Administrative License Law Art. 82: limits are in working days. The day a period starts is not
counted (Civil Code Art. 201), so "5 working days from receipt" ends on the fifth working day
after the day of receipt, at the end of office hours. Weekends are rest days unless the
calendar makes them make-up working days (调休); weekdays are working days unless it makes
them holidays. Asia/Shanghai has no daylight saving time, so a local date is unambiguous.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.utils import timezone

END_OF_OFFICE_HOURS = time(17, 30)
# Calendar edits reach every process within this many seconds (the calendar changes yearly).
CACHE_SECONDS = 60


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


_cached: tuple[float, WorkingCalendar] | None = None


def current_calendar() -> WorkingCalendar:
    global _cached
    if _cached is None or monotonic() - _cached[0] > CACHE_SECONDS:
        from .models import CalendarDay

        rows = list(CalendarDay.objects.values_list("date", "kind"))
        _cached = (
            monotonic(),
            WorkingCalendar(
                holidays=frozenset(d for d, kind in rows if kind == CalendarDay.Kind.HOLIDAY),
                makeup_workdays=frozenset(
                    d for d, kind in rows if kind == CalendarDay.Kind.MAKEUP_WORKDAY
                ),
            ),
        )
    return _cached[1]


def forget_cached_calendar(**kwargs) -> None:
    global _cached
    _cached = None


def official_date(moment: datetime) -> date:
    """The moment's date in the portal's time zone (settings.TIME_ZONE), whoever is asking."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def end_of_office_hours(day: date) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, END_OF_OFFICE_HOURS), timezone.get_default_timezone()
    )


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
