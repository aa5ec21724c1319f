"""Grants on applications and review tasks live in their own tables (issue 20 §5).

accounts/permission_tables.py says why: guardian's generic rows cost 1,800 bytes a case. These
tests prove that filing and routing write the direct tables only, one INSERT per table, that
guardian's own API still answers from them, and that the data migrations' function moves old
generic rows across (and back).
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from accounts.enterprises import add_member, remove_member
from accounts.models import EnterpriseRole
from accounts.permission_tables import move_generic_grants, restore_generic_grants
from accounts.permissions import department_group
from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask, ReviewTaskGroupObjectPermission
from approvals.permissions import can_review, visible_tasks
from services.filing import start_draft
from services.models import (
    Application,
    ApplicationGroupObjectPermission,
    ApplicationUserObjectPermission,
)
from services.permissions import applications_of
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    acceptance_task,
    application_at_acceptance,
    clerk_of,
    item_with_stages,
    reviewer_of,
    routed_application,
)

pytestmark = pytest.mark.django_db

FOUR_DEPARTMENTS = 4


@pytest.fixture
def departments():
    return [DepartmentFactory() for _ in range(FOUR_DEPARTMENTS)]


@pytest.fixture
def item(departments):
    """Four departments in parallel, as business start-up has."""
    return item_with_stages([departments], audience="both")


def generic_grants_on(model) -> int:
    content_type = ContentType.objects.get_for_model(model)
    return (
        UserObjectPermission.objects.filter(content_type=content_type).count()
        + GroupObjectPermission.objects.filter(content_type=content_type).count()
    )


def inserts_into(queries, table: str) -> int:
    return sum(1 for query in queries if re.search(rf"INSERT INTO {table}\b", query["sql"]))


# --- filing and routing write the direct tables ----------------------------------------------------


def test_filing_for_an_enterprise_writes_one_insert_per_table_and_no_generic_row(item):
    enterprise, clerk = EnterpriseFactory(), CitizenFactory()
    add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)

    with CaptureQueriesContext(connection) as queries:
        application = start_draft(item, enterprise, filed_by=clerk)

    people = ApplicationUserObjectPermission.objects.filter(content_object=application)
    assert sorted(people.values_list("user_id", "permission__codename")) == sorted(
        (holder.pk, codename)
        for holder in (enterprise, clerk)
        for codename in ("view_application", "change_application")
    )
    assert ApplicationGroupObjectPermission.objects.filter(content_object=application).count() == 2
    assert inserts_into(queries, "services_applicationuserobjectpermission") == 1
    assert inserts_into(queries, "services_applicationgroupobjectpermission") == 1
    assert generic_grants_on(Application) == 0


def test_routing_grants_a_whole_stage_in_one_insert_and_no_generic_row(item, departments):
    application = application_at_acceptance(item)
    task = acceptance_task(application)

    clerk = clerk_of(task.department)

    with CaptureQueriesContext(connection) as queries:
        decide(task.pk, clerk, Outcome.APPROVE, "材料齐全，予以受理")

    stage = ReviewTask.objects.filter(application=application, stage_order=1)
    assert stage.count() == FOUR_DEPARTMENTS
    assert inserts_into(queries, "approvals_reviewtaskgroupobjectpermission") == 1
    # View to each department's staff, deciding to its reviewers: two grants a task.
    assert (
        ReviewTaskGroupObjectPermission.objects.filter(content_object__in=stage).count()
        == 2 * FOUR_DEPARTMENTS
    )
    assert generic_grants_on(ReviewTask) == 0


# --- guardian's own API reads the direct tables ----------------------------------------------------


def test_guardian_answers_for_tasks_from_the_direct_table(item, departments):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=departments[0])
    reviewer, other_reviewer = reviewer_of(departments[0]), reviewer_of(departments[1])

    assert reviewer.has_perm("approvals.change_reviewtask", task)
    assert ObjectPermissionChecker(reviewer).has_perm("view_reviewtask", task)
    assert list(get_objects_for_user(reviewer, "approvals.view_reviewtask", ReviewTask)) == [task]
    assert not other_reviewer.has_perm("approvals.change_reviewtask", task)
    assert not ObjectPermissionChecker(other_reviewer).has_perm("view_reviewtask", task)
    assert can_review(reviewer, task) and not can_review(other_reviewer, task)
    assert list(visible_tasks(reviewer)) == [task]


def test_guardian_answers_for_applications_from_the_direct_table(item):
    applicant, stranger = CitizenFactory(), CitizenFactory()
    application = start_draft(item, applicant)

    assert applicant.has_perm("services.change_application", application)
    assert ObjectPermissionChecker(applicant).has_perm("view_application", application)
    assert list(get_objects_for_user(applicant, "services.view_application", Application)) == [
        application
    ]
    assert not stranger.has_perm("services.view_application", application)
    assert list(applications_of(stranger)) == []


def test_a_removed_member_loses_the_grants_of_the_enterprises_cases(item):
    enterprise, clerk = EnterpriseFactory(), CitizenFactory()
    membership = add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)
    application = start_draft(item, enterprise, filed_by=clerk)
    assert clerk.has_perm("services.view_application", application)

    remove_member(enterprise=enterprise, member_id=membership.pk, actor=enterprise)

    assert not ApplicationUserObjectPermission.objects.filter(user=clerk).exists()
    assert ApplicationUserObjectPermission.objects.filter(user=enterprise).count() == 2


# --- the data migrations ---------------------------------------------------------------------------


def as_generic_rows(task: ReviewTask, application: Application) -> None:
    """What filing and routing wrote before the direct tables: the same grants, generic."""
    task_type = ContentType.objects.get_for_model(ReviewTask)
    application_type = ContentType.objects.get_for_model(Application)
    # bulk_create: guardian's save() would look the object up through its generic key.
    GroupObjectPermission.objects.bulk_create(
        GroupObjectPermission(
            content_type=task_type,
            object_pk=str(task.pk),
            group_id=grant.group_id,
            permission_id=grant.permission_id,
        )
        for grant in ReviewTaskGroupObjectPermission.objects.filter(content_object=task)
    )
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(
            content_type=application_type,
            object_pk=str(application.pk),
            user_id=grant.user_id,
            permission_id=grant.permission_id,
        )
        for grant in ApplicationUserObjectPermission.objects.filter(content_object=application)
    )
    ReviewTaskGroupObjectPermission.objects.all().delete()
    ApplicationUserObjectPermission.objects.all().delete()


def test_the_migration_moves_generic_grants_into_the_direct_tables(item, departments):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=departments[0])
    reviewer = reviewer_of(departments[0])
    as_generic_rows(task, application)
    # A grant on a task since deleted: the generic table had no foreign key to remove it.
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(
                content_type=ContentType.objects.get_for_model(ReviewTask),
                object_pk="999999999",
                group=department_group(departments[0].pk, "staff"),
                permission=Permission.objects.get(codename="view_reviewtask"),
            )
        ]
    )
    assert not ReviewTaskGroupObjectPermission.objects.filter(content_object=task).exists()

    move_generic_grants(
        connection, app_label="approvals", model="reviewtask", object_table="approvals_reviewtask"
    )
    move_generic_grants(
        connection,
        app_label="services",
        model="application",
        object_table="services_application",
    )

    assert ReviewTaskGroupObjectPermission.objects.filter(content_object=task).count() == 2
    assert ApplicationUserObjectPermission.objects.filter(content_object=application).count() == 2
    assert generic_grants_on(ReviewTask) == generic_grants_on(Application) == 0
    assert can_review(reviewer, task)
    assert application.applicant.has_perm("services.view_application", application)


def test_the_migration_backwards_restores_the_generic_grants(item, departments):
    application = routed_application(item)
    task_grants = ReviewTaskGroupObjectPermission.objects.count()

    restore_generic_grants(
        connection, app_label="approvals", model="reviewtask", object_table="approvals_reviewtask"
    )

    assert ReviewTaskGroupObjectPermission.objects.count() == 0
    assert generic_grants_on(ReviewTask) == task_grants
    assert ApplicationUserObjectPermission.objects.filter(content_object=application).exists()
