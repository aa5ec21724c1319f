"""A version on each review task that PostgreSQL raises itself, with every change to the task,
its clock stops and its extension; and the application's version raised with its tasks,
clock stops, extensions, certificate and written instruments (services migration 0087 says
why triggers). The queue keys a task's row on the first, the status page on the second.

Chained: a clock stop raises its task, whose update raises the application. The writers lock
the application before the task (approvals/locking.py), so the chain takes its locks in the
order they already hold them.
"""

import importlib

from django.db import migrations, models

# The helpers of services 0087, imported by path: a migration module's name starts with a digit.
_page_version = importlib.import_module("services.migrations.0087_application_page_version")
touch_triggers, bump_trigger = _page_version.touch_triggers, _page_version.bump_trigger

CLAIMANT_RENAMED = """
CREATE OR REPLACE FUNCTION page_version_claimant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    renamed bigint[];
BEGIN
    -- The queue's row names the claimant; a login (last_login) changes no name.
    SELECT array_agg(n.id) INTO renamed FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (to_jsonb(n) - 'last_login' - 'password' - 'session_salt')
              IS DISTINCT FROM (to_jsonb(o) - 'last_login' - 'password' - 'session_salt');
    IF renamed IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE approvals_reviewtask SET page_version = page_version WHERE id IN (
        SELECT id FROM approvals_reviewtask WHERE claimed_by_id = ANY (renamed)
        ORDER BY id FOR UPDATE);
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_touches_approvals_reviewtask AFTER UPDATE ON accounts_user
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_version_claimant_changed();
"""

TRIGGERS = [
    (
        CLAIMANT_RENAMED,
        "DROP TRIGGER IF EXISTS accounts_user_touches_approvals_reviewtask ON accounts_user;"
        "DROP FUNCTION IF EXISTS page_version_claimant_changed();",
    ),
    bump_trigger("approvals_reviewtask"),
    touch_triggers("approvals_reviewtask", "services_application", "application_id"),
    touch_triggers("approvals_clockstop", "approvals_reviewtask", "task_id"),
    touch_triggers("approvals_extension", "approvals_reviewtask", "task_id"),
    touch_triggers("approvals_certificate", "services_application", "application_id"),
    touch_triggers("instruments_instrument", "services_application", "application_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0080_review_task_permission_tables"),
        ("services", "0087_application_page_version"),
        ("instruments", "0002_default_wording"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewtask",
            name="page_version",
            field=models.BigIntegerField(
                db_default=0, default=0, editable=False, verbose_name="page version"
            ),
        ),
        *(migrations.RunSQL(forward, backward) for forward, backward in TRIGGERS),
    ]
