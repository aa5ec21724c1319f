"""Close the clock stops that closed tasks left open.

Until a task's every change went through approvals.task_states.change_task_state, a withdrawal
or a rejection that ended a case closed its other tasks without ending their clock stops; the
status page and the queue hid them. Ending them here lets the pages show what the rows say.
The working days such a stop stood still are not known after the fact and stay empty.
"""

from django.db import migrations

CLOSE = """
UPDATE approvals_clockstop AS s SET ended_at = now()
  FROM approvals_reviewtask AS t
 WHERE s.task_id = t.id AND s.ended_at IS NULL
   AND t.state NOT IN ('pending', 'supplement_requested');
UPDATE approvals_reviewtask SET clock_stopped_at = NULL
 WHERE clock_stopped_at IS NOT NULL AND state NOT IN ('pending', 'supplement_requested');
UPDATE services_application AS a SET clock_stopped_at = NULL
 WHERE a.clock_stopped_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM approvals_reviewtask AS t
                    WHERE t.application_id = a.id AND t.clock_stopped_at IS NOT NULL);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0011_deadlines_counted_on_calendar_version"),
        ("services", "0009_material_satisfied_by_e_certificate"),
    ]

    operations = [migrations.RunSQL(CLOSE, reverse_sql=migrations.RunSQL.noop)]
