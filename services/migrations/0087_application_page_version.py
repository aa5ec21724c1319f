"""A version on each application that PostgreSQL raises itself, in the same transaction as any
change to what the applicant's status page shows (approvals/status_page.py keys the cached page
on it).

Triggers rather than a Python function every writer calls: the rows the page reads are written
by filing, routing, decisions, clock stops, the sweeper, recounts (bulk UPDATEs that send no
signal), the admin and management commands; a trigger fires for all of them, and for the next
writer nobody has written yet. The writers of the virtual government already lock the
application before its tasks (approvals/locking.py), so raising its version takes no lock they
do not hold. Statement-level triggers with transition tables raise each touched application
once per statement, so a recount or the benchmark's seed does one UPDATE, not one per row.
"""

from django.db import migrations, models

BUMP_ON_UPDATE = """
CREATE OR REPLACE FUNCTION page_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Always one more than the row held: a full save() of a stale copy cannot lower it.
    NEW.page_version := OLD.page_version + 1;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION page_version_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target text := TG_ARGV[0];  -- the table whose rows show the changed ones
    link text := TG_ARGV[1];    -- the column of the changed rows naming them
    changed text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := format('SELECT %I FROM new_rows', link);
    ELSIF TG_OP = 'DELETE' THEN
        changed := format('SELECT %I FROM old_rows', link);
    ELSE
        changed := format('SELECT %I FROM new_rows UNION SELECT %I FROM old_rows', link, link);
    END IF;
    -- Locked in id order, so that two statements touching the same rows never deadlock.
    EXECUTE format(
        'UPDATE %I SET page_version = page_version WHERE id IN '
        '(SELECT id FROM %I WHERE id IN (%s) ORDER BY id FOR UPDATE)',
        target, target, changed
    );
    RETURN NULL;
END $$;

"""

PEOPLE = """
CREATE OR REPLACE FUNCTION page_version_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    renamed bigint[];
BEGIN
    -- The names and identifiers the status page prints (applicant, filer, licensed party, the
    -- substitute lines of the timeline); a login (last_login) changes none of them.
    SELECT array_agg(n.id) INTO renamed FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (to_jsonb(n) - 'last_login' - 'password' - 'session_salt')
              IS DISTINCT FROM (to_jsonb(o) - 'last_login' - 'password' - 'session_salt');
    IF renamed IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE services_application SET page_version = page_version WHERE id IN (
        SELECT id FROM services_application WHERE id IN (
            SELECT id FROM services_application WHERE applicant_id = ANY (renamed)
            UNION SELECT id FROM services_application WHERE filed_by_id = ANY (renamed)
            UNION SELECT id FROM services_application WHERE subject_account_id = ANY (renamed)
            UNION SELECT application_id FROM services_applicationevent
                  WHERE actor_id = ANY (renamed)
            UNION SELECT application_id FROM services_applicationevent
                  WHERE acting_for_id = ANY (renamed)
        ) ORDER BY id FOR UPDATE);
    RETURN NULL;
END $$;
"""

# (table, column naming the application)
SHOWN_ON_THE_STATUS_PAGE = [
    ("services_applicationevent", "application_id"),
    ("services_attachment", "application_id"),
    ("services_rating", "application_id"),
    ("services_letter", "application_id"),
]


def touch_triggers(table: str, target: str, link: str) -> tuple[str, str]:
    """Three statement triggers (insert, update, delete) raising `target` through `link`."""
    name = f"{table}_touches_{target}"
    forward = "\n".join(
        f"""CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table}
        REFERENCING {tables} FOR EACH STATEMENT
        EXECUTE FUNCTION page_version_touch('{target}', '{link}');"""
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )
    backward = "\n".join(
        f"DROP TRIGGER IF EXISTS {name}_{event} ON {table};"
        for event in ("insert", "update", "delete")
    )
    return forward, backward


def bump_trigger(table: str) -> tuple[str, str]:
    return (
        f"CREATE TRIGGER {table}_page_version BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION page_version_bump();",
        f"DROP TRIGGER IF EXISTS {table}_page_version ON {table};",
    )


def operations() -> list:
    ops = [
        migrations.RunSQL(
            BUMP_ON_UPDATE + PEOPLE,
            "DROP FUNCTION IF EXISTS page_version_people_changed();"
                        "DROP FUNCTION IF EXISTS page_version_touch();"
            "DROP FUNCTION IF EXISTS page_version_bump();",
        ),
        migrations.RunSQL(*bump_trigger("services_application")),
    ]
    for table, link in SHOWN_ON_THE_STATUS_PAGE:
        ops.append(migrations.RunSQL(*touch_triggers(table, "services_application", link)))
    ops.append(
        migrations.RunSQL(
            "CREATE TRIGGER accounts_user_touches_services_application AFTER UPDATE ON accounts_user "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION page_version_people_changed();",
            "DROP TRIGGER IF EXISTS accounts_user_touches_services_application ON accounts_user;",
        )
    )
    return ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0050_enterprise_members"),
        ("services", "0086_catalogue_state_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="page_version",
            field=models.BigIntegerField(
                db_default=0, default=0, editable=False, verbose_name="page version"
            ),
        ),
        *operations(),
    ]
