"""A full data disk: the receiver stops saying 200 for points it cannot store, reads and
/healthz say what is wrong within seconds, the log names the real cause, and everything
recovers by itself when space returns. On a real (small) tmpfs: CI runs as root and mounts it."""

import os
import subprocess
import time

import pytest

from tests.conftest import app_config, log_in
from webapp import create_app


@pytest.fixture
def small_disk(tmp_path):
    # The test suite runs as root (its set-up installs Debian packages; CI runs it so): a
    # full disk is tested for real, never skipped.
    assert os.geteuid() == 0, "mounting a tmpfs needs root: run the tests as root, as CI does"
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def message(n: int) -> str:
    return f'disk,source=filler message="{"x" * 200_000}-{n}" {1_700_000_000 + n}'


def test_a_full_disk_is_refused_reported_and_recovered_from(small_disk, caplog):
    app = create_app(app_config(small_disk))
    client = app.test_client()
    log_in(client)  # before the disk fills: a login writes to the app's database too
    assert client.post("/v1/write/logging", data=message(0)).status_code == 200
    filler = small_disk / "filler"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler.write_bytes(b"\0" * (free - 2 * 1024 * 1024))  # leave about 2 MiB

    writer = app.extensions["funcpad.point_writer"]
    try:
        check_full_disk(app, client, writer, small_disk / "filler", caplog)
    finally:
        writer.close(timeout=1)  # it retries what it accepted until the store writes again


def check_full_disk(app, client, writer, filler, caplog):
    answers = []
    with caplog.at_level("WARNING", logger="webapp.receiver.writer"):
        for n in range(1, 60):
            response = client.post("/v1/write/logging", data=message(n))
            answers.append(response.status_code)
            if response.status_code == 503:
                break
            writer.flush(1)
    assert answers[-1] == 503, answers
    refused = client.post("/v1/write/logging", data=message(99))
    assert refused.status_code == 503
    assert refused.json["error_code"] == "datakit.busy"
    assert "full" in refused.json["message"]
    assert "database or disk is full" in caplog.text
    assert "cannot rollback" not in caplog.text

    started = time.monotonic()
    health = client.get("/healthz")
    assert health.status_code == 503 and "full" in health.json["points"]
    logs = client.get("/api/v1/logs")
    assert logs.status_code == 503 and logs.json["error"] == "storage_failure"
    assert time.monotonic() - started < 15  # an answer, not a hang

    filler.unlink()  # space returns
    deadline = time.monotonic() + 30
    while writer.failure is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert writer.failure is None
    assert client.post("/v1/write/logging", data=message(100)).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/logs").status_code == 200
