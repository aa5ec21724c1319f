"""Every deadline of the virtual government is computed here, and only here.

Deadlines count calendar days for now; the working-day calendar replaces the arithmetic in
this one module without touching its callers.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

# A deadline falls at the end of office hours of its last day.
END_OF_OFFICE_HOURS = time(17, 30)
# Tasks this close to their deadline are shown amber in the staff queue.
AMBER_WITHIN = timedelta(days=2)


def deadline_after(start: datetime, days: int) -> datetime:
    last_day = timezone.localtime(start).date() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(last_day, END_OF_OFFICE_HOURS))


def resumed_deadline(due_at: datetime, stopped_at: datetime, resumed_at: datetime) -> datetime:
    """A clock stop does not count: the deadline moves by the time the clock stood still."""
    return due_at + max(resumed_at - stopped_at, timedelta(0))


def remaining_days(due_at: datetime, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return (timezone.localtime(due_at).date() - timezone.localtime(now).date()).days


def deadline_colour(due_at: datetime, now: datetime | None = None) -> str:
    """Green, amber or red, as the staff queue shows a deadline."""
    now = now or timezone.now()
    if due_at < now:
        return "red"
    if due_at - now <= AMBER_WITHIN:
        return "amber"
    return "green"
