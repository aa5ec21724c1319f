"""Backfill: issue the instruments of past events that have none (cases decided before the
instruments existed, or older than the reconciler's window after a long outage)."""

from datetime import datetime, time

from django.core.management.base import BaseCommand
from django.utils import timezone

from instruments.content import EVENT_INSTRUMENTS
from instruments.generation import issue_instrument
from services.models import ApplicationEvent


class Command(BaseCommand):
    help = "Issue the written instrument of every legal event that has none."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", type=lambda text: datetime.strptime(text, "%Y-%m-%d").date(),
            help="Only events on or after this date (YYYY-MM-DD); default: all.",
        )  # fmt: skip

    def handle(self, *args, since=None, **options):
        events = ApplicationEvent.objects.filter(
            kind__in=list(EVENT_INSTRUMENTS), instruments__isnull=True
        )
        if since:
            events = events.filter(
                created_at__gte=timezone.make_aware(datetime.combine(since, time.min))
            )
        issued = 0
        for event_id in events.order_by("created_at").values_list("pk", flat=True).iterator():
            if issue_instrument(event_id) is not None:
                issued += 1
        self.stdout.write(f"Issued {issued} instruments.")
