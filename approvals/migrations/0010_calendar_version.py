# The calendar's version (approvals/calendar.py, CalendarVersion): one row whose random token a
# trigger replaces in the same transaction as any change to the calendar's days. A statement
# trigger, so that every way of changing them counts, the ORM's bulk inserts and updates and
# an UPDATE typed in psql as much as the admin's save. A token, not a counter: a counter would
# come back to the same number after a rolled-back edit, under which a process may already
# have read the edit's days.

from django.db import migrations, models

VERSION_TRIGGER = r"""
CREATE FUNCTION approvals_calendar_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO approvals_calendarversion (id, token) VALUES (1, gen_random_uuid())
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$;

CREATE TRIGGER approvals_calendar_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON approvals_calendarday
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_calendar_changed();

INSERT INTO approvals_calendarversion (id, token) VALUES (1, gen_random_uuid());
"""

DROP_VERSION_TRIGGER = r"""
DROP TRIGGER approvals_calendar_changed ON approvals_calendarday;
DROP FUNCTION approvals_calendar_changed();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0009_common_opinions'),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('token', models.UUIDField(editable=False, verbose_name='version')),
            ],
            options={
                'verbose_name': 'calendar version',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='calendar_version_single_row')],
            },
        ),
        migrations.RunSQL(VERSION_TRIGGER, reverse_sql=DROP_VERSION_TRIGGER),
    ]
