"""The point writer: group commits that a write waits for, back-pressure, retries and a drain
at exit."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from webapp.receiver.store import PointStore
from webapp.receiver.writer import PointWriter, StoreFailing, WriterBusy

ROOT = Path(__file__).resolve().parents[2]


def metric(i: int, value: float = 1.0) -> dict:
    return {
        "measurement": "cpu",
        "tags": {"host": f"h{i % 3}"},
        "fields": {"usage": value, "n": i},
        "time": 1_700_000_000 * 10**9 + i,
    }


def stored_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT count(*) FROM metric_points, json_each(metric_points.fields)"
        ).fetchone()[0]


def test_flush_returns_once_every_submitted_point_is_stored(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    for start in range(0, 500, 100):
        writer.submit("metric", [metric(i) for i in range(start, start + 100)])
    writer.submit(
        "logging",
        [
            {
                "measurement": "app",
                "tags": {"status": "info"},
                "fields": {"message": "hi"},
                "time": 5,
            }
        ],
    )
    assert writer.flush(timeout=10)
    assert stored_count(tmp_path / "p.db") == 1000
    assert writer.pending_points == 0
    assert [log["message"] for log in store.query_logs()] == ["hi"]
    rollup = store.connection().execute("SELECT sum(count) FROM metric_rollup").fetchone()[0]
    assert rollup == 1000


def test_requests_queued_while_the_store_is_busy_go_in_one_transaction(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    calls = []
    real_write_many = store.write_many
    store.write_many = lambda batches: calls.append(len(batches)) or real_write_many(batches)
    with store._write_lock:  # the writer is stuck on its first batch meanwhile
        writer.submit("metric", [metric(0)])
        for i in range(1, 6):
            writer.submit("metric", [metric(i)])
    assert writer.flush(timeout=10)
    assert sum(calls) == 6 and len(calls) <= 2  # the five queued behind went together
    assert stored_count(tmp_path / "p.db") == 12


def test_a_full_queue_holds_writers_back_then_refuses_without_accepting(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store, max_pending=150, wait_seconds=0.3)
    with store._write_lock:
        writer.submit("metric", [metric(i) for i in range(100)])
        with pytest.raises(WriterBusy, match="100 points are waiting"):
            writer.submit("metric", [metric(i) for i in range(100, 200)])
    assert writer.flush(timeout=10)
    assert stored_count(tmp_path / "p.db") == 200  # the refused request left nothing behind


def test_a_writer_held_back_goes_through_once_the_store_catches_up(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store, max_pending=150, wait_seconds=30)
    store._write_lock.acquire()
    writer.submit("metric", [metric(i) for i in range(100)])
    threading.Timer(0.3, store._write_lock.release).start()
    writer.submit("metric", [metric(i) for i in range(100, 200)])  # waits for the release
    assert writer.flush(timeout=10)
    assert stored_count(tmp_path / "p.db") == 400  # 200 points, 2 fields each


def test_a_locked_database_is_retried_until_it_frees_up(tmp_path, caplog):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    failures = []
    real_write_many = store.write_many

    def flaky(batches):
        if len(failures) < 2:
            failures.append(1)
            raise sqlite3.OperationalError("database is locked")
        return real_write_many(batches)

    store.write_many = flaky
    writer.submit("metric", [metric(1)])
    assert writer.flush(timeout=10)
    assert len(failures) == 2
    assert stored_count(tmp_path / "p.db") == 2
    assert "retrying" in caplog.text


def test_flush_gives_up_after_its_timeout_while_the_store_is_held(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    with store._write_lock:
        writer.submit("metric", [metric(1)])
        assert writer.flush(timeout=0.2) is False
    assert writer.flush(timeout=10) is True


def test_points_still_queued_at_exit_are_stored_before_the_process_ends(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from webapp.receiver.store import PointStore
        from webapp.receiver.writer import PointWriter
        store = PointStore({str(tmp_path / "p.db")!r})
        writer = PointWriter(store)
        with store._write_lock:  # nothing can be stored before the interpreter exits
            for start in range(0, 3000, 1000):
                writer.submit("metric", [
                    {{"measurement": "m", "tags": {{}}, "fields": {{"v": float(i)}}, "time": i}}
                    for i in range(start, start + 1000)
                ])
            print(writer.pending_points)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(result.stdout) >= 1000  # still queued when the script ended
    assert stored_count(tmp_path / "p.db") == 3000


def test_a_closed_writer_starts_again_on_the_next_submit(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    writer.submit("metric", [metric(1)])
    writer.close()
    assert stored_count(tmp_path / "p.db") == 2
    writer.submit("metric", [metric(2)])
    assert writer.flush(timeout=10)
    assert stored_count(tmp_path / "p.db") == 4
    writer.close()


def test_a_request_the_store_cannot_take_does_not_sink_the_others_it_was_grouped_with(
    tmp_path, caplog
):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    real_write_many = store.write_many

    def picky(batches):
        if any(p["fields"].get("poison") for _c, points in batches for p in points):
            raise ValueError("cannot store this")
        return real_write_many(batches)

    store.write_many = picky
    with store._write_lock:  # the three requests queue up and go in one group
        writer.submit("metric", [metric(1)])
        writer.submit("metric", [{**metric(2), "fields": {"poison": 1.0}}])
        writer.submit("metric", [metric(3)])
    assert writer.flush(timeout=10)
    assert stored_count(tmp_path / "p.db") == 4  # requests 1 and 3, two fields each
    assert "dropped" in caplog.text


def test_write_returns_once_stored_and_says_when_its_points_were_refused(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    writer.write("metric", [metric(1)])
    assert stored_count(tmp_path / "p.db") == 2  # no flush: write waited for the commit
    real_write_many = store._write_many_locked

    def refuse_poison(batches):
        if any(p["fields"].get("poison") for _c, points in batches for p in points):
            raise ValueError("cannot store this")
        return real_write_many(batches)

    store._write_many_locked = refuse_poison  # both paths: inline and queued
    with pytest.raises(StoreFailing):
        writer.write("metric", [{**metric(2), "fields": {"poison": 1.0}}])
    writer.write("metric", [metric(3)])  # the next one is not blamed for it
    assert stored_count(tmp_path / "p.db") == 4


def test_concurrent_writes_each_return_once_their_own_points_are_visible(tmp_path):
    store = PointStore(tmp_path / "p.db")
    writer = PointWriter(store)
    commits = []
    real_write_many = store._write_many_locked
    store._write_many_locked = lambda batches: (
        commits.append(len(batches)) or real_write_many(batches)
    )
    errors = []

    def client(n):
        try:
            for i in range(20):
                writer.write("metric", [metric(n * 100 + i)])
                with sqlite3.connect(tmp_path / "p.db") as conn:  # visible to another reader
                    found = conn.execute(
                        "SELECT count(*) FROM metric_points WHERE time = ?",
                        (metric(n * 100 + i)["time"],),
                    ).fetchone()[0]
                assert found == 1
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert stored_count(tmp_path / "p.db") == 160
    assert sum(commits) == 80  # every request's batch went through the store once
