from django.core.management.base import BaseCommand, CommandError

from accounts.key_rotation import DEFAULT_BATCH_SIZE, reindex_blind_indexes


class Command(BaseCommand):
    help = (
        "Recompute every blind index (e.g. User.resident_id_index) with the current "
        "BLIND_INDEX_KEY. Run it, with the portal stopped, after changing that key. "
        "Safe to run again. With --check, change nothing and fail if an index is stale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only count; exit with an error if an index was made with another key.",
        )

    def handle(self, *args, batch_size, check, **options):
        reports = reindex_blind_indexes(batch_size=batch_size, check_only=check)
        verb = "to re-index" if check else "re-indexed"
        for report in reports:
            self.stdout.write(
                f"{report.label}: {report.reindexed} {verb}, {report.current} current"
            )
        stale = sum(r.reindexed for r in reports)
        if check and stale:
            raise CommandError(f"{stale} blind index values were made with another key.")
        self.stdout.write(self.style.SUCCESS(f"{0 if check else stale} values re-indexed."))
