"""The prometheus helper's time-range rule: start and end in order, as ISO 8601 UTC."""

import datetime

import pytest

from webapp.sdk.conn_prometheus import sorted_time_range


def test_start_and_end_are_ordered_and_written_as_iso():
    got = sorted_time_range({"query": "up", "start": 1700000060000, "end": "1700000000"})
    assert got == {"query": "up", "start": "2023-11-14T22:13:20Z", "end": "2023-11-14T22:14:20Z"}


def test_iso_text_and_datetimes_are_read_and_a_lone_start_is_left_alone():
    moment = datetime.datetime(2023, 11, 14, 22, 13, 20)
    got = sorted_time_range({"start": "2023-11-14T23:00:00+01:00", "end": moment})
    assert got == {"start": "2023-11-14T22:00:00Z", "end": "2023-11-14T22:13:20Z"}
    assert sorted_time_range({"start": "yesterday"}) == {"start": "yesterday"}


def test_a_start_that_is_not_a_time_is_a_clear_error():
    with pytest.raises(ValueError):
        sorted_time_range({"start": "yesterday", "end": 1})
    with pytest.raises(TypeError, match="start / end must be a time"):
        sorted_time_range({"start": [1], "end": 1})
