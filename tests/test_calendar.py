"""The working-day calendar every time limit is counted on: its arithmetic and its data.

The properties run on `WorkingCalendar` values built by hypothesis (no database): any set of
holidays and make-up working days, any start. The database tests check what the data
migration seeded and that an administrator's edit changes the arithmetic.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st

from accounts.models import User
from approvals.calendar import (
    END_OF_OFFICE_HOURS,
    START_OF_OFFICE_HOURS,
    WorkingCalendar,
    add_working_days,
    current_calendar,
    one_calendar,
    working_days_between,
    working_time_before,
)
from approvals.models import CalendarDay
from tests.factories import UserFactory, shanghai

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPAN = 150  # days around the start in which generated holidays and make-up days fall


@st.composite
def calendars(draw) -> tuple[WorkingCalendar, date]:
    """A calendar with holidays and make-up Saturdays/Sundays near a start date, and the start."""
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
    near = st.integers(min_value=-7, max_value=SPAN).map(lambda n: start + timedelta(days=n))
    makeup = frozenset(d for d in draw(st.frozensets(near, max_size=12)) if d.weekday() >= 5)
    holidays = draw(st.frozensets(near, max_size=40)) - makeup  # a day is one or the other
    return WorkingCalendar(holidays=holidays, makeup_workdays=makeup), start


working_days = st.integers(min_value=0, max_value=60)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(SHANGHAI)
) | st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.just(ZoneInfo("UTC")),
)


def is_rest_day(calendar: WorkingCalendar, day: date) -> bool:
    return day in calendar.holidays or (day.weekday() >= 5 and day not in calendar.makeup_workdays)


# --- properties of the arithmetic (pure) ----------------------------------------------------------


@given(calendars(), working_days)
def test_counting_the_working_days_up_to_a_shifted_day_gives_back_the_shift(calendar_start, n):
    calendar, start = calendar_start

    assert calendar.count(start, calendar.shift(start, n)) == n


@given(calendars(), st.integers(min_value=1, max_value=60))
def test_shifted_day_is_never_a_holiday_nor_a_weekend_that_is_not_worked(calendar_start, n):
    calendar, start = calendar_start

    day = calendar.shift(start, n)

    assert day not in calendar.holidays
    assert day.weekday() < 5 or day in calendar.makeup_workdays
    assert calendar.is_working_day(day)


@given(calendars(), working_days, working_days)
def test_more_working_days_never_end_earlier(calendar_start, n, m):
    calendar, start = calendar_start
    assume(n != m)
    fewer, more = sorted((n, m))

    assert calendar.shift(start, fewer) < calendar.shift(start, more)


@given(calendars(), st.integers(min_value=1, max_value=60), st.data())
def test_make_up_working_day_inside_the_period_counts(calendar_start, n, data):
    calendar, start = calendar_start
    end = calendar.shift(start, n)
    rest_days = [
        start + timedelta(days=k)
        for k in range(1, (end - start).days)
        if (start + timedelta(days=k)).weekday() >= 5
        and is_rest_day(calendar, start + timedelta(days=k))
    ]
    assume(rest_days)
    worked = data.draw(st.sampled_from(rest_days))
    with_makeup = WorkingCalendar(
        holidays=calendar.holidays - {worked}, makeup_workdays=calendar.makeup_workdays | {worked}
    )

    assert with_makeup.count(start, end) == n + 1
    assert with_makeup.shift(start, n) < end


@given(calendars(), st.integers(min_value=1, max_value=60), st.data())
def test_holiday_inside_the_period_pushes_the_deadline_later(calendar_start, n, data):
    calendar, start = calendar_start
    end = calendar.shift(start, n)
    working = [
        start + timedelta(days=k)
        for k in range(1, (end - start).days + 1)
        if calendar.is_working_day(start + timedelta(days=k))
    ]
    holiday = data.draw(st.sampled_from(working))
    with_holiday = WorkingCalendar(
        holidays=calendar.holidays | {holiday},
        makeup_workdays=calendar.makeup_workdays - {holiday},
    )

    assert with_holiday.count(start, end) == n - 1
    assert with_holiday.shift(start, n) > end


@given(calendars(), st.integers(min_value=0, max_value=30))
def test_reminder_shift_backwards_from_a_working_day_round_trips(calendar_start, n):
    calendar, start = calendar_start
    due_day = calendar.shift(start, 1)  # deadlines always fall on working days

    assert calendar.count(calendar.shift(due_day, -n), due_day) == n


# --- the same properties through the deadline functions, with a calendar argument -------------


@given(calendars(), moments, working_days)
def test_adding_working_days_then_counting_them_round_trips(calendar_start, moment, n):
    calendar, _start = calendar_start

    deadline = add_working_days(moment, n, calendar)

    assert working_days_between(moment, deadline, calendar) == n


@given(calendars(), moments, st.integers(min_value=1, max_value=60))
def test_deadline_is_at_half_past_five_in_shanghai_on_a_working_day(calendar_start, moment, n):
    calendar, _start = calendar_start

    deadline = add_working_days(moment, n, calendar)

    local = deadline.astimezone(SHANGHAI)
    assert local.time() == END_OF_OFFICE_HOURS == time(17, 30)
    assert deadline.utcoffset() == timedelta(hours=8)
    assert not is_rest_day(calendar, local.date())


@given(calendars(), moments, working_days, working_days)
def test_deadline_is_monotonic_in_the_number_of_working_days(calendar_start, moment, n, m):
    calendar, _start = calendar_start
    assume(n < m)

    assert add_working_days(moment, n, calendar) < add_working_days(moment, m, calendar)


@given(calendars(), moments, working_days)
def test_deadline_depends_on_the_day_in_shanghai_not_in_utc(calendar_start, moment, n):
    calendar, _start = calendar_start
    local_day = moment.astimezone(SHANGHAI).date()

    deadline = add_working_days(moment, n, calendar)

    assert deadline.astimezone(SHANGHAI).date() == calendar.shift(local_day, n)


def test_submission_late_on_friday_evening_counts_from_the_next_monday():
    plain_weeks = WorkingCalendar(holidays=frozenset(), makeup_workdays=frozenset())
    friday_evening = shanghai("2026-11-27 23:00")  # still Friday in Shanghai, 15:00 UTC

    assert add_working_days(friday_evening, 1, plain_weeks) == shanghai("2026-11-30 17:30")
    assert add_working_days(friday_evening, 5, plain_weeks) == shanghai("2026-12-04 17:30")


# --- the data: seeded by the migration, corrected by administrators ------------------------------


@pytest.mark.django_db
def test_migration_seeded_national_day_2026_with_its_make_up_saturday():
    # pytest-django runs `db` tests before any transactional test flushes the seeded rows.
    national_day = CalendarDay.objects.get(date=date(2026, 10, 1))
    makeup_saturday = CalendarDay.objects.get(date=date(2026, 10, 10))

    assert national_day.kind == CalendarDay.Kind.HOLIDAY
    assert makeup_saturday.kind == CalendarDay.Kind.MAKEUP_WORKDAY
    calendar = current_calendar()
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert not calendar.is_working_day(date(2026, 10, 7))
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday, worked (调休)
    assert calendar.is_working_day(date(2026, 9, 20))  # a Sunday, worked


@pytest.mark.django_db
def test_migration_seeded_the_current_year_and_the_next():
    this_year = timezone.localdate().year

    for year in (this_year, this_year + 1):
        national_day = CalendarDay.objects.get(date=date(year, 10, 1))
        assert national_day.kind == CalendarDay.Kind.HOLIDAY, year


@pytest.mark.django_db
def test_deadline_across_national_day_skips_the_holiday_and_counts_the_make_up_saturday():
    eve_of_national_day = shanghai("2026-09-30 10:00")

    assert add_working_days(eve_of_national_day, 1) == shanghai("2026-10-08 17:30")
    assert add_working_days(eve_of_national_day, 3) == shanghai("2026-10-10 17:30")
    assert working_days_between(eve_of_national_day, shanghai("2026-10-12 09:00")) == 4


@pytest.mark.django_db
def test_holiday_added_by_an_administrator_moves_later_deadlines(client_for):
    monday = shanghai("2026-11-23 10:00")
    assert add_working_days(monday, 2) == shanghai("2026-11-25 17:30")
    administrator = UserFactory(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)

    response = client_for(administrator).post(
        reverse("admin:approvals_calendarday_add"),
        {"date": "2026-11-25", "kind": CalendarDay.Kind.HOLIDAY, "name": "临时休息日"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors

    assert add_working_days(monday, 2) == shanghai("2026-11-26 17:30")
    assert working_days_between(monday, shanghai("2026-11-26 09:00")) == 2


@pytest.mark.django_db
def test_make_up_working_day_added_by_an_administrator_brings_deadlines_forward():
    friday = shanghai("2026-11-27 10:00")
    assert add_working_days(friday, 1) == shanghai("2026-11-30 17:30")

    CalendarDay.objects.create(
        date=date(2026, 11, 28), kind=CalendarDay.Kind.MAKEUP_WORKDAY, name="调休上班"
    )

    assert add_working_days(friday, 1) == shanghai("2026-11-28 17:30")


@pytest.mark.django_db
def test_deadlines_are_computed_in_shanghai_time_whatever_the_active_timezone():
    with timezone.override(ZoneInfo("UTC")):
        deadline = add_working_days(shanghai("2026-11-23 10:00"), 1)

    assert deadline == shanghai("2026-11-24 17:30")


# --- the calendar's version: no process counts on a calendar the database no longer holds -------


@pytest.mark.django_db
def test_an_edit_made_behind_the_orms_back_is_counted_at_once():
    monday = shanghai("2026-11-23 10:00")
    assert add_working_days(monday, 2) == shanghai("2026-11-25 17:30")

    # As another process, a bulk update or psql would: no signal reaches this process.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO approvals_calendarday (date, kind, name) VALUES (%s, %s, %s)",
            [date(2026, 11, 24), CalendarDay.Kind.HOLIDAY, "临时休息日"],
        )

    assert add_working_days(monday, 2) == shanghai("2026-11-26 17:30")


@pytest.mark.django_db
def test_an_edit_rolled_back_is_not_counted_afterwards():
    monday = shanghai("2026-11-23 10:00")
    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarDay.objects.create(date=date(2026, 11, 24), kind=CalendarDay.Kind.HOLIDAY)
        assert add_working_days(monday, 2) == shanghai("2026-11-26 17:30")
        raise RuntimeError("the edit is rolled back")

    assert add_working_days(monday, 2) == shanghai("2026-11-25 17:30")


@pytest.mark.django_db
def test_a_request_reads_the_calendar_once_for_all_its_deadlines():
    monday = shanghai("2026-11-23 10:00")

    with one_calendar(), CaptureQueriesContext(connection) as queries:
        deadlines = {add_working_days(monday, 2) for _ in range(50)}

    assert deadlines == {shanghai("2026-11-25 17:30")}
    assert len(queries) <= 2  # the version, and the days if this process had not read them


@pytest.mark.django_db
def test_a_request_that_edits_the_calendar_counts_its_later_deadlines_on_the_edit():
    monday = shanghai("2026-11-23 10:00")

    with one_calendar():
        before = add_working_days(monday, 2)
        CalendarDay.objects.create(date=date(2026, 11, 24), kind=CalendarDay.Kind.HOLIDAY)
        after = add_working_days(monday, 2)

    assert (before, after) == (shanghai("2026-11-25 17:30"), shanghai("2026-11-26 17:30"))


# --- working hours (an idle claim's lapse) ---------------------------------------------------------


def office_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Office hours (09:00–17:30) on working days inside [start, end], counted day by day."""
    total, day = timedelta(0), timezone.localtime(start, SHANGHAI).date()
    while day <= timezone.localtime(end, SHANGHAI).date():
        if calendar.is_working_day(day):
            opens = datetime.combine(day, START_OF_OFFICE_HOURS, tzinfo=SHANGHAI)
            closes = datetime.combine(day, END_OF_OFFICE_HOURS, tzinfo=SHANGHAI)
            total += max(timedelta(0), min(end, closes) - max(start, opens))
        day += timedelta(days=1)
    return total


@given(calendars(), st.integers(min_value=0, max_value=24 * 60), st.integers(0, 30 * 24 * 60))
def test_working_time_before_leaves_exactly_that_much_office_time(calendar_start, minutes, later):
    calendar, start = calendar_start
    moment = datetime.combine(start, time(0), tzinfo=SHANGHAI) + timedelta(minutes=later)

    earlier = working_time_before(moment, timedelta(minutes=minutes), calendar)

    assert earlier <= moment
    assert office_time_between(calendar, earlier, moment) == timedelta(minutes=minutes)
