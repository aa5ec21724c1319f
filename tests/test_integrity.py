"""Integrity the database itself guarantees, and the attachment store kept free of orphans."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from services.cleanup import delete_orphan_attachment_files, orphan_attachment_files
from services.models import ApplicationEvent, ServiceItemVersion
from services.tasks import delete_orphan_attachment_files as cleanup_task
from tests.factories import ApplicationFactory

PORTAL_APPS = ["accounts", "services", "approvals", "instruments", "disclosure"]


def choice_columns():
    for app in PORTAL_APPS:
        for model in apps.get_app_config(app).get_models():
            if hasattr(model, "history_id"):
                # django-simple-history's record of earlier rows: a copy of what the live row's
                # constraint already checked when it was written.
                continue
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def check_constraint_of(model, field) -> models.CheckConstraint | None:
    """The constraint whose condition is exactly `field IN (...)`, if the model declares one."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            children = constraint.condition.children
            if len(children) == 1 and children[0][0] == f"{field.name}__in":
                return constraint
    return None


def values_allowed_by_the_database(model, constraint_name: str) -> list[str]:
    """The quoted values of the constraint as PostgreSQL holds it (… = ANY (ARRAY['a', …]))."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conname = %s AND conrelid = %s::regclass",
            [constraint_name, model._meta.db_table],
        )
        (definition,) = cursor.fetchone()
    return [value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", definition)]


@pytest.mark.parametrize(
    "model, field",
    list(choice_columns()),
    ids=lambda value: getattr(value, "__name__", None) or getattr(value, "name", ""),
)
def test_every_state_column_allows_exactly_its_choices_in_the_database(db, model, field):
    constraint = check_constraint_of(model, field)
    # A column that may be left blank ("not rated yet") allows the empty string besides.
    choices = [value for value, _label in field.flatchoices]
    choices += [""] if field.blank and not field.null and "" not in choices else []

    assert constraint is not None, f"{model.__name__}.{field.name} has no check constraint"
    allowed = constraint.condition.children[0][1]
    assert sorted(allowed) == sorted(choices)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [constraint.name, model._meta.db_table],
        )
        assert cursor.fetchone(), f"{constraint.name} is not in the database: migrate"
    # The models build their constraints from the choices, so what can drift is the database:
    # a choice added without its migration.
    assert sorted(values_allowed_by_the_database(model, constraint.name)) == sorted(choices), (
        f"{constraint.name} in the database differs from the choices: makemigrations"
    )


@pytest.mark.django_db
def test_the_migrations_describe_the_models_as_they_are():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_database_refuses_a_timeline_event_of_an_unknown_kind():
    application = ApplicationFactory(submitted=True)
    event = application.events.first()

    with pytest.raises(IntegrityError, match="application_event_kind_valid"):
        with transaction.atomic():
            ApplicationEvent.objects.filter(pk=event.pk).update(kind="teleported")


@pytest.mark.django_db
def test_a_catalogue_snapshot_with_applications_cannot_be_deleted():
    application = ApplicationFactory(submitted=True)
    version = application.item_version

    with pytest.raises(ProtectedError):
        version.delete()
    # Below the ORM too: the foreign key is checked by PostgreSQL at commit.
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "DELETE FROM services_serviceitemversion WHERE id = %s", [version.pk]
                )
    assert ServiceItemVersion.objects.filter(pk=version.pk).exists()


# --- orphan files ----------------------------------------------------------------------------


def stray_file(media: Path, relative: str) -> Path:
    path = media / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 stray")
    return path


@pytest.mark.django_db
def test_cleanup_deletes_only_old_files_no_row_refers_to(settings):
    submitted = ApplicationFactory(submitted=True)
    media = Path(settings.MEDIA_ROOT)
    kept = [Path(a.file.path) for a in submitted.attachments.all()]
    orphan = stray_file(media, f"attachments/{submitted.pk}/ab/rolled-back.pdf")
    of_vanished_case = stray_file(media, "attachments/999999/cd/never-committed.pdf")
    later = timezone.now() + settings.ORPHAN_FILE_GRACE + timedelta(minutes=1)

    assert delete_orphan_attachment_files(later) == 2

    assert not orphan.exists() and not of_vanished_case.exists()
    assert kept and all(path.exists() for path in kept)
    assert delete_orphan_attachment_files(later) == 0  # running again finds nothing


@pytest.mark.django_db
def test_cleanup_leaves_young_files_to_their_uploads_in_flight(settings):
    submitted = ApplicationFactory(submitted=True)
    young = stray_file(Path(settings.MEDIA_ROOT), f"attachments/{submitted.pk}/ef/uploading.pdf")

    assert orphan_attachment_files() == []
    assert cleanup_task() == 0
    assert young.exists()


@pytest.mark.django_db
def test_cleanup_never_touches_a_draft_in_progress(settings):
    draft = ApplicationFactory(complete=True)
    media = Path(settings.MEDIA_ROOT)
    unreferenced = stray_file(media, f"attachments/{draft.pk}/aa/interrupted-save.pdf")
    old = (timezone.now() - timedelta(days=30)).timestamp()
    os.utime(unreferenced, (old, old))

    assert delete_orphan_attachment_files() == 0
    assert unreferenced.exists()
    assert all(Path(a.file.path).exists() for a in draft.attachments.all())
