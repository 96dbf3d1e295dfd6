"""PRC working-day calendar (SPEC §6): the library for 2004–2026, the staff table beyond."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.lib.workdays import LIBRARY_YEARS, PRC_2027_PROVISIONAL, UnknownCalendarYear, WorkdayCalendar

LIBRARY = WorkdayCalendar()
# A made-up 2027 table for tests only (not the official arrangement): New Year's Day off.
TEST_2027 = WorkdayCalendar({date(2027, 1, 1): (False, "元旦")}, known_years={2027})


def test_library_version_covers_2004_to_2026():
    assert LIBRARY_YEARS == frozenset(range(2004, 2027))
    assert LIBRARY.known_years() == LIBRARY_YEARS
    assert TEST_2027.known_years() == LIBRARY_YEARS | {2027}


def test_2026_mid_autumn_and_national_day_per_chinese_calendar():
    rest = [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]  # 中秋节 Fri–Sun
    rest += [date(2026, 10, d) for d in range(1, 8)]  # 国庆节 Thu 1 – Wed 7 October
    rest += [date(2026, 10, 11)]  # an ordinary Sunday
    work = [date(2026, 9, 20), date(2026, 10, 10)]  # adjusted working weekend days: Sun 20 Sep, Sat 10 Oct
    work += [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9)]
    assert [d for d in rest if LIBRARY.is_workday(d)] == []
    assert [d for d in work if not LIBRARY.is_workday(d)] == []
    assert date(2026, 9, 20).weekday() == 6 and date(2026, 10, 10).weekday() == 5


def test_deadlines_across_national_day_2026():
    start = date(2026, 9, 30)  # e.g. an objection received on Wednesday 30 September
    assert LIBRARY.add_workdays(start, 1) == date(2026, 10, 8)
    assert LIBRARY.add_workdays(start, 2) == date(2026, 10, 9)
    assert LIBRARY.add_workdays(start, 3) == date(2026, 10, 10)  # the make-up Saturday counts
    assert LIBRARY.deadline(start, 5) == date(2026, 10, 13)  # R-P2: 5 working days
    assert LIBRARY.add_workdays(date(2026, 9, 24), 1) == date(2026, 9, 28)  # across 中秋节
    assert LIBRARY.workdays_between(start, date(2026, 10, 10)) == 3
    assert LIBRARY.workdays_between(date(2026, 10, 10), start) == -3
    assert LIBRARY.workdays_between(start, start) == 0


def test_start_day_never_counts_even_when_it_is_a_holiday():
    assert LIBRARY.add_workdays(date(2026, 10, 3), 1) == date(2026, 10, 8)
    assert LIBRARY.add_workdays(date(2026, 10, 8), 1) == date(2026, 10, 9)


def test_n_must_be_positive():
    for n in (0, -1):
        with pytest.raises(ValueError, match="正整数"):
            LIBRARY.add_workdays(date(2026, 5, 6), n)


def test_staff_entry_overrides_the_library():
    # e.g. a correction published after the library release (hypothetical dates).
    cal = WorkdayCalendar({date(2026, 10, 8): (False, "测试：放假"), date(2026, 10, 11): (True, "测试：上班")})
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 11))
    assert cal.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 11)


def test_deadline_into_unknown_2027_raises():
    with pytest.raises(UnknownCalendarYear) as info:
        LIBRARY.add_workdays(date(2026, 12, 28), 5)
    assert info.value.year == 2027
    assert str(info.value) == "2027年的法定节假日安排尚未录入，无法计算工作日"
    assert isinstance(info.value, LookupError)
    # A deadline that stays inside 2026 still works.
    assert LIBRARY.add_workdays(date(2026, 12, 28), 3) == date(2026, 12, 31)


def test_deadline_into_2027_with_the_staff_table():
    # Mon 28 Dec: 29, 30, 31 Dec, (Fri 1 Jan off, weekend), Mon 4 Jan, Tue 5 Jan.
    assert TEST_2027.add_workdays(date(2026, 12, 28), 5) == date(2027, 1, 5)
    assert TEST_2027.workdays_between(date(2026, 12, 28), date(2027, 1, 5)) == 5
    assert TEST_2027.is_workday(date(2027, 1, 9)) is False  # ordinary Saturday in a staff year
    with pytest.raises(UnknownCalendarYear, match="2028年"):
        TEST_2027.is_workday(date(2028, 1, 3))


def test_entries_alone_do_not_make_a_year_known():
    half_entered = WorkdayCalendar({date(2027, 1, 1): (False, "元旦")})
    with pytest.raises(UnknownCalendarYear):
        half_entered.is_workday(date(2027, 1, 1))
    with pytest.raises(UnknownCalendarYear, match="2003年"):
        LIBRARY.is_workday(date(2003, 12, 31))


def test_2027_is_not_invented():
    assert PRC_2027_PROVISIONAL == {}
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # a newer library release would need review


def test_datetime_is_treated_as_its_date():
    assert LIBRARY.is_workday(datetime(2026, 10, 1, 9, 30)) is False
    assert LIBRARY.add_workdays(datetime(2026, 9, 30, 17, 0), 1) == date(2026, 10, 8)


starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))


@given(starts, st.integers(min_value=1, max_value=40))
def test_add_workdays_properties(start, n):
    cal = TEST_2027  # 2027 known, so every start up to 31 Dec 2026 with n <= 40 stays answerable
    due = cal.add_workdays(start, n)
    assert cal.is_workday(due)
    assert due > start
    assert cal.add_workdays(start, n + 1) > due
    assert cal.workdays_between(start, due) == n
    assert cal.workdays_between(start, due - timedelta(days=1)) == n - 1
