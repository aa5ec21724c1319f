"""Verify an inclusion proof of an audit entry: exit 0 and "VALID: …" if the entry is unchanged
and part of a signed daily anchor this portal published, else say what does not hold."""

import json

from django.core.management.base import BaseCommand, CommandError

from accounts.anchors import verify_proof


class Command(BaseCommand):
    help = "Check an audit entry's inclusion proof (the JSON downloaded with it)."

    def add_arguments(self, parser):
        parser.add_argument("proof", help="Path of the proof's JSON file.")

    def handle(self, *args, proof, **options):
        try:
            with open(proof, encoding="utf-8") as file:
                document = json.load(file)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"Cannot read the proof: {error}") from None
        result = verify_proof(document if isinstance(document, dict) else {})
        if not result.is_valid:
            raise CommandError(f"NOT VALID ({result.problem}): entry #{result.entry_id}")
        self.stdout.write(
            f"VALID: entry #{result.entry_id} ({result.action}) of chain {result.chain} is in "
            f"the signed anchor of {result.day}"
        )
