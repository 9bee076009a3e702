"""Pages format times, durations, values and log prefixes one way: the Python filters
(webapp/views/formatting.py) and the browser's Funcpad.format give the same text."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import login
from webapp.views import formatting

pytestmark = pytest.mark.browser

TIMES = ["2026-12-02T05:11:03.123456+00:00", "2026-01-31T23:59:59+08:00", None]
DURATIONS = [0, 0.4, 114.1, 999.4, 1000, 1250.5, 59_994, 60_000, 125_000, None]
VALUES = [None, True, 3, 1.5, "text", {"a": [1, None]}, []]


def test_python_and_javascript_format_alike(page):
    login(page)
    js = page.evaluate(
        """([times, durations, values]) => ({
            times: times.map((t) => Funcpad.format.time(t)),
            durations: durations.map((d) => Funcpad.format.duration(d)),
            values: values.map((v) => Funcpad.format.value(v)),
        })""",
        [TIMES, DURATIONS, VALUES],
    )
    assert js["times"] == [formatting.time_text(t) for t in TIMES]
    assert js["durations"] == [formatting.duration_text(d) for d in DURATIONS]
    assert js["values"] == [formatting.value_text(v) for v in VALUES]
    assert js["times"][0] == "2026-12-02 05:11:03" and js["times"][1] == "2026-01-31 15:59:59"
    assert js["durations"][2:7] == ["114 ms", "999 ms", "1.00 s", "1.25 s", "59.99 s"]
    assert js["durations"][7:9] == ["1 min 00 s", "2 min 05 s"]

    start = datetime(2026, 12, 2, 5, 0, 0, tzinfo=UTC)
    # Microseconds as the server stores them: both sides count whole milliseconds.
    lines = [
        {"time": (start + timedelta(microseconds=us)).isoformat()}
        for us in (2_999, 131_400, 1_131_999)
    ]
    expected = formatting.log_prefixes(lines, start + timedelta(microseconds=700))
    got = page.evaluate(
        """([lines, start]) => {
            let previous = start;
            return lines.map((line) => {
                const text = Funcpad.format.logPrefix(line.time, previous, start);
                previous = line.time;
                return text;
            });
        }""",
        [lines, (start + timedelta(microseconds=700)).isoformat()],
    )
    assert got == expected
    assert expected[1] == "[12-02 05:00:00] [+129ms] [131ms]"
