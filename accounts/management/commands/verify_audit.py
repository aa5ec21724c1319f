"""Verify the audit log's hash chain: exit 0 and "OK: …" if intact, else name the first break.

Run it daily (docs/operations.md) and keep its last line somewhere the database's
administrators cannot write: passing yesterday's last hash back with --expect proves that
the log was not cut short or rewritten from some point on since then.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import verify_chain
from accounts.models import AuditEntry


class Command(BaseCommand):
    help = "Recompute the audit log's SHA-256 chain and report the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="HASH",
            help="A hash this command printed earlier; fails if it is no longer in the chain.",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, expect, batch_size, **options):
        report = verify_chain(batch_size=batch_size)
        if not report.is_intact:
            raise CommandError(str(report))
        missing = set(expect) - set(
            AuditEntry.objects.filter(hash__in=expect).values_list("hash", flat=True)
        )
        if missing:
            raise CommandError(
                f"BROKEN: {len(missing)} hash(es) seen earlier are no longer in the log "
                f"({', '.join(sorted(missing))}): entries were removed from its end, or the "
                "chain was rewritten and recomputed after them."
            )
        self.stdout.write(str(report))
