"""Review tasks lose their grant rows: who may see and decide one is derived from its department.

approvals/permissions.py now answers from the task's department and the person's department
groups, exactly what the grants said (view to department-<id>-staff; decide to
department-<id>-reviewers, or to the staff for acceptance tasks), so the rows and their two
tables go. Grants on tasks left in guardian's generic tables go too: with no table of its own
for tasks guardian would read those again. Dropping a row that restated the department is not
a change of who may do what, so nothing is audited.

Backwards, the tables come back and every task gets the grants routing used to write (the
groups too, for a department nobody has joined yet).
"""

from django.db import migrations

GRANTS_ROUTING_WROTE = """
    WITH kinds(kind) AS (VALUES ('staff'), ('reviewers'))
    INSERT INTO auth_group (name)
    SELECT DISTINCT 'department-' || task.department_id || '-' || kinds.kind
    FROM approvals_reviewtask task CROSS JOIN kinds
    ON CONFLICT (name) DO NOTHING;

    INSERT INTO approvals_reviewtaskgroupobjectpermission (group_id, permission_id,
        content_object_id)
    SELECT holder.id, permission.id, task.id
    FROM approvals_reviewtask task
    CROSS JOIN LATERAL (VALUES
        ('view_reviewtask', 'staff'),
        ('change_reviewtask', CASE WHEN task.stage_order = 0 THEN 'staff' ELSE 'reviewers' END)
    ) AS grant_(codename, kind)
    JOIN auth_group holder ON holder.name = 'department-' || task.department_id || '-' || grant_.kind
    JOIN auth_permission permission ON permission.codename = grant_.codename
    JOIN django_content_type content_type ON content_type.id = permission.content_type_id
        AND content_type.app_label = 'approvals' AND content_type.model = 'reviewtask'
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
"""


def forget_generic_task_grants(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table in ("guardian_userobjectpermission", "guardian_groupobjectpermission"):
            cursor.execute(
                f"""
                DELETE FROM {table} WHERE content_type_id IN (
                    SELECT id FROM django_content_type
                    WHERE app_label = 'approvals' AND model = 'reviewtask')
                """  # noqa: S608 - guardian's two table names, not input
            )


def grant_tasks_as_routing_did(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(GRANTS_ROUTING_WROTE)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0081_review_task_page_version"),
        ("guardian", "0002_generic_permissions_index"),
    ]

    operations = [
        migrations.RunPython(forget_generic_task_grants, grant_tasks_as_routing_did),
        migrations.DeleteModel(name="ReviewTaskGroupObjectPermission"),
        migrations.DeleteModel(name="ReviewTaskUserObjectPermission"),
    ]
