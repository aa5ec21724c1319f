"""Read a catalogue file: a dry run that prints what would change, or with --commit, the import."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from services.catalogue_import import (
    ImportReport,
    Status,
    import_catalogue,
    max_bytes,
    status_label,
    too_large_error,
)


def report_lines(report: ImportReport, *, verbose: bool = False) -> list[str]:
    """The report as lines of text: every created or changed entry with what changed, then the
    errors, then the counts (the unchanged ones are listed with verbose only)."""
    lines = []
    for change in report.changes:
        if change.status == Status.UNCHANGED and not verbose:
            continue
        lines.append(f"{status_label(change.status)}\t{change.section}\t{change.code}")
        lines += [f"\t\t{difference}" for difference in change.differences]
    for error in report.errors:
        lines.append(pgettext("catalogue file", "error") + f"\t{error.section}\t{error}")
    counts = report.counts()
    lines.append(
        _("%(created)d created, %(changed)d changed, %(unchanged)d unchanged, %(errors)d errors.")
        % {**counts, "errors": len(report.errors)}
    )
    return lines


class Command(BaseCommand):
    help = (
        "Import a catalogue file of the exchange format (docs/catalogue.md). A dry run unless "
        "--commit: prints each entry created or changed, and every error. Nothing is written "
        "unless the whole file is free of errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The catalogue file (JSON).")
        parser.add_argument("--commit", action="store_true", help="Write the changes.")
        parser.add_argument(
            "--language", default="", help="zh-hans or en: the language of the report."
        )
        parser.add_argument(
            "--all", action="store_true", dest="list_all", help="List the unchanged entries too."
        )

    def handle(self, *args, file: str, commit: bool, language: str, list_all: bool, **options):
        with translation.override(language or translation.get_language()):
            path = Path(file)
            if not path.is_file():
                raise CommandError(_("There is no file %(file)s.") % {"file": file})
            if path.stat().st_size > max_bytes():
                raise CommandError(str(too_large_error(path.stat().st_size)))
            report = import_catalogue(path.read_bytes(), commit=commit)
            for line in report_lines(report, verbose=list_all):
                self.stdout.write(line)
            if not report.ok:
                raise CommandError(_("Nothing was imported: the file has errors."))
            if commit:
                self.stdout.write(_("The catalogue was imported."))
            else:
                self.stdout.write(_("Dry run: nothing was written. Run again with --commit."))
