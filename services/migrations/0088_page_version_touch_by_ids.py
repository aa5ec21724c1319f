"""page_version_touch reads the changed ids into an array first, then locks and raises the rows
by primary key.

The transition tables (new_rows, old_rows) have no statistics, and the earlier statement
joined them with the target table inside `id IN (…)`: after other work had left the target's
statistics small, PostgreSQL 16 planned that join as a nested loop over both, and one bulk
INSERT of 10,000 review tasks ran for minutes (tests/test_recount.py, in a whole `make test`).
`id = ANY ($1)` with the ids in hand is an index lookup whatever the statistics say.
"""

import importlib

from django.db import migrations

_before = importlib.import_module("services.migrations.0087_application_page_version")

TOUCH_BY_IDS = """
CREATE OR REPLACE FUNCTION page_version_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target text := TG_ARGV[0];  -- the table whose rows show the changed ones
    link text := TG_ARGV[1];    -- the column of the changed rows naming them
    changed text;
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := format('SELECT %I FROM new_rows', link);
    ELSIF TG_OP = 'DELETE' THEN
        changed := format('SELECT %I FROM old_rows', link);
    ELSE
        changed := format('SELECT %I FROM new_rows UNION SELECT %I FROM old_rows', link, link);
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT changed.id) FROM (%s) AS changed(id)', changed)
        INTO ids;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Locked in id order, so that two statements touching the same rows never deadlock.
    EXECUTE format(
        'UPDATE %I SET page_version = page_version WHERE id IN '
        '(SELECT id FROM %I WHERE id = ANY ($1) ORDER BY id FOR UPDATE)',
        target, target
    ) USING ids;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("services", "0087_application_page_version")]

    operations = [migrations.RunSQL(TOUCH_BY_IDS, _before.BUMP_ON_UPDATE)]
