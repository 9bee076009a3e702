"""Where the embedded receiver keeps points: its own SQLite file (not the app database).

Metrics are stored one row per point, keyed by a series id (measurement + tags) and time, with
the field values as a JSON object (exact: Python writes it, Python reads it back), so a chart
query reads one index range per series and a write of 1000 points inserts 1000 rows. A
per-minute roll-up per field serves long ranges. Logs keep their message and status in
columns with indexes on time, source and status. Other categories are kept as JSON rows.
Times are nanoseconds since the epoch. Each thread uses its own connection (WAL mode).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from webapp.files import private_sqlite_file
from webapp.receiver.levels import normalize_status

SCHEMA = """
-- What this node's receiver did: points stored by category, writes refused by error code.
CREATE TABLE IF NOT EXISTS receiver_counts (
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (name, label)
);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (measurement, tags)
);
-- One B-tree keyed by (series, time): a chart reads one range per series. ``fields`` is a JSON
-- object; writing the same series and time again merges into it (the later value wins).
CREATE TABLE IF NOT EXISTS metric_points (
    series_id INTEGER NOT NULL,
    time INTEGER NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (series_id, time)
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
REFUSALS_FLUSH_SECONDS = 5.0
LAYOUT_VERSION = 2  # PRAGMA user_version of a points file in the layout above
# Layout 1 kept one row per field value; its rows move into metric_points once.
UPGRADE_FROM_LAYOUT_1 = (
    "INSERT OR REPLACE INTO metric_points (series_id, time, fields) "
    "SELECT series_id, time, json_group_object(field, value) FROM metric_samples "
    "GROUP BY series_id, time",
    "DROP TABLE metric_samples",
)
STAGING_SCHEMA = (
    "CREATE TEMP TABLE IF NOT EXISTS staged_points "
    "(series_id INTEGER NOT NULL, time INTEGER NOT NULL, fields TEXT NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS staged_minutes (series_id INTEGER NOT NULL, "
    "field TEXT NOT NULL, minute INTEGER NOT NULL, total REAL, count INTEGER, low REAL, "
    "high REAL, last_time INTEGER)",
)
# One write: the rows arrive as one JSON array of [series_id, time, fields] (one statement,
# so SQLite works without holding the GIL); the rest is SQL over the staged rows.
STAGE_POINTS = (
    "INSERT INTO temp.staged_points SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)"
)
STAGED_METRIC_WRITES = (
    "INSERT INTO metric_points (series_id, time, fields) "
    "SELECT series_id, time, fields FROM temp.staged_points WHERE true "
    "ON CONFLICT (series_id, time) DO UPDATE SET fields = json_patch(fields, excluded.fields)",
    "INSERT INTO temp.staged_minutes "
    f"SELECT p.series_id, f.key, p.time / {MINUTE_NS} AS m, sum(f.value), count(*), "
    "min(f.value), max(f.value), max(p.time) "
    "FROM temp.staged_points p, json_each(p.fields) f GROUP BY p.series_id, f.key, m",
    "INSERT INTO metric_rollup (series_id, field, minute, total, count, low, high) "
    "SELECT series_id, field, minute, total, count, low, high FROM temp.staged_minutes "
    "WHERE true ON CONFLICT (series_id, field, minute) DO UPDATE SET "
    "total = total + excluded.total, count = count + excluded.count, "
    "low = min(low, excluded.low), high = max(high, excluded.high)",
    "INSERT INTO metric_fields (measurement, field, last_time) "
    "SELECT s.measurement, g.field, max(g.last_time) FROM temp.staged_minutes g "
    "JOIN series s ON s.id = g.series_id WHERE true GROUP BY s.measurement, g.field "
    "ON CONFLICT (measurement, field) DO UPDATE SET "
    "last_time = max(last_time, excluded.last_time)",
    "DELETE FROM temp.staged_points",
    "DELETE FROM temp.staged_minutes",
)


# Ranges longer than this are drawn from the per-minute rollup instead of raw samples.
ROLLUP_ABOVE_NS = 3 * 3600 * 10**9


def _tags_key(tags: dict[str, str]) -> str:
    return json.dumps(tags, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class PointStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        private_sqlite_file(self.path)  # 0600, like the app's database
        self._local = threading.local()
        self._series: dict[tuple[str, tuple], int] = {}
        self._write_lock = threading.Lock()
        # Refused writes, counted in memory and added to receiver_counts with the next write
        # (or after REFUSALS_FLUSH_SECONDS): a flood of bad requests costs no writes.
        self._refused: dict[str, int] = {}
        self._refused_lock = threading.Lock()
        self._refused_flushed = time.monotonic()
        # Writers in other processes (the receiver's servers, the app) queue on this file lock
        # rather than on SQLite's busy handler, which polls with sleeps of up to 100 ms: a
        # waiting writer starts the moment the other commits.
        lock_path = f"{self.path}.write-lock"
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        weakref.finalize(self, os.close, self._lock_fd)  # a store that goes takes its fd along
        self._create_or_upgrade(self.connection())

    def _create_or_upgrade(self, conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA)  # idempotent; executescript runs outside a transaction
        with self._write_lock, self._file_lock():
            conn.execute("BEGIN IMMEDIATE")  # one process upgrades, the others then see it
            try:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version < LAYOUT_VERSION:
                    old_layout = conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'metric_samples'"
                    ).fetchone()
                    for statement in UPGRADE_FROM_LAYOUT_1 if old_layout else ():
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

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
            for statement in STAGING_SCHEMA:  # per connection: temp tables are private
                conn.execute(statement)
            self._local.conn = conn
        return conn

    # --- writing --------------------------------------------------------------------------

    def _series_id(
        self, conn: sqlite3.Connection, measurement: str, tags: dict[str, str], cache_key: tuple
    ) -> int:
        key = (measurement, _tags_key(tags))
        conn.execute("INSERT OR IGNORE INTO series (measurement, tags) VALUES (?, ?)", key)
        series_id = conn.execute(
            "SELECT id FROM series WHERE measurement = ? AND tags = ?", key
        ).fetchone()[0]
        self._series[cache_key] = series_id
        return series_id

    def write(self, category: str, points: Iterable[dict[str, Any]]) -> int:
        """Store points of one request atomically; returns how many were stored."""
        return self.write_many([(category, list(points))])

    def write_many(self, batches: list[tuple[str, list[dict[str, Any]]]]) -> int:
        """Store several requests' points in one transaction (all or none); returns the count.

        Later points win over earlier ones with the same series, field and time.
        """
        with self._write_lock, self._file_lock():
            return self._write_many_locked(batches)

    def try_write_many(self, batches: list[tuple[str, list[dict[str, Any]]]]) -> int | None:
        """``write_many`` if no other thread of this process is writing; else None at once."""
        if not self._write_lock.acquire(blocking=False):
            return None
        try:
            with self._file_lock():
                return self._write_many_locked(batches)
        finally:
            self._write_lock.release()

    @contextlib.contextmanager
    def _file_lock(self):
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # waits without the GIL
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _write_many_locked(self, batches: list[tuple[str, list[dict[str, Any]]]]) -> int:
        conn = self.connection()
        count = 0
        by_category: dict[str, list[dict[str, Any]]] = {}
        for category, points in batches:
            by_category.setdefault(category, []).extend(points)
        with self._refused_lock:
            refused, self._refused = self._refused, {}
            self._refused_flushed = time.monotonic()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for category, points in by_category.items():
                if category == "metric":
                    stored = self._write_metrics(conn, points)
                elif category == "logging":
                    stored = self._write_logs(conn, points)
                else:
                    stored = self._write_others(conn, category, points)
                count += stored
                self._count(conn, "points", category, stored)
            for code, times in refused.items():
                self._count(conn, "refused", code, times)
            conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk ends the transaction): a
            # failing ROLLBACK must not hide the real cause.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            self._series.clear()  # ids inserted in the rolled-back transaction are gone
            with self._refused_lock:
                for code, times in refused.items():
                    self._refused[code] = self._refused.get(code, 0) + times
            raise
        return count

    @staticmethod
    def _count(conn: sqlite3.Connection, name: str, label: str, amount: int) -> None:
        conn.execute(
            "INSERT INTO receiver_counts (name, label, value) VALUES (?, ?, ?) "
            "ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value",
            (name, label, amount),
        )

    def count_refused(self, code: str) -> None:
        """One write refused with DataKit error ``code`` (kept until the next write)."""
        with self._refused_lock:
            self._refused[code] = self._refused.get(code, 0) + 1
            due = time.monotonic() - self._refused_flushed >= REFUSALS_FLUSH_SECONDS
        if due:
            self.write_many([])  # a transaction of counts only

    def counts(self) -> list[tuple[str, str, int]]:
        """(name, label, value): ``points``/category and ``refused``/code, this node's."""
        rows = (
            self.connection()
            .execute("SELECT name, label, value FROM receiver_counts ORDER BY name, label")
            .fetchall()
        )
        with self._refused_lock:
            pending = dict(self._refused)
        totals = {(name, label): value for name, label, value in rows}
        for code, times in pending.items():
            totals[("refused", code)] = totals.get(("refused", code), 0) + times
        return [(name, label, value) for (name, label), value in sorted(totals.items())]

    def _write_others(
        self, conn: sqlite3.Connection, category: str, points: list[dict[str, Any]]
    ) -> int:
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
        return len(rows)

    def _write_metrics(self, conn: sqlite3.Connection, points: list[dict[str, Any]]) -> int:
        # Python only lays out the rows and serialises them in one call; SQLite does the
        # rest (merge, per-minute roll-up, last time per field) from staging tables.
        rows: list[tuple[int, int, dict[str, Any]]] = []
        append = rows.append
        known = self._series
        for point in points:
            measurement, tags = point["measurement"], point["tags"]
            cache_key = (measurement, tuple(tags.items()))  # tag order as sent: still one id
            series_id = known.get(cache_key)
            if series_id is None:
                series_id = self._series_id(conn, measurement, tags, cache_key)
            append((series_id, point["time"], point["fields"]))
        conn.execute(STAGE_POINTS, (orjson.dumps(rows).decode(),))
        for statement in STAGED_METRIC_WRITES:
            conn.execute(statement)
        return len(rows)

    def _write_logs(self, conn: sqlite3.Connection, points: Iterable[dict[str, Any]]) -> int:
        rows = []
        for point in points:
            fields = dict(point["fields"])
            message = fields.pop("message", "")
            tags = dict(point["tags"])
            # The level for display and filters, from the status tag or field (kept as sent
            # in the point, as DataKit keeps it); short and odd forms are mapped here only.
            raw_status = tags.get("status", fields.get("status"))
            status = normalize_status(raw_status) if raw_status not in (None, "") else "info"
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
        with self._write_lock, self._file_lock():
            # Per series, so each delete is one range of the primary key.
            for (series_id,) in conn.execute("SELECT id FROM series").fetchall():
                conn.execute(
                    "DELETE FROM metric_points WHERE series_id = ? AND time < ?",
                    (series_id, older_than_ns),
                )
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
                with self._write_lock, self._file_lock():
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
                "SELECT (p.time - ?) / ? AS b, avg(f.value), max(p.time) "
                "FROM metric_points p, json_each(p.fields) f "
                "WHERE p.series_id = ? AND f.key = ? AND p.time >= ? AND p.time <= ? "
                "GROUP BY b ORDER BY b",
                (start_ns, bucket, series_id, field, start_ns, end_ns),
            ).fetchall()
            if rows:
                # Each bucket is shown at the time of its newest point, with the mean value.
                out.append({"tags": tags, "points": [[t, v] for _b, v, t in rows]})
        return out

    def latest_metrics(self, measurement: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest field values of a measurement, one row per field, newest first."""
        conn = self.connection()
        newest: list[tuple[int, dict[str, str], str]] = []
        for series_id, tags in conn.execute(
            "SELECT id, tags FROM series WHERE measurement = ?", (measurement,)
        ).fetchall():
            # Each series' newest points come straight off the end of its key range.
            for time_ns, fields in conn.execute(
                "SELECT time, fields FROM metric_points WHERE series_id = ? "
                "ORDER BY time DESC LIMIT ?",
                (series_id, limit),
            ):
                newest.append((time_ns, json.loads(tags), fields))
        newest.sort(key=lambda row: row[0], reverse=True)
        rows = []
        for time_ns, tags, fields in newest:
            for field, value in json.loads(fields).items():
                rows.append({"tags": tags, "field": field, "time": time_ns, "value": value})
                if len(rows) == limit:
                    return rows
        return rows

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
