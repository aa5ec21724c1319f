"""Write the catalogue to standard output: `manage.py export_catalogue > catalogue.json`."""

import json

from django.core.management.base import BaseCommand, CommandError

from services.catalogue_export import CSV_TABLES, catalogue_table, export_catalogue
from services.catalogue_format import catalogue_schema
from services.regions import region_by_code


class Command(BaseCommand):
    help = (
        "Write the catalogue (regions, themes, departments, standard items, implementations with "
        "their stages, materials and fields) as JSON of the exchange format (docs/catalogue.md), "
        "or one of its flat parts as CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--region",
            default="",
            help="GB/T 2260 code: only what this region and the regions under it implement.",
        )
        parser.add_argument(
            "--table",
            choices=CSV_TABLES,
            default="items",
            help="With --format csv: which flat part to write.",
        )
        parser.add_argument(
            "--schema", action="store_true", help="Write the format's JSON Schema instead."
        )

    def handle(self, *args, format: str, region: str, table: str, schema: bool, **options):
        if schema:
            self.stdout.write(json.dumps(catalogue_schema(), indent=1))
            return
        scope = None
        if region:
            scope = region_by_code(region)
            if scope is None:
                raise CommandError(f"No region has the code {region!r}.")
        catalogue = export_catalogue(scope)
        if format == "csv":
            self.stdout.write(catalogue_table(catalogue, table).export("csv"), ending="")
        else:
            self.stdout.write(json.dumps(catalogue, ensure_ascii=False, indent=1))
