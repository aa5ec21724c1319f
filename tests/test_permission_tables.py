"""Grants on applications live in their own tables; review tasks hold none (issue 20 §5).

accounts/permission_tables.py says why: guardian's generic rows cost 1,800 bytes a case. These
tests prove that filing writes the direct tables only, one INSERT per table, that routing
writes no grant at all (approvals/permissions.py derives task access from the department),
that guardian's `has_perm` still answers for both, that the derived access is exact and
immediate, and that the data migrations move old rows across (and back).
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from accounts.enterprises import add_member, remove_member
from accounts.models import EnterpriseRole, Membership, User
from accounts.permission_tables import move_generic_grants, restore_generic_grants
from accounts.permissions import department_group, held_departments, sync_department_groups
from approvals.decisions import Outcome, decide
from approvals.models import ReviewTask
from approvals.permissions import (
    DECIDE_TASK,
    VIEW_TASK,
    can_review,
    can_see_task,
    visible_tasks,
)
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
    MembershipFactory,
    StaffFactory,
    acceptance_task,
    application_at_acceptance,
    clerk_of,
    head_of,
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


def test_routing_writes_no_grant_on_tasks(item, departments):
    application = application_at_acceptance(item)
    task = acceptance_task(application)
    clerk = clerk_of(task.department)

    with CaptureQueriesContext(connection) as queries:
        decide(task.pk, clerk, Outcome.APPROVE, "材料齐全，予以受理")

    stage = ReviewTask.objects.filter(application=application, stage_order=1)
    assert stage.count() == FOUR_DEPARTMENTS
    grants = [q["sql"] for q in queries if re.search(r"INSERT INTO \S*objectpermission", q["sql"])]
    assert not grants
    assert generic_grants_on(ReviewTask) == 0
    tables = connection.introspection.table_names()
    assert not [table for table in tables if table.startswith("approvals_reviewtask") and
                table.endswith("objectpermission")]  # fmt: skip
    for opened in stage:
        assert can_review(reviewer_of(opened.department), opened)


# --- access to tasks, derived from the department groups -----------------------------------------


def test_guardian_answers_for_tasks_through_the_department_backend(item, departments):
    application = routed_application(item)
    task = ReviewTask.objects.get(application=application, department=departments[0])
    reviewer, other_reviewer = reviewer_of(departments[0]), reviewer_of(departments[1])

    assert reviewer.has_perm(DECIDE_TASK, task) and reviewer.has_perm("view_reviewtask", task)
    assert reviewer.get_all_permissions(task) >= {VIEW_TASK, DECIDE_TASK}
    assert not other_reviewer.has_perm(DECIDE_TASK, task)
    assert not other_reviewer.has_perm(VIEW_TASK, task)
    assert can_review(reviewer, task) and not can_review(other_reviewer, task)
    assert list(visible_tasks(reviewer)) == [task]
    assert task not in visible_tasks(other_reviewer)
    # Guardian's row readers find no rows for tasks: the portal asks approvals/permissions.py.
    assert not ObjectPermissionChecker(reviewer).has_perm("view_reviewtask", task)
    assert not get_objects_for_user(reviewer, VIEW_TASK, ReviewTask).exists()


def test_a_clerk_accepts_and_sees_but_decides_no_review_task(item, departments):
    at_acceptance = application_at_acceptance(item)
    acceptance = acceptance_task(at_acceptance)
    clerk = clerk_of(acceptance.department)
    review = ReviewTask.objects.get(application=routed_application(item), department=departments[0])
    review_clerk = reviewer_of(departments[0], role=Membership.Role.CLERK)

    assert can_review(clerk, acceptance) and clerk.has_perm(DECIDE_TASK, acceptance)
    assert can_review(reviewer_of(acceptance.department), acceptance)
    assert not can_review(reviewer_of(departments[0]), acceptance)
    assert review in visible_tasks(review_clerk) and review_clerk.has_perm(VIEW_TASK, review)
    assert not can_review(review_clerk, review)
    assert not review_clerk.has_perm(DECIDE_TASK, review)


def test_a_head_decides_and_another_departments_reviewer_cannot(item, departments):
    task = ReviewTask.objects.get(application=routed_application(item), department=departments[0])
    head, outsider = head_of(departments[0]), reviewer_of(departments[1])

    assert can_review(head, task) and head.has_perm(DECIDE_TASK, task)
    assert not can_review(outsider, task) and task not in visible_tasks(outsider)

    decide(task.pk, head, Outcome.APPROVE, "同意")
    task.refresh_from_db()
    assert task.decided_by == head


def test_a_removed_member_loses_the_departments_tasks_at_their_next_request(item, departments):
    """The person's departments are read once per user object, that is once per request, as
    Django keeps permissions (held_departments): the next request knows of the removal."""
    task = ReviewTask.objects.get(application=routed_application(item), department=departments[0])
    reviewer = reviewer_of(departments[0])
    assert can_review(reviewer, task)

    Membership.objects.get(user=reviewer, department=departments[0]).delete()

    assert not visible_tasks(reviewer).exists()
    next_request = User.objects.get(pk=reviewer.pk)
    assert not can_review(next_request, task)
    assert not next_request.has_perm(VIEW_TASK, task)
    assert not next_request.has_perm(DECIDE_TASK, task)


def test_checking_tasks_in_hand_reads_the_persons_groups_once(item, departments):
    """However many tasks there are, a check on one in hand is a set lookup (issue 20 §5)."""
    tasks = [
        ReviewTask.objects.get(application=routed_application(item), department=departments[0])
        for _ in range(3)
    ]
    reviewer = User.objects.get(pk=reviewer_of(departments[0]).pk)

    with CaptureQueriesContext(connection) as queries:
        assert all(can_review(reviewer, task) and can_see_task(reviewer, task) for task in tasks)

    assert len(queries) == 1 and "user_groups" in queries[0]["sql"]


def test_a_persons_departments_are_read_from_their_department_groups_only(departments):
    first, second = departments[0], departments[1]
    person = head_of(first)
    MembershipFactory(user=person, department=second, role=Membership.Role.CLERK)
    person.groups.add(
        Group.objects.create(name="editors"),
        Group.objects.create(name="department-notes"),
        Group.objects.create(name=f"department-{departments[2].pk}-staff-archive"),
    )

    next_request = User.objects.get(pk=person.pk)

    assert held_departments(next_request, "staff") == {first.pk, second.pk}
    assert held_departments(next_request, "reviewers") == {first.pk}
    assert held_departments(next_request, "heads") == {first.pk}
    assert held_departments(StaffFactory(), "staff") == frozenset()


def test_a_membership_changed_through_the_same_user_object_is_seen_at_once(item, departments):
    task = ReviewTask.objects.get(application=routed_application(item), department=departments[0])
    reviewer = reviewer_of(departments[0])
    assert can_review(reviewer, task)

    Membership.objects.filter(user=reviewer, department=departments[0]).update(
        role=Membership.Role.CLERK
    )
    sync_department_groups(reviewer)

    assert not can_review(reviewer, task) and can_see_task(reviewer, task)


def test_the_groups_decide_not_the_flags(item, departments):
    """Exactly what the grants said: the department group counts; being inactive takes all;
    a superuser of no department gets nothing from can_review (Django's own user.has_perm
    answers yes to a superuser for anything, as it did with the grants)."""
    task = ReviewTask.objects.get(application=routed_application(item), department=departments[0])
    added_by_hand, inactive = StaffFactory(), reviewer_of(departments[0])
    added_by_hand.groups.add(department_group(departments[0].pk, "reviewers"))
    inactive.is_active = False
    inactive.save()
    administrator = StaffFactory(is_staff=True, is_superuser=True)

    assert can_review(added_by_hand, task) and task not in visible_tasks(added_by_hand)
    assert not can_review(inactive, task) and not visible_tasks(inactive).exists()
    assert not can_review(administrator, task) and not visible_tasks(administrator).exists()


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


def as_generic_rows(application: Application) -> None:
    """What filing wrote before the direct tables: the same grants, generic."""
    application_type = ContentType.objects.get_for_model(Application)
    # bulk_create: guardian's save() would look the object up through its generic key.
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(
            content_type=application_type,
            object_pk=str(application.pk),
            user_id=grant.user_id,
            permission_id=grant.permission_id,
        )
        for grant in ApplicationUserObjectPermission.objects.filter(content_object=application)
    )
    ApplicationUserObjectPermission.objects.all().delete()


def test_the_migration_moves_generic_grants_into_the_direct_tables(item):
    application = routed_application(item)
    as_generic_rows(application)
    # A grant on a case since deleted: the generic table had no foreign key to remove it.
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                content_type=ContentType.objects.get_for_model(Application),
                object_pk="999999999",
                user=application.applicant,
                permission=Permission.objects.get(codename="view_application"),
            )
        ]
    )
    assert not ApplicationUserObjectPermission.objects.filter(content_object=application).exists()

    move_generic_grants(
        connection,
        app_label="services",
        model="application",
        object_table="services_application",
    )

    assert ApplicationUserObjectPermission.objects.filter(content_object=application).count() == 2
    assert generic_grants_on(Application) == 0
    assert application.applicant.has_perm("services.view_application", application)


def test_the_migration_backwards_restores_the_generic_grants(item):
    application = routed_application(item)
    grants = ApplicationUserObjectPermission.objects.filter(content_object=application).count()

    restore_generic_grants(
        connection, app_label="services", model="application", object_table="services_application"
    )

    assert not ApplicationUserObjectPermission.objects.exists()
    assert generic_grants_on(Application) == grants == 2


BEFORE_DERIVED_TASKS = ("approvals", "0081_review_task_page_version")


@pytest.mark.django_db(transaction=True)
def test_approvals_0083_drops_the_task_grants_and_backwards_writes_what_routing_did(
    item, departments
):
    """Backwards, every task gets routing's old grants; forwards they go, and so do grants on
    tasks left in guardian's generic tables, which guardian would read again."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    at_acceptance = acceptance_task(application_at_acceptance(item))
    in_review = ReviewTask.objects.get(
        application=routed_application(item), department=departments[0]
    )

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_DERIVED_TASKS])
    old = executor.loader.project_state([BEFORE_DERIVED_TASKS]).apps
    grants = old.get_model("approvals", "ReviewTaskGroupObjectPermission").objects
    written = set(grants.values_list("content_object_id", "group__name", "permission__codename"))

    def group(task, kind):
        return f"department-{task.department_id}-{kind}"

    assert {row for row in written if row[0] == at_acceptance.pk} == {
        (at_acceptance.pk, group(at_acceptance, "staff"), "view_reviewtask"),
        (at_acceptance.pk, group(at_acceptance, "staff"), "change_reviewtask"),
    }
    assert {row for row in written if row[0] == in_review.pk} == {
        (in_review.pk, group(in_review, "staff"), "view_reviewtask"),
        (in_review.pk, group(in_review, "reviewers"), "change_reviewtask"),
    }
    assert len(written) == 2 * ReviewTask.objects.count()
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(
                content_type=ContentType.objects.get_for_model(ReviewTask),
                object_pk=str(in_review.pk),
                group=department_group(departments[1].pk, "staff"),
                permission=Permission.objects.get(codename="view_reviewtask"),
            )
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)

    assert not [
        table
        for table in connection.introspection.table_names()
        if table.startswith("approvals_reviewtask") and table.endswith("objectpermission")
    ]
    assert generic_grants_on(ReviewTask) == 0
    assert can_review(reviewer_of(departments[0]), in_review)
    assert not visible_tasks(reviewer_of(departments[1])).filter(pk=in_review.pk).exists()
