"""Instrument numbers: per issuing department and year, without gaps or duplicates.

The next number is taken from a counter row locked with SELECT … FOR UPDATE inside the
transaction that stores the instrument: if that transaction fails, the number is not used,
and two workers issuing for the same department wait for each other instead of colliding.
"""

from django.db import transaction

from accounts.models import Department

from .models import IssuingOffice, NumberCounter


def number_prefix(department: Department) -> str:
    office = IssuingOffice.objects.filter(department=department).first()
    return office.number_prefix if office else department.name


def format_number(prefix: str, year: int, serial: int) -> str:
    """合市监许〔2026〕第000123号: the form of Chinese official document numbers (GB/T 9704)."""
    return f"{prefix}〔{year}〕第{serial:06d}号"


def lock_counter(department: Department, year: int) -> NumberCounter:
    """The department's counter of the year, locked until the calling transaction ends."""
    assert transaction.get_connection().in_atomic_block, "lock the counter inside a transaction"
    # Created without a race: a concurrent insert of the same row is ignored, then both lock it.
    NumberCounter.objects.bulk_create(
        [NumberCounter(department=department, year=year)], ignore_conflicts=True
    )
    return NumberCounter.objects.select_for_update().get(department=department, year=year)
