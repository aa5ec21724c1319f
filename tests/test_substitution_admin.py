"""Substitutions (代理审批, issue 17 §4) in the Django admin, and the demo's current one.

The administrator oversees who covers for whom: a read-only list filtered by department, by
whether a substitution is in effect, and by its dates. Naming and ending stay on the head's
staff pages, where the rules and the audit are (approvals/substitutes.py).
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Department, User
from approvals.models import Substitution
from approvals.substitutes import name_substitute, today
from portal.demo import load_demo
from tests.factories import DepartmentFactory, reviewer_of

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:approvals_substitution_changelist")


@pytest.fixture
def demo():
    return load_demo()


def listed(client, **filters) -> set[int]:
    response = client.get(CHANGELIST, filters)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_the_demo_has_one_current_substitution_in_market_regulation_and_prints_it(demo):
    load_demo()  # loading again adds none
    substitution = Substitution.objects.get()
    assert substitution.department.code == "market"
    assert (substitution.reviewer.username, substitution.substitute.username) == (
        "reviewer-market",
        "reviewer-market-b",
    )
    assert substitution.named_by.username == "head-market"
    assert substitution.starts_on <= today() <= substitution.ends_on
    assert substitution.ended_at is None
    printed = dict((username, role) for username, _password, role in demo)
    assert "substitute for reviewer-market" in printed["reviewer-market-b"]


def test_the_administrator_lists_substitutions_by_department_and_by_whether_in_effect(
    demo, client_for
):
    current = Substitution.objects.get()
    other = DepartmentFactory()
    head = reviewer_of(other, role="head")
    later = name_substitute(
        head=head,
        department=other,
        reviewer=reviewer_of(other),
        substitute=reviewer_of(other),
        starts_on=today() + timedelta(days=10),
        ends_on=today() + timedelta(days=12),
    )
    client = client_for(User.objects.get(username="admin"))

    assert listed(client) == {current.pk, later.pk}
    market = Department.objects.get(code="market")
    assert listed(client, department__id__exact=market.pk) == {current.pk}
    assert listed(client, in_effect="now") == {current.pk}
    assert listed(client, in_effect="later") == {later.pk}
    assert listed(client, in_effect="over") == set()
    assert listed(client, starts_on__gte=(today() + timedelta(days=5)).isoformat()) == {later.pk}
    page = client.get(CHANGELIST).content.decode()
    assert "reviewer-market-b" in page or "B岗" in page


def test_the_admin_changes_no_substitution(demo, client_for):
    substitution = Substitution.objects.get()
    client = client_for(User.objects.get(username="admin"))
    change = reverse("admin:approvals_substitution_change", args=[substitution.pk])
    before = (substitution.starts_on, substitution.ends_on, substitution.substitute_id)

    assert client.get(reverse("admin:approvals_substitution_add")).status_code == 403
    client.post(change, {"starts_on": "2020-01-01", "ends_on": "2030-01-01"})
    assert client.get(change).status_code == 200  # viewed, read-only
    assert (
        client.post(
            reverse("admin:approvals_substitution_delete", args=[substitution.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    substitution.refresh_from_db()
    assert (substitution.starts_on, substitution.ends_on, substitution.substitute_id) == before
