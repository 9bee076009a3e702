"""Where the embedded receiver keeps points: its own SQLite file (not the app database).

Metrics are stored one row per numeric field value, keyed by a series id (measurement + tags),
so a chart query reads one index range per series. Logs keep their message and status in
columns with indexes on time, source and status. Other categories are kept as JSON rows.
Times are nanoseconds since the epoch. Each thread uses its own connection (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (measurement, tags)
);
-- One B-tree keyed by (series, field, time): inserts touch no other index, a chart reads one
-- range per series, and writing the same point again replaces it (last write wins).
CREATE TABLE IF NOT EXISTS metric_samples (
    series_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    time INTEGER NOT NULL,
    value,
    PRIMARY KEY (series_id, field, time)
) WITHOUT ROWID;
-- Per-minute sum/count/min/max, kept up to date on write, so long ranges read 1440 rows a
-- day per series instead of every sample.
CREATE TABLE IF NOT EXISTS metric_rollup (
    series_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    minute INTEGER NOT NULL,
    total REAL NOT NULL,
    count INTEGER NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    PRIMARY KEY (series_id, field, minute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metric_fields (
    measurement TEXT NOT NULL,
    field TEXT NOT NULL,
    last_time INTEGER NOT NULL,
    PRIMARY KEY (measurement, field)
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_logs_time ON logs (time);
CREATE INDEX IF NOT EXISTS ix_logs_source_time ON logs (source, time);
CREATE INDEX IF NOT EXISTS ix_logs_status_time ON logs (status, time);
CREATE TABLE IF NOT EXISTS other_points (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    measurement TEXT NOT NULL,
    time INTEGER NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_other_points ON other_points (category, time);
"""


MINUTE_NS = 60 * 10**9
# Ranges longer than this are drawn from the per-minute rollup instead of raw samples.
ROLLUP_ABOVE_NS = 3 * 3600 * 10**9


