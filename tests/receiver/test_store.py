"""The point store alone: retention, rollup-based long ranges, replacing a rewritten point."""

import sqlite3
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


def test_points_at_the_same_series_and_time_merge_their_fields(tmp_path):
    store = PointStore(tmp_path / "p.db")
    stamp = time.time_ns()
    point = {"measurement": "m", "tags": {"host": "a"}, "time": stamp}
    store.write("metric", [{**point, "fields": {"a": 1.0, "b": 2}}])
    store.write("metric", [{**point, "fields": {"b": 3, "c": True}}, {**point, "fields": {"d": 4}}])
    latest = {row["field"]: row["value"] for row in store.latest_metrics("m")}
    assert latest == {"a": 1.0, "b": 3, "c": True, "d": 4}
    assert [m["fields"] for m in store.measurements()] == [["a", "b", "c", "d"]]


def test_values_come_back_bit_exact(tmp_path):
    store = PointStore(tmp_path / "p.db")
    values = {"tiny": 5e-324, "pi": 3.141592653589793, "third": 1 / 3, "big": 2**63 - 1}
    store.write("metric", [{"measurement": "m", "tags": {}, "fields": values, "time": 10**18}])
    latest = {row["field"]: row["value"] for row in store.latest_metrics("m")}
    assert {k: repr(v) for k, v in latest.items()} == {k: repr(v) for k, v in values.items()}


def test_a_points_file_in_the_first_layout_is_upgraded_in_place(tmp_path):
    path = tmp_path / "p.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL,
                tags TEXT NOT NULL, UNIQUE (measurement, tags));
            CREATE TABLE metric_samples (series_id INTEGER NOT NULL, field TEXT NOT NULL,
                time INTEGER NOT NULL, value, PRIMARY KEY (series_id, field, time)) WITHOUT ROWID;
            INSERT INTO series VALUES (1, 'm', '{"host":"a"}');
            INSERT INTO metric_samples VALUES (1, 'v', 100, 1.5), (1, 'n', 100, 7),
                (1, 'v', 200, 2.5);
            """
        )
    store = PointStore(path)
    rows = store.latest_metrics("m")
    assert [r["time"] for r in rows] == [200, 100, 100]
    assert {(r["time"], r["field"], r["value"]) for r in rows} == {
        (200, "v", 2.5),
        (100, "v", 1.5),
        (100, "n", 7),
    }
    conn = store.connection()
    assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'metric_samples'").fetchone()
    PointStore(path)  # opening it again changes nothing
    assert len(PointStore(path).latest_metrics("m")) == 3
