"""Seed the working-day calendar with China's holidays and make-up working days.

Covers 2026, the portal's first year, to the year after the migration; beat's daily
seed_calendar task keeps it a year ahead afterwards. Reversing removes nothing an
administrator may have edited since: it is a no-op.
"""

from django.db import migrations
from django.utils import timezone

FIRST_YEAR = 2026


def seed(apps, schema_editor):
    from approvals.calendar import china_calendar_days

    CalendarDay = apps.get_model("approvals", "CalendarDay")
    # From the portal's first year, so every database (tests included) has the same past years.
    years = list(range(FIRST_YEAR, timezone.localdate().year + 2))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, kind=kind, name=name) for day, kind, name in china_calendar_days(years)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_deadlines_policies_and_clock_stops")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
