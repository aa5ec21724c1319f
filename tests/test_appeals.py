"""The last days to appeal a refusal: 60 days for reconsideration, 6 months for a lawsuit,
counted from the day after receipt, moved off rest days and holidays to the next working day."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from approvals.calendar import WorkingCalendar
from instruments.appeals import add_months, appeal_periods

NO_HOLIDAYS = WorkingCalendar(holidays=frozenset(), makeup_workdays=frozenset())
# Labour Day 2026 as the State Council set it: 1–5 May off, Saturday 9 May worked (调休).
LABOUR_DAY_2026 = WorkingCalendar(
    holidays=frozenset(date(2026, 5, day) for day in range(1, 6)),
    makeup_workdays=frozenset({date(2026, 5, 9)}),
)


def test_six_months_from_31_august_end_on_the_last_day_of_february():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)  # a leap year


def test_six_months_from_31_december_end_on_30_june():
    assert add_months(date(2026, 12, 31), 6) == date(2027, 6, 30)


def test_a_lawsuit_period_ending_on_a_sunday_ends_on_monday():
    # 28 February 2027 is a Sunday.
    periods = appeal_periods(date(2026, 8, 31), NO_HOLIDAYS)

    assert periods.lawsuit_until == date(2027, 3, 1)


def test_reconsideration_counts_sixty_days_from_the_day_after_receipt():
    # 2 March 2026 + 60 days = 1 May, the first day of the holiday: the period ends on 6 May.
    periods = appeal_periods(date(2026, 3, 2), LABOUR_DAY_2026)

    assert periods.reconsideration_until == date(2026, 5, 6)


def test_a_period_ending_on_a_make_up_working_day_ends_that_day():
    # 10 March 2026 + 60 days = Saturday 9 May, worked that year.
    periods = appeal_periods(date(2026, 3, 10), LABOUR_DAY_2026)

    assert periods.reconsideration_until == date(2026, 5, 9)


def test_a_period_across_the_end_of_a_month_keeps_its_day():
    periods = appeal_periods(date(2026, 1, 30), NO_HOLIDAYS)

    assert periods.reconsideration_until == date(2026, 3, 31)  # 30 Jan + 60 days, a Tuesday
    assert periods.lawsuit_until == date(2026, 7, 30)


@given(
    received=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    holidays=st.sets(
        st.dates(min_value=date(2020, 1, 1), max_value=date(2041, 12, 31)), max_size=60
    ),
)
def test_a_last_day_is_a_working_day_never_before_the_period_and_at_most_weeks_after(
    received, holidays
):
    calendar = WorkingCalendar(holidays=frozenset(holidays), makeup_workdays=frozenset())

    periods = appeal_periods(received, calendar)

    for last_day, raw in (
        (periods.reconsideration_until, received + timedelta(days=60)),
        (periods.lawsuit_until, add_months(received, 6)),
    ):
        assert calendar.is_working_day(last_day)
        assert raw <= last_day
        assert all(
            not calendar.is_working_day(raw + timedelta(d)) for d in range((last_day - raw).days)
        )
