"""Public statistics: counts, working days to decision (SQL vs the calendar), CSV, SVG, report."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from approvals.calendar import working_days_between
from approvals.decisions import Outcome, decide
from approvals.models import CalendarDay
from disclosure import statistics
from services.models import Rating
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
    shanghai,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(code="market", name="市市场监督管理局", name_en="Market Regulation")


@pytest.fixture
def item(department):
    return item_with_stages([[department]], code="food-licence", name="食品经营许可")


def decided_after(item, department, filed: str, decided: str, outcome=Outcome.APPROVE):
    with time_machine.travel(shanghai(filed), tick=False):
        application = routed_application(item, CitizenFactory())
    with time_machine.travel(shanghai(decided), tick=False):
        task = application.review_tasks.get(department=department)
        decide(
            task.pk,
            reviewer_of(department),
            outcome,
            "" if outcome == Outcome.APPROVE else "不符合条件",
        )
    application.refresh_from_db()
    return application


def test_working_days_in_sql_match_the_calendar_holidays_included(item, department):
    # 2026-10-01..07 is the National Day holiday; 2026-10-10 (Saturday) a make-up working day.
    for day in range(1, 8):
        CalendarDay.objects.update_or_create(
            date=f"2026-10-0{day}", defaults={"kind": "holiday", "name": "国庆节"}
        )
    CalendarDay.objects.update_or_create(
        date="2026-10-10", defaults={"kind": "workday", "name": "国庆节调休"}
    )
    spans = [
        ("2026-09-29 10:00", "2026-10-12 10:00"),
        ("2026-09-14 09:00", "2026-09-16 16:00"),
        ("2026-09-18 09:00", "2026-09-25 16:00"),
    ]
    applications = [decided_after(item, department, a, b) for a, b in spans]
    expected = sorted(working_days_between(a.submitted_at, a.decided_at) for a in applications)

    [row] = statistics.statistics_by_item(statistics.Period(2026))

    assert row["decided"] == 3
    assert row["average_days"] == pytest.approx(round(sum(expected) / 3, 1))
    # percentile_cont(0.9) of three values interpolates between the two largest.
    assert row["p90_days"] == pytest.approx(expected[1] + 0.8 * (expected[2] - expected[1]))


def test_counts_by_department_and_on_time_rate(item, department):
    decided_after(item, department, "2026-09-14 09:00", "2026-09-15 10:00")
    decided_after(item, department, "2026-09-14 09:00", "2026-09-15 10:00", Outcome.REJECT)
    with time_machine.travel(shanghai("2026-09-14 09:00"), tick=False):
        routed_application(item, CitizenFactory())  # still open
    late = decided_after(item, department, "2026-09-01 09:00", "2026-09-30 10:00")

    [row] = statistics.statistics_by_department(statistics.Period(2026))

    assert (row["received"], row["decided"], row["approved"], row["rejected"]) == (4, 3, 2, 1)
    assert row["on_time_rate"] == pytest.approx(2 / 3)
    assert late.decided_at > late.review_tasks.get(department=department).due_at


def test_statistics_page_draws_accessible_svg_charts_and_offers_csv(client, item, department):
    decided_after(item, department, "2026-09-14 09:00", "2026-09-16 10:00")

    page = client.get(reverse("disclosure:statistics"), {"year": 2026}).content.decode()
    assert '<svg role="img"' in page
    assert '<title id="chart-1-title">' in page
    assert '<desc id="chart-1-desc">' in page
    assert "Market Regulation" in page

    response = client.get(
        reverse("disclosure:statistics_csv", args=["departments"]), {"year": 2026}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:3] == ["code", "Department", "Received"]
    assert rows[1][0] == "market"
    assert rows[1][2] == "1"


def test_other_years_are_not_counted(item, department):
    decided_after(item, department, "2025-06-02 09:00", "2025-06-03 10:00")

    assert statistics.statistics_by_item(statistics.Period(2026)) == []
    assert len(statistics.statistics_by_item(statistics.Period(2025))) == 1


def test_annual_report_counts_disclosure_requests(client, department):
    request_item = item_with_stages([[department]], code="information-disclosure-request")
    decided_after(request_item, department, "2026-03-02 09:00", "2026-03-10 10:00")
    decided_after(request_item, department, "2026-03-02 09:00", "2026-03-10 10:00", Outcome.REJECT)

    sections = {s.title: dict(s.rows) for s in statistics.annual_report(2026)}
    on_request = sections["II. Disclosure on request"]
    assert on_request["Requests received during the year"] == 2
    assert on_request["Answered: information disclosed"] == 1
    assert on_request["Answered: not disclosed"] == 1

    assert client.get(reverse("disclosure:annual_report", args=[2026])).status_code == 200
    body = client.get(reverse("disclosure:annual_report_csv", args=[2026])).content.decode(
        "utf-8-sig"
    )
    assert "Requests received during the year,2" in body
    assert client.get(reverse("disclosure:annual_report", args=[2999])).status_code == 404


def test_a_head_sees_open_and_overdue_work_of_their_department(client_for, item, department):
    with time_machine.travel(shanghai("2026-09-01 09:00"), tick=False):
        routed_application(item, CitizenFactory())

    page = client_for(head_of(department)).get(
        reverse("disclosure:department_statistics", args=["market"])
    )

    assert page.status_code == 200
    assert page.context["open_work"] == {
        "open": 1,
        "overdue": 1,
        "clock_stopped": 0,
        "extensions_awaiting": 0,
    }


def test_applicants_ratings_are_averaged_by_item_and_by_department(item, department):
    other = DepartmentFactory(code="tax", name="市税务局")
    two_departments = item_with_stages([[department, other]], code="tax-and-market")
    for score, case_item in ((5, item), (4, item), (2, two_departments)):
        application = decided_after(case_item, department, "2026-09-14 09:00", "2026-09-15 10:00")
        Rating.objects.create(application=application, score=score)
    decided_after(item, department, "2026-09-14 09:00", "2026-09-15 10:00")  # not rated

    period = statistics.Period(2026)
    by_item = {row["code"]: row for row in statistics.statistics_by_item(period)}
    by_department = {row["code"]: row for row in statistics.statistics_by_department(period)}

    assert (by_item["food-licence"]["average_rating"], by_item["food-licence"]["ratings"]) == (
        4.5,
        2,
    )
    assert (by_department["market"]["average_rating"], by_department["market"]["ratings"]) == (
        3.7,
        3,
    )
    assert (by_department["tax"]["average_rating"], by_department["tax"]["ratings"]) == (2.0, 1)


def test_the_ratings_column_is_on_the_page_and_in_the_csv(client, item, department):
    application = decided_after(item, department, "2026-09-14 09:00", "2026-09-15 10:00")
    Rating.objects.create(application=application, score=4, comment="办得快")

    page = client.get(reverse("disclosure:statistics"), {"year": 2026}).content.decode()
    csv = client.get(reverse("disclosure:statistics_csv", args=["items"]), {"year": 2026})

    assert "Average rating (1–5)" in page
    assert "4.0" in page
    assert "Average rating (1–5)" in csv.content.decode("utf-8-sig")
