"""The calendar grids, the iCalendar export and the best-time suggestion: plain functions."""
from datetime import UTC, date, datetime, timedelta

from publishing import planner
from publishing.planner import Entry


def test_the_month_grid_starts_on_monday_and_places_campaigns_on_every_day():
    campaign = Entry(uid="c1", title="Campaign", start=date(2026, 11, 30), end=date(2026, 12, 2), kind="campaign")
    post = Entry(uid="p1", title="Post", start=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    weeks = planner.month_grid(2026, 11, [campaign, post])
    assert weeks[0][0]["date"] == date(2026, 10, 26) and not weeks[0][0]["in_month"]
    days = {d["date"]: d["entries"] for week in weeks for d in week}
    assert days[date(2026, 11, 3)] == [post]
    assert days[date(2026, 11, 30)] == [campaign] and days[date(2026, 12, 2)] == [campaign]


def test_the_fortnightly_grid_has_a_row_per_channel_and_one_for_campaigns():
    start = planner.fortnight_start(date(2026, 11, 19))
    assert start == date(2026, 11, 16)
    post = Entry(uid="p", title="P", start=datetime(2026, 11, 17, 10, tzinfo=UTC), channels=("@B", "@A"))
    campaign = Entry(uid="c", title="C", start=date(2026, 11, 1), end=date(2026, 11, 16), kind="campaign")
    grid = planner.fortnight_grid(start, [post, campaign])
    assert len(grid["days"]) == 14
    assert [row["label"] for row in grid["rows"]] == ["@A", "@B", "Campaigns"]
    assert grid["rows"][0]["cells"][1] == [post] and grid["rows"][2]["cells"][0] == [campaign]


def test_ics_escapes_folds_and_ends_all_day_events_the_next_day():
    long_title = "Council tax; bills, and " + "é" * 80
    body = planner.to_ics([
        Entry(uid="post-1", title=long_title, start=datetime(2026, 11, 3, 9, 30, tzinfo=UTC), url="https://a/1",
              channels=("@Council",), description="Line one\nLine two"),
        Entry(uid="campaign-2", title="Week", start=date(2026, 11, 2), end=date(2026, 11, 8), kind="campaign"),
    ], name="Plan", stamp=datetime(2026, 11, 1, tzinfo=UTC), domain="council.example")
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Council tax\\; bills\\, and " in unfolded
    assert "DTSTART:20261103T093000Z" in unfolded and "UID:post-1@council.example" in unfolded
    assert "DESCRIPTION:Channels: @Council\\nLine one\\nLine two" in unfolded
    assert "DTSTART;VALUE=DATE:20261102" in unfolded and "DTEND;VALUE=DATE:20261109" in unfolded


def test_the_best_time_is_the_busiest_hour_of_the_week():
    now = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)  # a Thursday
    tuesday_noon = datetime(2026, 11, 10, 12, 20, tzinfo=UTC)
    activity = [(tuesday_noon, 1)] * 15 + [(datetime(2026, 11, 12, 18, 5, tzinfo=UTC), 3)] * 6
    suggestion = planner.best_time(activity, now=now, weeks=8)
    assert (suggestion.weekday, suggestion.hour) == (3, 18)  # Thursday 18:00 weighs 18 against 15
    assert suggestion.next_at == datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
    assert "Thursdays between 18:00 and 19:00 (18 of 33" in suggestion.explanation


def test_with_too_little_activity_the_usual_time_is_suggested_and_said_so():
    now = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)
    suggestion = planner.best_time([(now - timedelta(days=1), 5)], now=now, weeks=8)
    assert (suggestion.weekday, suggestion.hour) == planner.DEFAULT_SLOT
    assert suggestion.next_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert "too few to tell" in suggestion.explanation
