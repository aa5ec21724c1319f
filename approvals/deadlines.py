"""Every deadline of the virtual government is computed here, on the working-day calendar."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from .calendar import add_working_days, current_calendar, official_date, working_days_between


def deadline_after(start: datetime, working_days: int) -> datetime:
    return add_working_days(start, working_days)


def reminder_time(due_at: datetime, reminder_days: int) -> datetime:
    """The start of the day `reminder_days` working days before the deadline's day."""
    day = current_calendar().shift(official_date(due_at), -reminder_days)
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def resumed_deadline(due_at: datetime, stopped_at: datetime, resumed_at: datetime) -> datetime:
    """A clock stop does not count: the deadline moves by the working days it stood still."""
    return add_working_days(due_at, stopped_working_days(stopped_at, resumed_at))


def remaining_working_days(due_at: datetime, now: datetime | None = None) -> int:
    """Working days left before the deadline; zero on its last day, negative once past it."""
    now = now or timezone.now()
    if due_at < now and official_date(due_at) == official_date(now):
        return -1
    return working_days_between(now, due_at)


def deadline_colour(due_at: datetime, remind_at: datetime | None = None, now=None) -> str:
    """Green, amber (reminder period) or red (overdue), as the staff queue shows a deadline."""
    now = now or timezone.now()
    if due_at < now:
        return "red"
    if (remind_at or due_at - timedelta(days=2)) <= now:
        return "amber"
    return "green"


def extended_deadline(due_at: datetime, working_days: int) -> datetime:
    """Administrative License Law Art. 42: an approved extension adds working days."""
    return add_working_days(due_at, working_days)


def stopped_working_days(started_at: datetime, ended_at: datetime) -> int:
    """The working days a clock stop stood still: what a resumed deadline moves by."""
    return max(working_days_between(started_at, ended_at), 0)
