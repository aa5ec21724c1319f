"""The decision register records the region of the implementation that decided each case, so
the register, its feed and the API filter by region (issue 16). Existing rows take the region
of their application's implementation (services 0080 put every earlier case in one)."""

from django.db import migrations, models

FILL_REGION_CODES = """
UPDATE disclosure_decisionrecord d
   SET region_code = r.code
  FROM services_application a
  JOIN services_itemimplementation i ON i.id = a.implementation_id
  JOIN accounts_region r ON r.id = i.region_id
 WHERE a.id = d.application_id AND d.region_code = ''
"""


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0030_published_letters"),
        ("services", "0080_implementations"),
    ]

    operations = [
        migrations.AddField(
            model_name="decisionrecord",
            name="region_code",
            field=models.CharField(blank=True, max_length=6, verbose_name="region code"),
        ),
        migrations.RunSQL(FILL_REGION_CODES, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="decisionrecord",
            index=models.Index(
                fields=["region_code", "-decided_at"],
                name="decision_region_decided",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ),
    ]
