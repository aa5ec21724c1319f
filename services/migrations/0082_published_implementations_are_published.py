"""Implementations published before the review workflow count as published. They have no
published version yet: their rows serve applicants until their first edit in the admin, which
freezes them as it (services/catalogue_publishing.py, keep_serving_the_published). Freezing
here would need the catalogue's code, which a migration's historical models cannot run."""

from django.db import migrations


def published_state(apps, schema_editor):
    ItemImplementation = apps.get_model("services", "ItemImplementation")
    ItemImplementation.objects.filter(is_published=True).update(review_state="published")


def draft_state(apps, schema_editor):
    ItemImplementation = apps.get_model("services", "ItemImplementation")
    ItemImplementation.objects.update(review_state="draft")


class Migration(migrations.Migration):
    dependencies = [("services", "0081_catalogue_review_and_history")]

    operations = [migrations.RunPython(published_state, draft_state)]
