"""The working-day clock: bank holidays, BST, out-of-hours starts, SLA and FOI due dates."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from triage import clock

LONDON = ZoneInfo("Europe/London")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


# --- the calendar -------------------------------------------------------------------------

@pytest.mark.parametrize("day, name", [
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "Boxing Day (observed)"),
    (date(2027, 1, 1), "New Year's Day"),
])
def test_holidays_package_agrees_with_the_bank_holidays(day, name):
    assert holidays.country_holidays("GB", subdiv="ENG").get(day) == name
    assert clock.bank_holiday_name(day) == name
    assert not clock.is_working_day(day)


def test_weekdays_between_the_holidays_are_working_days():
    assert clock.is_working_day(date(2026, 12, 24))  # Christmas Eve is not a bank holiday
    assert clock.is_working_day(date(2026, 12, 29))
    assert not clock.is_working_day(date(2026, 12, 26))  # a Saturday
    assert clock.is_working_day(date(2026, 4, 2))


def test_scottish_bank_holidays_count_only_when_the_calendar_includes_them():
    second_of_january = date(2026, 1, 2)  # a Friday; a bank holiday in Scotland only
    assert clock.is_working_day(second_of_january)
    whole_uk = clock.WorkingCalendar(holiday_subdivs=("ENG", "SCT", "NIR"))
    assert not clock.is_working_day(second_of_january, calendar=whole_uk)
    assert not clock.is_working_day(date(2026, 3, 17), calendar=whole_uk)  # St Patrick's Day


def test_a_calendar_rejects_impossible_hours():
    with pytest.raises(ValueError):
        clock.WorkingCalendar(start=time(17), end=time(9))
    with pytest.raises(ValueError):
        clock.WorkingCalendar(weekdays=())


# --- working time and BST -----------------------------------------------------------------

@pytest.mark.parametrize("moment, working", [
    (utc(2026, 3, 27, 8, 30), False),  # 08:30 GMT, before opening
    (utc(2026, 3, 30, 8, 30), True),  # 09:30 BST: the clocks went forward on 29 March
    (utc(2026, 10, 23, 16, 0), False),  # 17:00 BST, closed
    (utc(2026, 10, 26, 16, 0), True),  # 16:00 GMT after the clocks went back on 25 October
    (utc(2026, 6, 17, 8, 0), True),  # 09:00 BST exactly: opening time is working time
    (london(2026, 6, 17, 17, 0), False),  # closing time itself is not
    (london(2026, 4, 3, 12, 0), False),  # Good Friday
    (london(2026, 12, 26, 12, 0), False),  # Saturday
])
def test_is_working_time_in_london_time(moment, working):
    assert clock.is_working_time(moment) is working
    assert clock.out_of_hours(moment) is (not working)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.is_working_time(datetime(2026, 6, 17, 10, 0))
    with pytest.raises(ValueError):
        clock.sla_due(datetime(2026, 6, 17, 10, 0), "customer_service")


@pytest.mark.parametrize("received, expected", [
    (london(2026, 6, 17, 10, 15), london(2026, 6, 17, 10, 15)),  # in hours: now
    (london(2026, 6, 17, 7, 0), london(2026, 6, 17, 9, 0)),  # early: opening time
    (london(2026, 6, 17, 17, 0), london(2026, 6, 18, 9, 0)),  # at closing: next morning
    (london(2026, 6, 19, 22, 0), london(2026, 6, 22, 9, 0)),  # Friday night: Monday
    (london(2026, 12, 24, 18, 0), london(2026, 12, 29, 9, 0)),  # over Christmas and Boxing Day
    (london(2026, 12, 31, 17, 30), london(2027, 1, 4, 9, 0)),  # New Year's Day, then the weekend
    (london(2026, 4, 2, 20, 0), london(2026, 4, 7, 9, 0)),  # Easter 2026
    (london(2027, 3, 25, 20, 0), london(2027, 3, 30, 9, 0)),  # Easter 2027
])
def test_next_working_moment(received, expected):
    result = clock.next_working_moment(received)
    assert result == expected
    assert result.tzinfo is UTC


def test_next_working_moment_across_the_change_to_bst():
    # Saturday 28 March 2026, 12:00 GMT; Monday 30 March opens at 09:00 BST = 08:00 UTC.
    assert clock.next_working_moment(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 8, 0)


def test_end_of_working_day():
    assert clock.end_of_working_day(utc(2026, 6, 17, 9, 30)) == utc(2026, 6, 17, 16, 0)  # 17:00 BST
    assert clock.end_of_working_day(utc(2026, 1, 14, 9, 30)) == utc(2026, 1, 14, 17, 0)  # 17:00 GMT
    assert clock.end_of_working_day(london(2026, 6, 19, 18, 0)) == london(2026, 6, 22, 17, 0)


# --- adding working time ----------------------------------------------------------------------

def test_add_working_hours_within_a_day():
    assert clock.add_working_hours(london(2026, 6, 17, 10, 0), 2) == london(2026, 6, 17, 12, 0)
    assert clock.add_working_hours(london(2026, 6, 17, 15, 0), 2) == london(2026, 6, 17, 17, 0)


def test_add_working_hours_carries_over_the_weekend_and_the_change_to_bst():
    # Friday 27 March 2026 16:30 GMT: half an hour that day, 1.5 hours on Monday 30 March (BST).
    due = clock.add_working_hours(utc(2026, 3, 27, 16, 30), 2)
    assert due == london(2026, 3, 30, 10, 30)
    assert due == utc(2026, 3, 30, 9, 30)


def test_add_working_hours_across_the_change_back_to_gmt():
    # 16:00 UTC on Friday 23 October 2026 is 17:00 BST: out of hours, so the clock starts on
    # Monday 26 October at 09:00 GMT.
    assert clock.add_working_hours(utc(2026, 10, 23, 16, 0), 2) == utc(2026, 10, 26, 11, 0)


def test_add_working_hours_over_christmas():
    assert clock.add_working_hours(london(2026, 12, 24, 16, 0), 2) == london(2026, 12, 29, 10, 0)
    # 7 hours on Christmas Eve, 8 on Tuesday 29 December, the last on the 30th.
    assert clock.add_working_hours(london(2026, 12, 24, 10, 0), 16) == london(2026, 12, 30, 10, 0)
    assert clock.add_working_hours(london(2026, 12, 24, 10, 0), 15) == london(2026, 12, 29, 17, 0)


def test_add_working_hours_refuses_negative_hours():
    with pytest.raises(ValueError):
        clock.add_working_hours(london(2026, 6, 17, 10, 0), -1)


def test_add_working_days_to_a_date_skips_weekends_and_holidays():
    assert clock.add_working_days(date(2026, 6, 17), 0) == date(2026, 6, 17)
    assert clock.add_working_days(date(2026, 6, 19), 1) == date(2026, 6, 22)
    assert clock.add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)
    assert clock.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)


def test_add_working_days_to_a_datetime_keeps_the_time_of_day():
    assert clock.add_working_days(london(2026, 6, 15, 10, 0), 2) == london(2026, 6, 17, 10, 0)
    # Thursday before Easter 2026: Good Friday and Easter Monday do not count.
    assert clock.add_working_days(london(2026, 4, 2, 11, 0), 2) == london(2026, 4, 8, 11, 0)
    # Out of hours: counted from the next working moment.
    assert clock.add_working_days(london(2026, 6, 13, 12, 0), 2) == london(2026, 6, 17, 9, 0)


def test_custom_working_hours():
    long_day = clock.WorkingCalendar(start=time(8, 30), end=time(17, 30))
    assert clock.is_working_time(london(2026, 6, 17, 8, 45), calendar=long_day)
    assert not clock.is_working_time(london(2026, 6, 17, 8, 45))
    assert clock.add_working_hours(london(2026, 6, 17, 17, 0), 1, calendar=long_day) == london(2026, 6, 18, 9, 0)


# --- FOI: 20 working days, day 1 the first working day after receipt -------------------------

@pytest.mark.parametrize("received, due", [
    (date(2026, 6, 1), date(2026, 6, 29)),  # plain weeks
    (date(2026, 12, 4), date(2027, 1, 6)),  # over 25 and 28 December and 1 January
    (date(2026, 12, 24), date(2027, 1, 26)),  # received on Christmas Eve
    (date(2026, 12, 25), date(2027, 1, 26)),  # received on Christmas Day: day 1 is 29 December
    (date(2026, 3, 20), date(2026, 4, 21)),  # over Easter 2026
    (date(2026, 3, 28), date(2026, 4, 28)),  # received on a Saturday before Easter 2026
    (date(2027, 3, 12), date(2027, 4, 13)),  # over Easter 2027
])
def test_foi_due(received, due):
    assert clock.foi_due(received) == due


def test_foi_due_uses_the_london_date_of_receipt():
    # 23:30 UTC on Tuesday 31 March 2026 is 00:30 BST on Wednesday 1 April.
    assert clock.foi_due(utc(2026, 3, 31, 23, 30)) == date(2026, 5, 1)
    assert clock.foi_due(utc(2026, 3, 31, 22, 30)) == date(2026, 4, 30)
    # Arriving in the evening does not move day 1: it is still the next working day.
    assert clock.foi_due(london(2026, 6, 1, 21, 0)) == date(2026, 6, 29)


def test_foi_due_matches_a_plain_count_for_every_day_of_2026_and_2027():
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027, 2028])

    def plain_count(received):
        day, counted = received, 0
        while counted < 20:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in bank_holidays:
                counted += 1
        return day

    day = date(2026, 1, 1)
    while day.year < 2028:
        assert clock.foi_due(day) == plain_count(day), day
        day += timedelta(days=1)


def test_foi_due_over_every_part_of_the_uk():
    whole_uk = clock.WorkingCalendar(holiday_subdivs=("ENG", "SCT", "NIR"))
    # 2 January 2026 is a Scottish bank holiday; England's count does not skip it.
    assert clock.foi_due(date(2025, 12, 31)) == date(2026, 1, 29)
    assert clock.foi_due(date(2025, 12, 31), calendar=whole_uk) == date(2026, 1, 30)


# --- SLA policies -----------------------------------------------------------------------------------

@pytest.mark.parametrize("received, due", [
    (london(2026, 6, 16, 10, 0), london(2026, 6, 17, 10, 0)),  # Tuesday: 24 hours
    (london(2026, 6, 16, 7, 0), london(2026, 6, 17, 9, 0)),  # early: the clock starts at 09:00
    (london(2026, 6, 19, 20, 0), london(2026, 6, 23, 9, 0)),  # Friday night: starts Monday 09:00
    (london(2026, 6, 19, 16, 0), london(2026, 6, 22, 9, 0)),  # due on Saturday: moved to Monday
    (london(2026, 6, 18, 17, 0), london(2026, 6, 22, 9, 0)),  # at closing: starts Friday 09:00
    (london(2026, 12, 24, 16, 0), london(2026, 12, 29, 9, 0)),  # due on Christmas Day
    (london(2027, 3, 25, 11, 0), london(2027, 3, 30, 9, 0)),  # due on Good Friday 2027
])
def test_customer_service_sla_is_24_hours_from_the_clock_start(received, due):
    assert clock.sla_due(received, "customer_service") == due


def test_customer_service_sla_that_ends_at_closing_time_stays_there():
    # Received at 17:00 on Monday: out of hours, so the clock starts at 09:00 on Tuesday.
    assert clock.sla_due(london(2026, 6, 15, 17, 0), "customer_service") == london(2026, 6, 17, 9, 0)
    assert clock.sla_due(london(2026, 6, 16, 16, 59), "customer_service") == london(2026, 6, 17, 16, 59)
    # Due at exactly 17:00 on a working day: that is still in time, not moved to the next morning.
    policy = {"kind": "elapsed_hours", "amount": 7}
    assert clock.sla_due(london(2026, 6, 16, 10, 0), policy) == london(2026, 6, 16, 17, 0)


@pytest.mark.parametrize("received, due", [
    (london(2026, 6, 17, 10, 0), london(2026, 6, 17, 17, 0)),  # same working day
    (london(2026, 6, 17, 7, 30), london(2026, 6, 17, 17, 0)),  # before opening: that day
    (london(2026, 6, 17, 15, 59), london(2026, 6, 17, 17, 0)),
    (london(2026, 6, 17, 16, 0), london(2026, 6, 18, 17, 0)),  # after the 16:00 cut-off: next day
    (london(2026, 6, 17, 19, 0), london(2026, 6, 18, 17, 0)),  # evening: next working day
    (london(2026, 6, 20, 11, 0), london(2026, 6, 22, 17, 0)),  # Saturday: Monday
    (london(2026, 12, 24, 16, 15), london(2026, 12, 29, 17, 0)),  # Christmas Eve late
    (london(2026, 12, 31, 12, 0), london(2026, 12, 31, 17, 0)),
    (london(2026, 12, 31, 16, 30), london(2027, 1, 4, 17, 0)),
])
def test_web_team_response_is_same_working_day(received, due):
    assert clock.sla_due(received, "web_team_response") == due


def test_the_web_team_cut_off_is_configurable():
    policies = {**clock.SLA_POLICIES, "web_team_response": {"kind": "same_working_day", "cutoff": "15:00"}}
    received = london(2026, 6, 17, 15, 30)
    assert clock.sla_due(received, "web_team_response", policies=policies) == london(2026, 6, 18, 17, 0)
    assert clock.sla_due(received, "web_team_response") == london(2026, 6, 17, 17, 0)


def test_comms_escalation_is_two_working_hours():
    assert clock.sla_due(london(2026, 6, 17, 10, 0), "comms_escalation") == london(2026, 6, 17, 12, 0)
    assert clock.sla_due(utc(2026, 3, 27, 16, 30), "comms_escalation") == utc(2026, 3, 30, 9, 30)
    assert clock.sla_due(london(2027, 3, 25, 16, 0), "comms_escalation") == london(2027, 3, 30, 10, 0)


def test_service_conversation_is_two_working_days():
    assert clock.sla_due(london(2026, 6, 15, 10, 0), "service_conversation") == london(2026, 6, 17, 10, 0)
    # Christmas Eve is day 1; Christmas Day and Boxing Day (observed, Monday 28th) do not count.
    assert clock.sla_due(london(2026, 12, 23, 14, 0), "service_conversation") == london(2026, 12, 29, 14, 0)


def test_foi_sla_is_the_end_of_the_due_day():
    due = clock.sla_due(london(2026, 12, 4, 11, 0), "foi")
    assert due == london(2027, 1, 6, 17, 0)
    assert due == utc(2027, 1, 6, 17, 0)


def test_no_action_and_none_have_no_deadline():
    assert clock.sla_due(london(2026, 6, 17, 10, 0), "no_action") is None
    assert clock.sla_due(london(2026, 6, 17, 10, 0), None) is None


def test_a_policy_can_be_given_inline():
    assert clock.sla_due(london(2026, 6, 17, 10, 0), {"kind": "working_hours", "amount": 4}) == \
        london(2026, 6, 17, 14, 0)


def test_every_sla_result_is_utc():
    for name in clock.SLA_POLICIES:
        due = clock.sla_due(london(2026, 6, 17, 10, 0), name)
        assert due is None or due.tzinfo is UTC


def test_unknown_and_invalid_policies_are_refused():
    with pytest.raises(ValueError, match="Unknown SLA policy"):
        clock.sla_due(london(2026, 6, 17, 10, 0), "whenever")
    with pytest.raises(ValueError, match="positive number"):
        clock.sla_due(london(2026, 6, 17, 10, 0), {"kind": "working_hours", "amount": -2})


@pytest.mark.parametrize("policy, message", [
    ("fast", "must be an object"),
    ({"kind": "soon"}, "Unknown SLA kind"),
    ({"kind": "working_hours"}, "positive number"),
    ({"kind": "working_hours", "amount": True}, "positive number"),
    ({"kind": "working_days", "amount": 1.5}, "whole number"),
    ({"kind": "same_working_day", "cutoff": "late"}, "HH:MM"),
    ({"kind": "elapsed_hours", "amount": 24, "roll_to_working": "yes"}, "true or false"),
    ({"kind": "none", "colour": "red"}, "Unknown SLA setting"),
])
def test_validate_sla_policy(policy, message):
    errors = clock.validate_sla_policy(policy)
    assert any(message in e for e in errors), errors


def test_default_policies_are_valid():
    for policy in clock.SLA_POLICIES.values():
        assert clock.validate_sla_policy(policy) == []
