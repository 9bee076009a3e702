"""The fork server without bubblewrap or a uid of its own (the degraded fallback): it cannot
kill(-1), so it kills the job's process group and every orphan it adopted as subreaper."""

import json
import os
import sys
import time

import pytest

from webapp.runner.pool import Slot
from webapp.runner.sandbox import LaunchPlan, prepare_runtime

SPAWN_ESCAPEE = (
    "import os, subprocess\n"
    "def main():\n"
    "    child = subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
    "    return child.pid\n"
)


class PlainSandbox:
    """Launches the zygote with no layer at all: the degraded fallback, as the app runs it."""

    def __init__(self, runtime, tmp_root) -> None:
        self.runtime = runtime
        self.tmp_root = tmp_root

    def launch_plan(self, _slot, _preload=True, _endpoints=()):
        config = {
            "preload": False,
            "seccomp": False,
            "kill_all": False,
            "tmp_root": str(self.tmp_root),
        }
        argv = [sys.executable, "-I", str(self.runtime / "forkserver.py"), json.dumps(config)]
        return LaunchPlan(argv=argv, preexec_fn=None, kill_all=False)


@pytest.fixture
def server(tmp_path):
    runtime = prepare_runtime(tmp_path / "runtime")
    slot = Slot(PlainSandbox(runtime, tmp_path), 0)

    def call(job: dict) -> dict:
        return slot.run(job, None)

    slot.ensure_started()
    call.pid = slot.info["pid"]
    call.tmp_root = tmp_path
    yield call
    slot.kill()


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
    # Each job's directory is removed with it; only the spare's (empty) one is left.
    left = [p for p in server.tmp_root.iterdir() if p.name.startswith("job-")]
    assert len(left) == 1 and list(left[0].iterdir()) == []


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
