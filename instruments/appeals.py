"""The periods in which an applicant may challenge a refusal, as the refusal must state them.

- Administrative reconsideration: within 60 days of the day the applicant learns of the decision
  (Administrative Reconsideration Law, 2023, Art. 20).
- Administrative lawsuit: within 6 months of that day (Administrative Litigation Law Art. 46).

Periods run from the day after receipt (Civil Code Art. 201). A period in months ends on the
day of the last month that corresponds to the day of receipt, or on that month's last day when
it has no such day (Art. 202: 31 August + 6 months = 28 or 29 February). A period whose last
day is a public holiday or a rest day ends on the next working day instead (Art. 203;
Administrative Litigation Law Art. 51), counted on the portal's working-day calendar, so a
make-up working day (调休) counts as a working day.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta

from approvals.calendar import WorkingCalendar, current_calendar

RECONSIDERATION_DAYS = 60
LAWSUIT_MONTHS = 6


@dataclass(frozen=True)
class AppealPeriods:
    received_on: date
    reconsideration_until: date
    lawsuit_until: date


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later, or the last day of that month if it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = month_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def next_working_day_from(day: date, calendar: WorkingCalendar) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def appeal_periods(received_on: date, calendar: WorkingCalendar | None = None) -> AppealPeriods:
    calendar = calendar or current_calendar()
    return AppealPeriods(
        received_on=received_on,
        reconsideration_until=next_working_day_from(
            received_on + timedelta(days=RECONSIDERATION_DAYS), calendar
        ),
        lawsuit_until=next_working_day_from(add_months(received_on, LAWSUIT_MONTHS), calendar),
    )