def _tags_key(tags: dict[str, str]) -> str:
    return json.dumps(tags, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class PointStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._series: dict[tuple[str, tuple], int] = {}
        self._write_lock = threading.Lock()
        self.connection().executescript(SCHEMA)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
            self._local.conn = conn
        return conn

    # --- writing --------------------------------------------------------------------------

    def _series_id(self, conn: sqlite3.Connection, measurement: str, tags: dict[str, str]) -> int:
        cache_key = (measurement, tuple(sorted(tags.items())))
        cached = self._series.get(cache_key)
        if cached is not None:
            return cached
        key = (measurement, _tags_key(tags))
        conn.execute("INSERT OR IGNORE INTO series (measurement, tags) VALUES (?, ?)", key)
        series_id = conn.execute(
            "SELECT id FROM series WHERE measurement = ? AND tags = ?", key
        ).fetchone()[0]
        self._series[cache_key] = series_id
        return series_id

    def write(self, category: str, points: Iterable[dict[str, Any]]) -> int:
        """Store points of one request atomically; returns how many were stored."""
        conn = self.connection()
        count = 0
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if category == "metric":
                    count = self._write_metrics(conn, points)
                elif category == "logging":
                    count = self._write_logs(conn, points)
                else:
                    rows = [
                        (
                            category,
                            p["measurement"],
                            p["time"],
                            json.dumps(p["tags"], ensure_ascii=False),
                            json.dumps(p["fields"], ensure_ascii=False),
                        )
                        for p in points
                    ]
                    conn.executemany(
                        "INSERT INTO other_points (category, measurement, time, tags, fields) "
                        "VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                    count = len(rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._series.clear()  # ids inserted in the rolled-back transaction are gone
                raise
        return count

    def _write_metrics(self, conn: sqlite3.Connection, points: Iterable[dict[str, Any]]) -> int:
        rows = []
        latest: dict[tuple[str, str], int] = {}
        rollup: dict[tuple[int, str, int], list[float]] = {}
        for point in points:
            series_id = self._series_id(conn, point["measurement"], point["tags"])
            time_ns = point["time"]
            minute = time_ns // MINUTE_NS
            for field, value in point["fields"].items():
                if isinstance(value, bool):
                    value = int(value)
                rows.append((series_id, field, time_ns, value))
                key = (point["measurement"], field)
                if time_ns > latest.get(key, -(2**63)):
                    latest[key] = time_ns
                bucket = rollup.get((series_id, field, minute))
                if bucket is None:
                    rollup[(series_id, field, minute)] = [value, 1, value, value]
                else:
                    bucket[0] += value
                    bucket[1] += 1
                    bucket[2] = min(bucket[2], value)
                    bucket[3] = max(bucket[3], value)
        conn.executemany(
            "INSERT OR REPLACE INTO metric_samples (series_id, field, time, value) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO metric_rollup (series_id, field, minute, total, count, low, high) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, field, minute) DO UPDATE SET "
            "total = total + excluded.total, count = count + excluded.count, "
            "low = min(low, excluded.low), high = max(high, excluded.high)",
            [(*key, *agg) for key, agg in rollup.items()],
        )
        conn.executemany(
            "INSERT INTO metric_fields (measurement, field, last_time) VALUES (?, ?, ?) "
            "ON CONFLICT (measurement, field) DO UPDATE SET "
            "last_time = max(last_time, excluded.last_time)",
            [(m, f, t) for (m, f), t in latest.items()],
        )
        return len(rows)

    def _write_logs(self, conn: sqlite3.Connection, points: Iterable[dict[str, Any]]) -> int:
        rows = []
        for point in points:
            fields = dict(point["fields"])
            message = fields.pop("message", "")
            tags = dict(point["tags"])
            status = tags.pop("status", "info")
            rows.append(
                (
                    point["time"],
                    point["measurement"],
                    status,
                    message if isinstance(message, str) else json.dumps(message),
                    json.dumps(tags, ensure_ascii=False),
                    json.dumps(fields, ensure_ascii=False),
                )
            )
        conn.executemany(
            "INSERT INTO logs (time, source, status, message, tags, fields) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    # --- retention ------------------------------------------------------------------------

    def prune(self, older_than_ns: int, batch: int = 50_000) -> int:
        """Delete points older than the cut-off, in small batches (writers are not blocked)."""
        conn = self.connection()
        removed = 0
        with self._write_lock:
            conn.execute("DELETE FROM metric_samples WHERE time < ?", (older_than_ns,))
            conn.execute(
                "DELETE FROM metric_rollup WHERE minute < ?", (older_than_ns // MINUTE_NS,)
            )
        statements = (
            "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE time < ? LIMIT ?)",
            "DELETE FROM other_points WHERE id IN "
            "(SELECT id FROM other_points WHERE time < ? LIMIT ?)",
        )
        for statement in statements:
            while True:
                with self._write_lock:
                    deleted = conn.execute(statement, (older_than_ns, batch)).rowcount
                removed += deleted
                if deleted < batch:
                    break
        return removed

    # --- reading --------------------------------------------------------------------------

    def measurements(self) -> list[dict[str, Any]]:
        conn = self.connection()
        fields: dict[str, dict[str, Any]] = {}
        for measurement, field, last_time in conn.execute(
            "SELECT measurement, field, last_time FROM metric_fields ORDER BY measurement, field"
        ):
            entry = fields.setdefault(
                measurement,
                {
                    "measurement": measurement,
                    "fields": [],
                    "tag_keys": set(),
                    "last_time": last_time,
                },
            )
            entry["fields"].append(field)
            entry["last_time"] = max(entry["last_time"], last_time)
        for measurement, tags in conn.execute("SELECT measurement, tags FROM series"):
            if measurement in fields:
                fields[measurement]["tag_keys"].update(json.loads(tags))
        out = []
        for entry in fields.values():
            entry["tag_keys"] = sorted(entry["tag_keys"])
            out.append(entry)
        return out

    def tag_values(self, measurement: str) -> dict[str, list[str]]:
        values: dict[str, set[str]] = {}
        for (tags,) in self.connection().execute(
            "SELECT tags FROM series WHERE measurement = ?", (measurement,)
        ):
            for key, value in json.loads(tags).items():
                values.setdefault(key, set()).add(value)
        return {k: sorted(v) for k, v in sorted(values.items())}

    def query_metric(
        self,
        measurement: str,
        field: str,
        start_ns: int,
        end_ns: int,
        tag_filters: dict[str, list[str]] | None = None,
        max_points: int = 1000,
    ) -> list[dict[str, Any]]:
        """Series of one field, averaged into at most ``max_points`` time buckets each."""
        conn = self.connection()
        series = []
        for series_id, tags_text in conn.execute(
            "SELECT id, tags FROM series WHERE measurement = ?", (measurement,)
        ):
            tags = json.loads(tags_text)
            if all(tags.get(k) in allowed for k, allowed in (tag_filters or {}).items()):
                series.append((series_id, tags))
        span = max(end_ns - start_ns, 1)
        out = []
        if span > ROLLUP_ABOVE_NS:
            minutes = max(span // MINUTE_NS // max_points, 1)
            first, last = start_ns // MINUTE_NS, end_ns // MINUTE_NS
            for series_id, tags in series:
                rows = conn.execute(
                    "SELECT (minute - ?) / ? AS b, sum(total) / sum(count), max(minute) "
                    "FROM metric_rollup WHERE series_id = ? AND field = ? "
                    "AND minute >= ? AND minute <= ? GROUP BY b ORDER BY b",
                    (first, minutes, series_id, field, first, last),
                ).fetchall()
                if rows:
                    out.append(
                        {
                            "tags": tags,
                            "points": [
                                [min(m * MINUTE_NS + MINUTE_NS - 1, end_ns), v] for _b, v, m in rows
                            ],
                        }
                    )
            return out
        bucket = max(span // max_points, 1)
        for series_id, tags in series:
            rows = conn.execute(
                "SELECT (time - ?) / ? AS b, avg(value), max(time) FROM metric_samples "
                "WHERE series_id = ? AND field = ? AND time >= ? AND time <= ? "
                "GROUP BY b ORDER BY b",
                (start_ns, bucket, series_id, field, start_ns, end_ns),
            ).fetchall()
            if rows:
                # Each bucket is shown at the time of its newest point, with the mean value.
                out.append({"tags": tags, "points": [[t, v] for _b, v, t in rows]})
        return out

    def latest_metrics(self, measurement: str, limit: int = 50) -> list[dict[str, Any]]:
        rows = (
            self.connection()
            .execute(
                "SELECT s.tags, p.field, p.time, p.value FROM metric_samples p "
                "JOIN series s ON s.id = p.series_id WHERE s.measurement = ? "
                "ORDER BY p.time DESC LIMIT ?",
                (measurement, limit),
            )
            .fetchall()
        )
        return [{"tags": json.loads(t), "field": f, "time": ts, "value": v} for t, f, ts, v in rows]

    def query_logs(
        self,
        *,
        source: str | None = None,
        status: str | None = None,
        text: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` pages backwards (keyset paging stays fast at 1M rows)."""
        clauses, args = [], []
        for column, value in (("source", source), ("status", status)):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        if start_ns is not None:
            clauses.append("time >= ?")
            args.append(start_ns)
        if end_ns is not None:
            clauses.append("time <= ?")
            args.append(end_ns)
        if before_id is not None:
            clauses.append("id < ?")
            args.append(before_id)
        if text:
            clauses.append("instr(lower(message), lower(?)) > 0")
            args.append(text)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = (
            self.connection()
            .execute(
                f"SELECT id, time, source, status, message, tags, fields FROM logs {where} "
                "ORDER BY time DESC, id DESC LIMIT ?",
                (*args, limit),
            )
            .fetchall()
        )
        return [
            {
                "id": i,
                "time": t,
                "source": s,
                "status": st,
                "message": m,
                "tags": json.loads(tg),
                "fields": json.loads(f),
            }
            for i, t, s, st, m, tg, f in rows
        ]

    def log_sources(self) -> list[str]:
        return [r[0] for r in self.connection().execute("SELECT DISTINCT source FROM logs")]
