"""One template per kind of instrument, with the default wording, for administrators to edit."""

from django.db import migrations


def seed(apps, schema_editor):
    from instruments.wording import DEFAULT_WORDING

    InstrumentTemplate = apps.get_model("instruments", "InstrumentTemplate")
    for kind, (body, body_en) in DEFAULT_WORDING.items():
        InstrumentTemplate.objects.get_or_create(
            kind=str(kind), item=None, defaults={"body": body, "body_en": body_en}
        )


def unseed(apps, schema_editor):
    apps.get_model("instruments", "InstrumentTemplate").objects.filter(item=None).delete()


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_written_instruments")]
    operations = [migrations.RunPython(seed, unseed)]
