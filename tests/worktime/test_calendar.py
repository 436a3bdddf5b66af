"""Working-day arithmetic: golden cases from the State Council notices, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yihaotong.worktime.calendar import (
    TZ,
    CalendarMissing,
    WorkCalendar,
    add_clock,
    calendar_from_days,
    calendar_from_package,
    calendar_gaps,
    calendar_warning,
    warning_instant,
)

CAL = calendar_from_package()
CST = timezone(timedelta(hours=8))


def at(text: str) -> datetime:
    """Return an aware datetime from 'YYYY-MM-DD HH:MM' local (Asia/Shanghai) time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def midnight(text: str) -> datetime:
    return at(f"{text} 00:00")


def d(text: str) -> date:
    return date.fromisoformat(text)


def span(first: str, last: str) -> list[date]:
    start, end = d(first), d(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# The notices as published: (days off, make-up working days).
NOTICES = {
    # 国办发明电〔2024〕12号
    2025: (
        span("2025-01-01", "2025-01-01")
        + span("2025-01-28", "2025-02-04")
        + span("2025-04-04", "2025-04-06")
        + span("2025-05-01", "2025-05-05")
        + span("2025-05-31", "2025-06-02")
        + span("2025-10-01", "2025-10-08"),
        [d("2025-01-26"), d("2025-02-08"), d("2025-04-27"), d("2025-09-28"), d("2025-10-11")],
    ),
    # 国办发明电〔2025〕7号
    2026: (
        span("2026-01-01", "2026-01-03")
        + span("2026-02-15", "2026-02-23")
        + span("2026-04-04", "2026-04-06")
        + span("2026-05-01", "2026-05-05")
        + span("2026-06-19", "2026-06-21")
        + span("2026-09-25", "2026-09-27")
        + span("2026-10-01", "2026-10-07"),
        [
            d("2026-01-04"),
            d("2026-02-14"),
            d("2026-02-28"),
            d("2026-05-09"),
            d("2026-09-20"),
            d("2026-10-10"),
        ],
    ),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_package_matches_the_notice(year):
    days_off, makeup = NOTICES[year]
    assert {x for x in CAL.holidays if x.year == year} == {x for x in days_off if x.weekday() < 5}
    assert {x for x in CAL.workdays if x.year == year} == set(makeup)
    assert all(x.weekday() >= 5 for x in makeup)
    for x in days_off:
        assert not CAL.is_working_day(x), x
    for x in makeup:
        assert CAL.is_working_day(x), x


def test_package_years():
    assert CAL.years == frozenset(range(2004, 2027))


@pytest.mark.parametrize(
    "day, working",
    [
        ("2026-02-13", True),  # Friday before Spring Festival
        ("2026-02-14", True),  # make-up Saturday
        ("2026-02-15", False),  # Sunday inside the holiday
        ("2026-02-16", False),  # Monday holiday
        ("2026-02-23", False),  # last day off, a Monday
        ("2026-02-24", True),
        ("2026-02-28", True),  # make-up Saturday
        ("2026-03-01", False),  # ordinary Sunday
        ("2026-03-07", False),  # ordinary Saturday
        ("2025-09-28", True),  # make-up Sunday before National Day
        ("2025-10-08", False),
        ("2025-10-11", True),
        ("2025-01-01", False),
        ("2026-01-04", True),
    ],
)
def test_is_working_day(day, working):
    assert CAL.is_working_day(d(day)) is working


# (start, n, count_from, due) with due = local midnight after the nth working day.
GOLDEN = [
    # Spring Festival 2026: make-up Sat 2/14 is day 1, then 2/24, 2/25.
    ("2026-02-13 16:00", 1, "next_day", "2026-02-15"),
    ("2026-02-13 16:00", 3, "next_day", "2026-02-26"),
    ("2026-02-13 16:00", 7, "next_day", "2026-03-03"),  # ... 2/26, 2/27, Sat 2/28 (make-up), Mon 3/2
    ("2026-02-13 16:00", 15, "next_day", "2026-03-13"),
    ("2026-02-13 16:00", 3, "same_day", "2026-02-25"),  # 2/13, 2/14, 2/24
    ("2026-02-16 10:00", 1, "same_day", "2026-02-25"),  # starts on a holiday: day 1 is 2/24
    ("2026-02-16 10:00", 1, "next_day", "2026-02-25"),
    # Spring Festival 2025: make-up Sun 1/26 and Sat 2/8.
    ("2025-01-24 10:00", 1, "next_day", "2025-01-27"),
    ("2025-01-24 10:00", 3, "next_day", "2025-02-06"),  # 1/26, 1/27, 2/5
    ("2025-01-24 10:00", 7, "next_day", "2025-02-11"),  # ... 2/6, 2/7, Sat 2/8, Mon 2/10
    ("2025-01-24 10:00", 15, "next_day", "2025-02-21"),
    ("2025-01-27 09:00", 1, "next_day", "2025-02-06"),
    ("2025-01-27 09:00", 1, "same_day", "2025-01-28"),
    ("2025-01-29 14:00", 1, "same_day", "2025-02-06"),
    ("2025-02-08 09:00", 1, "same_day", "2025-02-09"),  # a make-up Saturday counts
    ("2025-02-08 09:00", 1, "next_day", "2025-02-11"),  # Sun 2/9 off, Mon 2/10
    # Labour Day 2025 (make-up Sun 4/27) and 2026 (make-up Sat 5/9).
    ("2025-04-25 12:00", 3, "next_day", "2025-04-30"),
    ("2025-04-25 12:00", 5, "next_day", "2025-05-07"),
    ("2026-04-30 09:00", 3, "next_day", "2026-05-09"),
    ("2026-04-30 09:00", 4, "next_day", "2026-05-10"),
    # National Day 2025 (make-up Sun 9/28, Sat 10/11) and 2026 (make-up Sun 9/20, Sat 10/10).
    ("2025-09-26 17:00", 3, "next_day", "2025-10-01"),
    ("2025-09-26 17:00", 7, "next_day", "2025-10-14"),
    ("2025-09-26 17:00", 15, "next_day", "2025-10-24"),
    ("2025-09-30 10:00", 1, "next_day", "2025-10-10"),
    ("2026-09-30 11:00", 1, "next_day", "2026-10-09"),
    ("2026-09-30 11:00", 3, "next_day", "2026-10-11"),
    ("2026-09-18 11:00", 1, "next_day", "2026-09-21"),  # make-up Sun 9/20
    # Year boundary: 1/1-1/3 2026 off, make-up Sun 1/4.
    ("2025-12-31 10:00", 1, "next_day", "2026-01-05"),
    ("2025-12-31 10:00", 3, "next_day", "2026-01-07"),
    ("2025-12-31 10:00", 1, "same_day", "2026-01-01"),
    # Ordinary weeks and a weekend start.
    ("2026-03-06 18:00", 1, "next_day", "2026-03-10"),  # Fri -> Mon 3/9
    ("2026-03-07 10:00", 1, "same_day", "2026-03-10"),  # Sat -> Mon 3/9
    ("2026-03-07 10:00", 5, "next_day", "2026-03-14"),  # Mon 3/9 .. Fri 3/13
    # The last deadline of a known year ends at 2027-01-01 00:00 without needing 2027.
    ("2026-12-24 10:00", 5, "next_day", "2027-01-01"),
]


@pytest.mark.parametrize("start, n, count_from, due", GOLDEN)
def test_add_working_days(start, n, count_from, due):
    result = CAL.add_working_days(at(start), n, count_from=count_from)
    assert result == midnight(due)
    assert result.tzinfo is UTC


def test_add_working_days_converts_the_start_to_shanghai():
    # 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Shanghai: a holiday, so day 1 is make-up Sun 1/4.
    start = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    assert CAL.add_working_days(start, 1) == midnight("2026-01-05")
    # 15:59 UTC is still 12-31 in Shanghai.
    assert CAL.add_working_days(datetime(2025, 12, 31, 15, 59, tzinfo=UTC), 1, count_from="same_day") == midnight(
        "2026-01-01"
    )


def test_add_working_days_default_counts_from_next_day():
    assert CAL.add_working_days(at("2026-03-02 09:00"), 1) == midnight("2026-03-04")


@pytest.mark.parametrize(
    "start, n",
    [
        ("2027-03-01 10:00", 1),
        ("2026-12-24 10:00", 6),  # 12/25, 12/28, 12/29, 12/30, 12/31, then 2027
        ("2026-12-31 10:00", 1),
    ],
)
def test_missing_year(start, n):
    with pytest.raises(CalendarMissing) as info:
        CAL.add_working_days(at(start), n)
    assert info.value.year == 2027
    assert "2027" in info.value.message
    assert info.value.code == "calendar_missing"
    assert info.value.status == 422


def test_missing_year_for_single_days():
    with pytest.raises(CalendarMissing):
        CAL.is_working_day(d("2027-01-04"))
    with pytest.raises(CalendarMissing):
        CAL.next_working_day(d("2026-12-31"))
    with pytest.raises(CalendarMissing):
        CAL.is_working_day(d("2003-06-02"))


@pytest.mark.parametrize("n", [0, -1])
def test_add_working_days_rejects_n_below_one(n):
    with pytest.raises(ValueError):
        CAL.add_working_days(at("2026-03-02 09:00"), n)


def test_bad_arguments():
    with pytest.raises(ValueError):
        CAL.add_working_days(at("2026-03-02 09:00"), 1, count_from="tomorrow")
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_days(datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError):
        CAL.working_day_start(midnight("2026-03-03"), 0)


@pytest.mark.parametrize(
    "day, include_self, expected",
    [
        ("2026-02-13", False, "2026-02-14"),
        ("2026-02-14", False, "2026-02-24"),
        ("2026-02-14", True, "2026-02-14"),
        ("2026-02-16", True, "2026-02-24"),
        ("2025-12-31", False, "2026-01-04"),
    ],
)
def test_next_working_day(day, include_self, expected):
    assert CAL.next_working_day(d(day), include_self=include_self) == d(expected)


H = 3600.0


@pytest.mark.parametrize(
    "a, b, seconds",
    [
        # Fri 16:00 -> Tue 12:00 across Spring Festival: 8 h + Sat 2/14 (24 h) + 12 h.
        ("2026-02-13 16:00", "2026-02-24 12:00", 44 * H),
        ("2026-02-16 08:00", "2026-02-23 20:00", 0.0),  # entirely inside the holiday
        ("2026-02-16 08:00", "2026-02-16 09:00", 0.0),
        ("2026-03-02 08:00", "2026-03-02 09:30", 1.5 * H),
        ("2026-03-06 12:00", "2026-03-09 12:00", 24 * H),  # a weekend in between
        ("2026-02-13 00:00", "2026-02-26 00:00", 4 * 24 * H),  # 2/13, 2/14, 2/24, 2/25
        ("2026-12-31 00:00", "2027-01-01 00:00", 24 * H),  # ends at 2027's first instant: 2027 untouched
        ("2025-12-31 12:00", "2026-01-05 12:00", 12 * H + 24 * H + 12 * H),  # 12/31 half, Sun 1/4, 1/5 half
    ],
)
def test_working_seconds_between(a, b, seconds):
    assert CAL.working_seconds_between(at(a), at(b)) == seconds
    assert CAL.working_seconds_between(at(b), at(a)) == -seconds
    assert CAL.working_days_between(at(a), at(b)) == seconds / 86400


def test_working_seconds_between_same_instant_and_missing_year():
    assert CAL.working_seconds_between(at("2027-05-05 10:00"), at("2027-05-05 10:00")) == 0.0
    with pytest.raises(CalendarMissing):
        CAL.working_seconds_between(at("2026-12-31 00:00"), at("2027-01-01 00:01"))
    with pytest.raises(CalendarMissing):
        CAL.working_seconds_between(at("2027-01-01 00:01"), at("2026-12-31 00:00"))


@pytest.mark.parametrize(
    "start, seconds, expected",
    [
        ("2026-02-13 16:00", 8 * H, "2026-02-14 00:00"),  # exactly the rest of Fri: its closing midnight
        ("2026-02-13 16:00", 9 * H, "2026-02-14 01:00"),
        ("2026-02-13 16:00", 33 * H, "2026-02-24 01:00"),  # 8 h Fri + 24 h Sat 2/14 + 1 h
        ("2026-02-16 10:00", 2 * H, "2026-02-24 02:00"),  # starts on a holiday: counts from 2/24
        ("2026-02-16 10:00", 0.0, "2026-02-16 10:00"),
        ("2026-03-02 10:00", 1.5 * H, "2026-03-02 11:30"),
        # Backward mirrors it and lands on a working day's start rather than the previous one's end.
        ("2026-02-24 02:00", -2 * H, "2026-02-24 00:00"),
        ("2026-02-24 02:00", -3 * H, "2026-02-14 23:00"),
        ("2026-02-24 00:00", -24 * H, "2026-02-14 00:00"),
    ],
)
def test_add_working_seconds(start, seconds, expected):
    result = CAL.add_working_seconds(at(start), seconds)
    assert result == at(expected)
    assert result.tzinfo is UTC


def test_extending_a_due_by_a_paused_span():
    # Paused Fri 2026-02-13 16:00 until Tue 2/24 12:00 = 44 working hours; a due of Thu 2/26 00:00 moves
    # by 44 working hours: all of 2/26 (24 h), then 20 h into Fri 2/27.
    paused = CAL.working_seconds_between(at("2026-02-13 16:00"), at("2026-02-24 12:00"))
    assert CAL.add_working_seconds(midnight("2026-02-26"), paused) == at("2026-02-27 20:00")
    # 68 working hours reach 20 h into the make-up Saturday 2/28.
    assert CAL.add_working_seconds(midnight("2026-02-26"), 68 * H) == at("2026-02-28 20:00")


@pytest.mark.parametrize(
    "due, n_back, expected",
    [
        ("2026-02-26 00:00", 1, "2026-02-25 00:00"),  # due at the end of 2/25: its start
        ("2026-02-26 00:00", 2, "2026-02-24 00:00"),
        ("2026-02-26 00:00", 3, "2026-02-14 00:00"),  # across the holiday to the make-up Saturday
        ("2026-02-24 00:00", 1, "2026-02-14 00:00"),
        ("2026-02-24 12:00", 1, "2026-02-14 12:00"),  # a due inside a working day: same clock time
        ("2026-03-03 00:00", 1, "2026-03-02 00:00"),
        ("2027-01-01 00:00", 1, "2026-12-31 00:00"),  # 2027 is not needed
    ],
)
def test_working_day_start(due, n_back, expected):
    assert CAL.working_day_start(at(due), n_back) == at(expected)


def test_warning_instant_working_days():
    start, due = at("2026-02-13 16:00"), midnight("2026-02-26")
    assert warning_instant(start, due, limit_kind="wd", calendar=CAL) == midnight("2026-02-25")
    # A one-day limit counted from the same day warns at once, never before the start.
    start = at("2026-03-02 10:00")
    due = CAL.add_working_days(start, 1, count_from="same_day")
    assert warning_instant(start, due, limit_kind="wd", calendar=CAL) == start


def test_warning_instant_clock_limits():
    start = at("2026-02-16 10:00")  # a holiday: clock limits run anyway
    due = add_clock(start, hours=24)
    assert due == at("2026-02-17 10:00")
    assert warning_instant(start, due, limit_kind="h", calendar=CAL) == at("2026-02-17 04:00")
    due = add_clock(start, minutes=30)
    assert warning_instant(start, due, limit_kind="min", calendar=CAL) == at("2026-02-16 10:22:30")
    assert warning_instant(start, due, limit_kind="min", fraction=0.5, calendar=CAL) == at("2026-02-16 10:15")
    with pytest.raises(ValueError):
        warning_instant(start, due, limit_kind="weeks", calendar=CAL)


def test_add_clock_returns_utc():
    result = add_clock(at("2026-02-16 10:00"), minutes=15)
    assert result.tzinfo is UTC and result == at("2026-02-16 10:15")


def test_make_up_day_in_custom_calendar():
    # A calendar built from plain collections behaves like the package's.
    cal = calendar_from_days([2030], [d("2030-01-01")], [d("2030-01-05")])
    assert isinstance(cal, WorkCalendar)
    assert not cal.is_working_day(d("2030-01-01"))
    assert cal.is_working_day(d("2030-01-05"))  # a Saturday
    assert cal.add_working_days(at("2029-12-31 10:00"), 1) == midnight("2030-01-03")  # 2029 not needed


@pytest.mark.parametrize(
    "today, known, gaps",
    [
        ("2026-10-31", {2026}, []),
        ("2026-11-01", {2026}, [("next", 2027)]),
        ("2026-11-26", {2026}, [("next", 2027)]),
        ("2026-11-01", {2026, 2027}, []),
        ("2026-12-31", {2026}, [("next", 2027)]),
        ("2027-01-05", {2026}, [("current", 2027)]),
        ("2027-11-01", set(), [("current", 2027), ("next", 2028)]),
        ("2026-06-01", {2026}, []),
    ],
)
def test_calendar_gaps(today, known, gaps):
    assert calendar_gaps(d(today), known) == gaps


def test_calendar_warning():
    assert calendar_warning(d("2026-10-31"), {2026}) is None
    assert calendar_warning(d("2026-11-01"), {2026, 2027}) is None
    message = calendar_warning(d("2026-11-01"), {2026})
    assert "2027" in message and "State Council" in message
    assert "2027" in calendar_warning(d("2027-01-02"), {2026})
    assert calendar_warning(d("2026-11-01"), {2026}, translate=lambda s: "[zh] " + s).startswith("[zh] There is")


# Property: for next-day counting, the due is a local midnight, the day before it works, and exactly n
# working days lie strictly between the start's date and the due.
@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30, 23, 59)),
    n=st.integers(min_value=1, max_value=15),
)
def test_property_next_day(start, n):
    start = start.replace(tzinfo=TZ)
    due = CAL.add_working_days(start, n)
    local_due = due.astimezone(TZ)
    assert (local_due.hour, local_due.minute, local_due.second, local_due.microsecond) == (0, 0, 0, 0)
    assert CAL.is_working_day(local_due.date() - timedelta(days=1))
    first = start.date() + timedelta(days=1)
    between = [first + timedelta(days=i) for i in range((local_due.date() - first).days)]
    assert sum(CAL.is_working_day(x) for x in between) == n
    next_midnight = datetime.combine(first, datetime.min.time(), tzinfo=TZ)
    assert CAL.working_days_between(next_midnight, due) == n
    assert CAL.working_day_start(due, n) >= next_midnight
    assert CAL.working_days_between(CAL.working_day_start(due, 1), due) == 1


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30)),
    seconds=st.integers(min_value=0, max_value=15 * 86400),
)
def test_property_add_working_seconds_round_trip(start, seconds):
    start = start.replace(tzinfo=TZ, microsecond=0)
    end = CAL.add_working_seconds(start, seconds)
    assert end >= start
    counted_from = (
        start
        if CAL.is_working_day(start.date())
        else datetime.combine(CAL.next_working_day(start.date()), datetime.min.time(), tzinfo=TZ)
    )
    assert CAL.working_seconds_between(start, end) == seconds
    if seconds:
        assert CAL.add_working_seconds(end, -seconds) == counted_from
