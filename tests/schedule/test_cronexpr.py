"""Cron expressions as pure functions of an explicit time."""

from datetime import UTC, datetime

import pytest

from webapp.schedule.cronexpr import CronError, check_timezone, parse


def at(*args):
    return datetime(*args, tzinfo=UTC)


def runs(expr, after, tz="UTC", count=5):
    return [d.isoformat() for d in parse(expr).next_runs(after, tz, count)]


def test_minute_schedule_and_strictly_after():
    assert runs("*/15 * * * *", at(2026, 1, 1, 0, 0), count=3) == [
        "2026-01-01T00:15:00+00:00",
        "2026-01-01T00:30:00+00:00",
        "2026-01-01T00:45:00+00:00",
    ]


def test_six_fields_mean_seconds_first():
    assert runs("*/20 * * * * *", at(2026, 1, 1, 0, 0, 50), count=3) == [
        "2026-01-01T00:01:00+00:00",
        "2026-01-01T00:01:20+00:00",
        "2026-01-01T00:01:40+00:00",
    ]
    assert runs("30 0 12 * * *", at(2026, 1, 1), count=1) == ["2026-01-01T12:00:30+00:00"]


@pytest.mark.parametrize(
    ("alias", "first"),
    [
        ("@hourly", "2026-01-01T01:00:00+00:00"),
        ("@daily", "2026-01-02T00:00:00+00:00"),
        ("@midnight", "2026-01-02T00:00:00+00:00"),
        ("@weekly", "2026-01-04T00:00:00+00:00"),
        ("@monthly", "2026-02-01T00:00:00+00:00"),
        ("@yearly", "2027-01-01T00:00:00+00:00"),
        ("@annually", "2027-01-01T00:00:00+00:00"),
    ],
)
def test_aliases(alias, first):
    assert runs(alias, at(2026, 1, 1, 0, 0), count=1) == [first]


def test_day_of_month_or_day_of_week():
    # The 13th of the month OR any Friday (classic cron rule), January 2026.
    days = [d[:10] for d in runs("0 0 13 * fri", at(2026, 1, 1), count=4)]
    assert days == ["2026-01-02", "2026-01-09", "2026-01-13", "2026-01-16"]


def test_names_and_sunday_as_seven():
    assert runs("0 9 * jan mon", at(2026, 1, 1), count=1) == ["2026-01-05T09:00:00+00:00"]
    assert runs("0 0 * * 7", at(2026, 1, 1), count=1) == runs("0 0 * * 0", at(2026, 1, 1), count=1)


def test_timezone_is_applied_and_results_are_utc():
    assert runs("0 9 * * *", at(2026, 6, 1), "Asia/Shanghai", count=1) == [
        "2026-06-01T01:00:00+00:00"
    ]


def test_spring_forward_runs_once_after_the_gap():
    # America/New_York skips 02:00-03:00 on 2026-03-08.
    assert runs("30 2 * * *", at(2026, 3, 7, 12), "America/New_York", count=3) == [
        "2026-03-08T07:30:00+00:00",  # 03:30 EDT, right after the gap
        "2026-03-09T06:30:00+00:00",
        "2026-03-10T06:30:00+00:00",
    ]


def test_fall_back_runs_a_fixed_time_once():
    # 01:30 happens twice on 2026-11-01 in New York; a daily job runs at the first one only.
    assert runs("30 1 * * *", at(2026, 10, 31, 12), "America/New_York", count=3) == [
        "2026-11-01T05:30:00+00:00",
        "2026-11-02T06:30:00+00:00",
        "2026-11-03T06:30:00+00:00",
    ]


def test_fall_back_keeps_the_pace_of_wildcard_hours():
    assert runs("*/30 * * * *", at(2026, 11, 1, 4, 50), "America/New_York", count=5) == [
        "2026-11-01T05:00:00+00:00",
        "2026-11-01T05:30:00+00:00",  # 01:00, 01:30 EDT
        "2026-11-01T06:00:00+00:00",
        "2026-11-01T06:30:00+00:00",  # 01:00, 01:30 EST again
        "2026-11-01T07:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("expr", "field"),
    [
        ("61 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day_of_month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day_of_week"),
        ("* * * foo *", "month"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("* * 30 2 *", "day_of_month"),
        ("1 2 3", "expression"),
        ("@never", "expression"),
        ("", "expression"),
        ("60 * * * * *", "second"),
    ],
)
def test_errors_name_the_field(expr, field):
    with pytest.raises(CronError) as info:
        parse(expr)
    assert info.value.field == field


def test_describe_in_english_and_chinese():
    assert parse("*/5 * * * *").describe() == "Every 5 minutes"
    assert "分钟" in parse("*/5 * * * *").describe("zh")


def test_timezone_check():
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(CronError) as info:
        check_timezone("Mars/Base")
    assert info.value.field == "timezone"


def test_naive_after_is_refused():
    with pytest.raises(ValueError):
        parse("* * * * *").next_after(datetime(2026, 1, 1), "UTC")
