from django.core.management.base import BaseCommand
from django.utils import timezone

from approvals.calendar import seed_china_calendar


class Command(BaseCommand):
    help = "Add China's public holidays and make-up working days for the given years (default: this and next)."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int)

    def handle(self, *args, years, **options):
        this_year = timezone.localdate().year
        years = years or [this_year, this_year + 1]
        added = seed_china_calendar(years)
        self.stdout.write(f"{added} calendar days added for {', '.join(map(str, years))}.")
