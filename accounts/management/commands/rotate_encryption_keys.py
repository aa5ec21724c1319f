from django.core.management.base import BaseCommand, CommandError

from accounts.key_rotation import DEFAULT_BATCH_SIZE, rotate_encrypted_values


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal-data column with the first key of "
        "FIELD_ENCRYPTION_KEYS, so that the keys after it can be removed. Safe to run again. "
        "With --check, change nothing and fail if any value still needs an older key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only count; exit with an error if a value is not under the first key.",
        )

    def handle(self, *args, batch_size, check, **options):
        reports = rotate_encrypted_values(batch_size=batch_size, check_only=check)
        verb = "to re-encrypt" if check else "re-encrypted"
        for report in reports:
            line = (
                f"{report.label}: {report.rotated} {verb}, "
                f"{report.current} already under the first key"
            )
            if report.undecryptable:
                line += f", {len(report.undecryptable)} that no key opens"
            self.stdout.write(line)

        undecryptable = [(r.label, pk) for r in reports for pk in r.undecryptable]
        if undecryptable:
            shown = ", ".join(f"{label} of pk {pk}" for label, pk in undecryptable[:20])
            raise CommandError(
                f"{len(undecryptable)} values cannot be decrypted with any key in "
                f"FIELD_ENCRYPTION_KEYS ({shown}). Do not remove keys until this is resolved."
            )
        pending = sum(r.rotated for r in reports)
        if check and pending:
            raise CommandError(
                f"{pending} values still need an older key: run rotate_encryption_keys "
                "before removing it."
            )
        if check:
            self.stdout.write(
                self.style.SUCCESS("Every value is under the first key; the others can go.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{pending} values re-encrypted."))
