"""Deadline and warning arithmetic (domain.md §5). Pure: no database, no clock.

The calendar comes straight from the ``chinesecalendar`` package; expected instants are written out by
hand from the State Council notices (2026 Spring Festival: 15-23 February off, 14 and 28 February
worked; 2026 New Year: 1-2 January off, Sunday 4 January worked).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from yihaotong.directory.data.time_limits import POLICY_DEFAULTS, TIME_LIMITS
from yihaotong.workorders import deadlines as D
from yihaotong.workorders.deadlines import Limit, RuleView
from yihaotong.worktime.calendar import CalendarMissing, calendar_from_package

TZ = ZoneInfo("Asia/Shanghai")
CAL = calendar_from_package([2025, 2026])
CAL_2026 = calendar_from_package([2026])
T0 = datetime(2026, 3, 9, 9, 0, tzinfo=TZ)  # Monday, ordinary week


def at(month, day, hour=0, minute=0, year=2026, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def rule(request_type, urgency, sign=(1, "wd"), handle=(7, "wd")):
    return RuleView(request_type, urgency, Limit(*sign), Limit(*handle))


def seeded_rules() -> list[RuleView]:
    return [
        RuleView(
            r["request_type"],
            r["urgency"],
            Limit(r["sign_value"], r["sign_unit"]),
            Limit(r["handle_value"], r["handle_unit"] or ""),
        )
        for r in TIME_LIMITS
    ]


def policy_clock(start, limit, cal=CAL):
    return D.make_clock(
        start,
        limit,
        cal,
        count_from=POLICY_DEFAULTS["count_from"],
        yellow_fraction=POLICY_DEFAULTS["yellow_hour_fraction"],
        yellow_working_days=POLICY_DEFAULTS["yellow_working_days"],
    )


# ---------------------------------------------------------------------------------------------------------
# the seeded defaults (Sichuan 2025)


@pytest.mark.parametrize(
    ("request_type", "urgency", "sign", "handle"),
    [
        ("consult", "normal", (1, "wd"), (3, "wd")),
        ("help", "normal", (1, "wd"), (7, "wd")),
        ("suggest", "normal", (1, "wd"), (7, "wd")),
        ("complaint", "normal", (1, "wd"), (15, "wd")),
        ("report", "normal", (1, "wd"), (15, "wd")),
        ("complaint", "urgent", (30, "min"), (24, "h")),
        ("consult", "urgent", (30, "min"), (24, "h")),
        ("report", "critical", (15, "min"), (None, "")),
    ],
)
def test_seeded_rules_give_the_provincial_defaults(request_type, urgency, sign, handle):
    picked = D.pick_rule(seeded_rules(), request_type, urgency)
    assert (picked.sign.value, picked.sign.unit) == sign
    assert (picked.handle.value, picked.handle.unit) == handle


def test_policy_defaults():
    assert POLICY_DEFAULTS["return_window_wd"] == 2
    assert POLICY_DEFAULTS["extension_max_wd"] == 10
    assert POLICY_DEFAULTS["callback_wd"] == 1
    assert POLICY_DEFAULTS["redo_window_days"] == 30
    assert POLICY_DEFAULTS["redo_max_rounds"] == 2
    assert POLICY_DEFAULTS["yellow_hour_fraction"] == 0.25
    assert POLICY_DEFAULTS["yellow_working_days"] == 1
    assert POLICY_DEFAULTS["count_from"] == "next_day"
    assert POLICY_DEFAULTS["clock_start"] == "dispatch"


# ---------------------------------------------------------------------------------------------------------
# pick_rule


TYPE_RULE = rule("complaint", None, handle=(15, "wd"))
URGENCY_RULE = rule(None, "urgent", sign=(30, "min"), handle=(24, "h"))
BOTH_RULE = rule("complaint", "urgent", sign=(10, "min"), handle=(12, "h"))
OTHER_TYPE = rule("consult", None, handle=(3, "wd"))
OTHER_BOTH = rule("consult", "urgent", handle=(2, "h"))


@pytest.mark.parametrize("reverse", [False, True])
def test_pick_rule_urgency_beats_type(reverse):
    rules = [TYPE_RULE, URGENCY_RULE, OTHER_TYPE]
    rules = rules[::-1] if reverse else rules
    assert D.pick_rule(rules, "complaint", "urgent") is URGENCY_RULE
    assert D.pick_rule(rules, "complaint", "normal") is TYPE_RULE
    assert D.pick_rule(rules, "consult", "urgent") is URGENCY_RULE


@pytest.mark.parametrize("reverse", [False, True])
def test_pick_rule_type_and_urgency_beats_both(reverse):
    rules = [TYPE_RULE, URGENCY_RULE, BOTH_RULE, OTHER_BOTH]
    rules = rules[::-1] if reverse else rules
    assert D.pick_rule(rules, "complaint", "urgent") is BOTH_RULE
    assert D.pick_rule(rules, "consult", "urgent") is OTHER_BOTH
    assert D.pick_rule(rules, "suggest", "urgent") is URGENCY_RULE
    assert D.pick_rule(rules, "complaint", "normal") is TYPE_RULE


def test_pick_rule_without_a_match():
    assert D.pick_rule([], "complaint", "normal") is None
    assert D.pick_rule([OTHER_TYPE, OTHER_BOTH], "complaint", "normal") is None
    assert D.pick_rule([URGENCY_RULE], "complaint", "normal") is None
    # A rule for any type and any urgency catches everything, and loses to anything more specific.
    catch_all = rule(None, None)
    assert D.pick_rule([catch_all], "praise", "critical") is catch_all
    assert D.pick_rule([catch_all, TYPE_RULE], "complaint", "normal") is TYPE_RULE


# ---------------------------------------------------------------------------------------------------------
# due_after


def test_due_after_working_days_ends_at_the_end_of_the_last_working_day():
    # Complaint dispatched Monday 9 March: day 1 is Tuesday 10 March, day 15 is Monday 30 March.
    assert D.due_after(T0, Limit(15, "wd"), CAL, count_from="next_day") == at(3, 31)
    # Sign-for: one working day, counted from the next day → end of Tuesday.
    assert D.due_after(T0, Limit(1, "wd"), CAL, count_from="next_day") == at(3, 11)
    # Counting from the same day: Monday is day 1.
    assert D.due_after(T0, Limit(3, "wd"), CAL, count_from="same_day") == at(3, 12)
    # A Friday evening start skips the weekend.
    assert D.due_after(at(3, 13, 18), Limit(1, "wd"), CAL, count_from="next_day") == at(3, 17)
    # A Saturday start counted from the same day starts on Monday.
    assert D.due_after(at(3, 14, 10), Limit(1, "wd"), CAL, count_from="same_day") == at(3, 17)


def test_due_after_returns_aware_utc():
    due = D.due_after(T0, Limit(15, "wd"), CAL, count_from="next_day")
    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2026, 3, 30, 16, 0, tzinfo=ZoneInfo("UTC"))


def test_due_after_clock_limits_ignore_weekends_and_holidays():
    friday_evening = at(3, 13, 18)
    assert D.due_after(friday_evening, Limit(24, "h"), CAL, count_from="next_day") == at(3, 14, 18)
    assert D.due_after(friday_evening, Limit(30, "min"), CAL, count_from="next_day") == at(3, 13, 18, 30)
    new_year_eve = at(12, 31, 23, 50, year=2025)
    assert D.due_after(new_year_eve, Limit(15, "min"), CAL, count_from="next_day") == at(1, 1, 0, 5)
    # Clock limits need no calendar year at all.
    assert D.due_after(at(12, 31, 12), Limit(24, "h"), CAL_2026, count_from="next_day") == at(1, 1, 12, year=2027)


def test_due_after_refuses_an_unset_or_unknown_limit():
    with pytest.raises(ValueError):
        D.due_after(T0, Limit(None, ""), CAL, count_from="next_day")
    with pytest.raises(ValueError):
        D.due_after(T0, Limit(0, "wd"), CAL, count_from="next_day")
    with pytest.raises(ValueError):
        D.due_after(T0, Limit(3, "days"), CAL, count_from="next_day")


def test_due_after_in_a_year_without_calendar_is_an_error_not_a_guess():
    with pytest.raises(CalendarMissing) as exc:
        D.due_after(at(12, 25), Limit(15, "wd"), CAL_2026, count_from="next_day")
    assert exc.value.year == 2027


def test_due_after_across_the_new_year_with_a_make_up_sunday():
    # Tue 30 Dec 2025 + 3 wd: 31 Dec (1); 1-2 Jan off; Sun 4 Jan worked (2); Mon 5 Jan (3).
    start = at(12, 30, 15, year=2025)
    assert D.due_after(start, Limit(3, "wd"), CAL, count_from="next_day") == at(1, 6)


# ---------------------------------------------------------------------------------------------------------
# Spring Festival 2026


def test_spring_festival_complaint_dispatched_10_february():
    start = at(2, 10, 10)  # Tuesday, the week before the holiday
    clock = policy_clock(start, Limit(15, "wd"))
    # 11, 12, 13 Feb (3), Sat 14 Feb make-up (4), 15-23 Feb off, 24-27 Feb (8), Sat 28 Feb make-up (9),
    # 2-6 Mar (14), Mon 9 Mar (15): due at the end of 9 March.
    assert clock.due == at(3, 10)
    assert clock.warn_at == at(3, 9)
    assert clock.unit == "wd"
    assert clock.start == start
    sign = policy_clock(start, Limit(1, "wd"))
    assert sign.due == at(2, 12)
    assert sign.warn_at == at(2, 11)


def test_spring_festival_consultation_counts_the_make_up_saturday():
    # Friday 13 Feb + 3 wd: Sat 14 Feb (1), Tue 24 Feb (2), Wed 25 Feb (3).
    assert D.due_after(at(2, 13, 16), Limit(3, "wd"), CAL, count_from="next_day") == at(2, 26)
    # Started during the holiday: day 1 is the first working day after it.
    assert D.due_after(at(2, 18, 10), Limit(1, "wd"), CAL, count_from="next_day") == at(2, 25)
    assert D.due_after(at(2, 18, 10), Limit(1, "wd"), CAL, count_from="same_day") == at(2, 25)


def test_yellow_warning_before_a_due_right_after_the_holiday():
    due = at(2, 25)  # end of Tuesday 24 Feb, the first working day after the holiday
    assert D.warn_before(at(2, 10), due, "wd", CAL, yellow_fraction=0.25) == at(2, 24)
    # Two working days before: the start of the make-up Saturday 14 February.
    assert D.warn_before(at(2, 10), due, "wd", CAL, yellow_fraction=0.25, yellow_working_days=2) == at(2, 14)


# ---------------------------------------------------------------------------------------------------------
# warn_before


def test_warn_before_working_days_is_the_start_of_the_last_working_day():
    assert D.warn_before(T0, at(3, 31), "wd", CAL, yellow_fraction=0.25) == at(3, 30)
    # The last working day is a Monday: the weekend before it does not count.
    assert D.warn_before(T0, at(3, 17), "wd", CAL, yellow_fraction=0.25) == at(3, 16)
    assert D.warn_before(T0, at(3, 17), "wd", CAL, yellow_fraction=0.25, yellow_working_days=2) == at(3, 13)


def test_warn_before_is_never_before_the_start():
    start = at(3, 16, 9)
    assert D.warn_before(start, at(3, 17), "wd", CAL, yellow_fraction=0.25) == start
    assert D.warn_before(start, at(3, 17), "wd", CAL, yellow_fraction=0.25, yellow_working_days=3) == start


def test_warn_before_hour_limits_is_a_quarter_of_the_limit():
    assert D.warn_before(T0, T0 + timedelta(hours=24), "h", CAL, yellow_fraction=0.25) == T0 + timedelta(hours=18)
    assert D.warn_before(T0, T0 + timedelta(minutes=30), "min", CAL, yellow_fraction=0.25) == T0 + timedelta(
        minutes=22, seconds=30
    )
    assert D.warn_before(T0, T0 + timedelta(minutes=15), "min", CAL, yellow_fraction=0.25) == T0 + timedelta(
        minutes=11, seconds=15
    )
    # The fraction is policy, not a constant.
    assert D.warn_before(T0, T0 + timedelta(hours=10), "h", CAL, yellow_fraction=0.5) == T0 + timedelta(hours=5)


def test_make_clock_and_clock_with_due():
    clock = policy_clock(T0, Limit(15, "wd"))
    assert clock == D.Clock(start=T0, due=at(3, 31), warn_at=at(3, 30), unit="wd")
    urgent = policy_clock(T0, Limit(24, "h"))
    assert urgent == D.Clock(start=T0, due=T0 + timedelta(hours=24), warn_at=T0 + timedelta(hours=18), unit="h")
    # A deadline set by the dispatcher (特急): four hours, warned at three.
    given = D.clock_with_due(T0, T0 + timedelta(hours=4), CAL, unit="h", yellow_fraction=0.25)
    assert given == D.Clock(start=T0, due=T0 + timedelta(hours=4), warn_at=T0 + timedelta(hours=3), unit="h")
    # An extended working-day deadline keeps the one-working-day warning.
    extended = D.clock_with_due(T0, at(4, 8), CAL, unit="wd", yellow_fraction=0.25)
    assert extended.warn_at == at(4, 7)


# ---------------------------------------------------------------------------------------------------------
# warning level and the next instant the sweep must look at

WARN = at(3, 30)
DUE = at(3, 31)


@pytest.mark.parametrize(
    ("now", "level", "next_instant"),
    [
        (T0, "none", WARN),
        (WARN - timedelta(seconds=1), "none", WARN),
        (WARN, "yellow", DUE),
        (at(3, 30, 17), "yellow", DUE),
        (DUE - timedelta(microseconds=1), "yellow", DUE),
        (DUE, "red", None),
        (at(4, 20), "red", None),
    ],
)
def test_warning_level_and_next_warning_instant(now, level, next_instant):
    assert D.warning_level(now, WARN, DUE) == level
    assert D.next_warning_instant(now, WARN, DUE) == next_instant


def test_warning_level_without_a_clock():
    assert D.warning_level(T0, None, None) == "none"
    assert D.next_warning_instant(T0, None, None) is None
    # A warn instant without a due does not warn either.
    assert D.warning_level(at(4, 1), WARN, None) == "none"
    # A due without a warn instant goes straight to red.
    assert D.warning_level(at(3, 30, 12), None, DUE) == "none"
    assert D.next_warning_instant(at(3, 30, 12), None, DUE) == DUE
    assert D.warning_level(DUE, None, DUE) == "red"


def test_level_rank_orders_the_levels():
    assert D.LEVEL_RANK[D.NONE] < D.LEVEL_RANK[D.YELLOW] < D.LEVEL_RANK[D.RED]
