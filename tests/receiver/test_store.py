"""The point store alone: retention, rollup-based long ranges, replacing a rewritten point."""

import time

from webapp.receiver.store import MINUTE_NS, PointStore


def metric(value, time_ns, host="a"):
    return {"measurement": "m", "tags": {"host": host}, "fields": {"v": value}, "time": time_ns}


def test_retention_prunes_old_points_only(tmp_path):
    store = PointStore(tmp_path / "p.db")
    now = time.time_ns()
    old, recent = now - 8 * 86_400 * 10**9, now - 60 * 10**9
    store.write("metric", [metric(1.0, old), metric(2.0, recent)])
    store.write(
        "logging",
        [
            {"measurement": "app", "tags": {}, "fields": {"message": t}, "time": ts}
            for t, ts in (("old", old), ("new", recent))
        ],
    )
    store.write(
        "object", [{"measurement": "o", "tags": {"name": "x"}, "fields": {"a": 1}, "time": old}]
    )
    removed = store.prune(now - 7 * 86_400 * 10**9)
    assert removed >= 2
    assert [row["value"] for row in store.latest_metrics("m")] == [2.0]
    assert [row["message"] for row in store.query_logs()] == ["new"]


def test_long_ranges_read_the_rollup_and_agree_with_the_samples(tmp_path):
    store = PointStore(tmp_path / "p.db")
    start = (time.time_ns() // MINUTE_NS - 600) * MINUTE_NS
    points = [metric(float(i % 10), start + i * 6 * 10**9) for i in range(6000)]  # 10 h, every 6 s
    store.write("metric", points)
    end = start + 6000 * 6 * 10**9
    (long_range,) = store.query_metric("m", "v", start, end, max_points=100)
    assert 50 <= len(long_range["points"]) <= 101
    overall = sum(v for _t, v in long_range["points"]) / len(long_range["points"])
    assert abs(overall - 4.5) < 0.2  # the mean of 0..9, whichever table answered
    (short_range,) = store.query_metric("m", "v", start, start + 600 * 10**9, max_points=1000)
    assert [v for _t, v in short_range["points"][:3]] == [0.0, 1.0, 2.0]


def test_writing_the_same_point_again_replaces_it(tmp_path):
    store = PointStore(tmp_path / "p.db")
    stamp = time.time_ns()
    store.write("metric", [metric(1.0, stamp)])
    store.write("metric", [metric(5.0, stamp)])
    assert [row["value"] for row in store.latest_metrics("m")] == [5.0]
