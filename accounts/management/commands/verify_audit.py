"""Verify the audit log's hash chains: exit 0 and "OK: …" if intact, else name the first break.

Run it daily (docs/operations.md). Every chain (the system's, each department's) is walked.
With --against-anchors, every signed daily anchor is checked too (its signature, its Merkle
root) and each chain head it holds must still be in the log with the same hash: a history
rewritten in the database with every later hash recomputed passes the walk but not this, since
the anchors were published. --expect still accepts a hash printed by an earlier run.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.anchors import check_against_anchors
from accounts.audit import verify_chain
from accounts.models import AuditEntry


class Command(BaseCommand):
    help = "Recompute every audit chain and report the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="HASH",
            help="A hash this command printed earlier; fails if it is no longer in the log.",
        )
        parser.add_argument(
            "--against-anchors",
            action="store_true",
            help="Also compare the chains with every published daily anchor.",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, expect, against_anchors, batch_size, **options):
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
        if against_anchors:
            problems, checked = check_against_anchors()
            if problems:
                raise CommandError("BROKEN against the anchors: " + "; ".join(problems))
            self.stdout.write(f"Anchors: {checked} checked, every chain head matches.")
        for chain_report in report.chains:
            self.stdout.write(f"  {chain_report}")
        self.stdout.write(str(report))
