"""Grants on applications move from guardian's generic tables into two tables of their own.

See accounts/permission_tables.py: a grant keyed by a real foreign key and nothing else takes a
fraction of the space of a generic one (content type, text object id, six indexes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accounts.permission_tables import move_generic_grants, restore_generic_grants


def move_grants(apps, schema_editor):
    move_generic_grants(
        schema_editor.connection,
        app_label="services",
        model="application",
        object_table="services_application",
    )


def restore_grants(apps, schema_editor):
    restore_generic_grants(
        schema_editor.connection,
        app_label="services",
        model="application",
        object_table="services_application",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("guardian", "0002_generic_permissions_index"),
        ("services", "0082_published_implementations_are_published"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApplicationGroupObjectPermission",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "content_object",
                        "group",
                        "permission",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "content_object",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="services.application",
                        verbose_name="object",
                    ),
                ),
                (
                    "group",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="auth.group",
                        verbose_name="group",
                    ),
                ),
                (
                    "permission",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="auth.permission",
                        verbose_name="permission",
                    ),
                ),
            ],
            options={
                "verbose_name": "group permission on an application",
                "verbose_name_plural": "group permissions on applications",
            },
        ),
        migrations.CreateModel(
            name="ApplicationUserObjectPermission",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "content_object",
                        "user",
                        "permission",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "content_object",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="services.application",
                        verbose_name="object",
                    ),
                ),
                (
                    "permission",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="auth.permission",
                        verbose_name="permission",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "permission on an application",
                "verbose_name_plural": "permissions on applications",
            },
        ),
        migrations.RunPython(move_grants, restore_grants),
    ]
