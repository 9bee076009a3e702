"""The fork server without bubblewrap or a uid of its own (the degraded fallback): it cannot
kill(-1), so it kills the job's process group and every orphan it adopted as subreaper."""

import json
import os
import subprocess
import sys
import time

import pytest

from webapp.runner import framing
from webapp.runner.sandbox import prepare_runtime

SPAWN_ESCAPEE = (
    "import os, subprocess\n"
    "def main():\n"
    "    child = subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
    "    return child.pid\n"
)


@pytest.fixture
def server(tmp_path):
    runtime = prepare_runtime(tmp_path / "runtime")
    config = {"preload": False, "seccomp": False, "kill_all": False, "tmp_root": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-I", str(runtime / "forkserver.py"), json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=str(runtime),
    )
    reader = framing.FrameReader()

    def call(job: dict) -> dict:
        process.stdin.write(framing.encode({"op": "run", "job": job}))
        process.stdin.flush()
        while True:
            data = os.read(process.stdout.fileno(), 65536)
            assert data, "the fork server went away"
            for message in reader.feed(data):
                if message.get("type") == "result":
                    return message

    for message in reader.feed(os.read(process.stdout.fileno(), 65536)):
        assert message["type"] == "ready"
    call.pid = process.pid
    yield call
    process.stdin.close()
    process.wait(10)


def job(code: str, n: int) -> dict:
    return {
        "id": f"j{n}",
        "code": code,
        "script_id": "s",
        "func": "main",
        "kwargs": {},
        "timeout": 10,
        "limits": {},
    }


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_an_escaped_grandchild_is_killed_once_the_job_ends(server):
    result = server(job(SPAWN_ESCAPEE, 1))
    assert result["status"] == "success", result
    escapee = result["return_value"]
    deadline = time.monotonic() + 5
    while alive(escapee) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(escapee)


def test_after_each_job_only_the_next_spare_process_is_left(server):
    trivial = "def main():\n    return 1\n"
    for n in range(5):
        assert server(job(trivial, n))["return_value"] == 1
        assert server(job(SPAWN_ESCAPEE, n + 100))["status"] == "success"
    time.sleep(0.2)  # the last clean-up runs after the answer
    children = [
        pid
        for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
        if alive(pid) and parent_of(pid) == server.pid
    ]
    assert len(children) == 1  # the spare waiting for the next job


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
