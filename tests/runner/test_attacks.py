"""Hostile scripts must be contained, and the runner must keep serving after each of them."""

import os
import time
from pathlib import Path

import pytest

from tests.runner.conftest import job

TRIVIAL = "def main():\n    return 'still serving'\n"


@pytest.fixture(autouse=True)
def keeps_serving(pool):
    yield
    result = pool.run(job(TRIVIAL))
    assert result["status"] == "success" and result["return_value"] == "still serving"


def test_all_layers_are_active_here(pool):
    layers = pool.layers
    assert layers.available, layers.reason
    assert layers.bubblewrap, layers.bubblewrap_detail
    assert layers.seccomp, layers.seccomp_detail
    if os.geteuid() == 0:
        assert layers.uid_switch


def test_cannot_read_the_database_or_the_secret_key(pool, tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "funcpad.db").write_text("TOP SECRET ROWS")
    (data / "secret_key").write_text("TOP SECRET KEY")
    (data / "secret_key").chmod(0o600)
    code = (
        "def main(path):\n"
        "    found = {}\n"
        "    for name in ('funcpad.db', 'secret_key'):\n"
        "        try:\n"
        "            found[name] = open(path + '/' + name).read()\n"
        "        except OSError as exc:\n"
        "            found[name] = type(exc).__name__\n"
        "    return found\n"
    )
    result = pool.run(job(code, kwargs={"path": str(data)}))
    assert result["status"] == "success"
    assert "TOP SECRET" not in str(result["return_value"])
    assert set(result["return_value"].values()) <= {"FileNotFoundError", "PermissionError"}


def test_cannot_write_outside_its_own_directory(pool, tmp_path):
    code = (
        "import os\n"
        "def main(targets):\n"
        "    out = {}\n"
        "    for target in targets:\n"
        "        try:\n"
        "            with open(target, 'w') as f:\n"
        "                f.write('x')\n"
        "            out[target] = 'written'\n"
        "        except OSError as exc:\n"
        "            out[target] = type(exc).__name__\n"
        "    with open('mine.txt', 'w') as f:\n"
        "        f.write('ok')\n"
        "    out['cwd'] = open('mine.txt').read()\n"
        "    return out\n"
    )
    targets = ["/usr/evil.txt", "/etc/evil.txt", str(tmp_path / "evil.txt"), "/root/evil.txt"]
    result = pool.run(job(code, kwargs={"targets": targets}))
    assert result["status"] == "success", result["error"]
    assert result["return_value"]["cwd"] == "ok"
    for target in targets:
        assert result["return_value"][target] != "written", target
        assert not Path(target).exists()


def test_infinite_loop_times_out(pool):
    started = time.monotonic()
    result = pool.run(job("def main():\n    while True:\n        pass\n", timeout=1.5))
    assert result["status"] == "timeout"
    assert time.monotonic() - started < 6


def test_memory_bomb_is_stopped(pool):
    code = "def main():\n    x = []\n    while True:\n        x.append(' ' * 10_000_000)\n"
    result = pool.run(job(code, timeout=20))
    assert result["status"] == "failure"
    assert result["error"]["type"] in {"MemoryError", "ProcessDied"}


def test_fork_bomb_is_contained(pool):
    code = (
        "import os\n"
        "def main():\n"
        "    while True:\n"
        "        try:\n"
        "            os.fork()\n"
        "        except OSError:\n"
        "            pass\n"
    )
    result = pool.run(job(code, timeout=2))
    assert result["status"] in {"timeout", "failure"}


def test_a_flood_of_print_is_capped(pool):
    code = "def main():\n    line = 'x' * 1000\n    for _ in range(100_000):\n        print(line)\n    return 'done'\n"
    logs = []
    result = pool.run(job(code, timeout=60), logs.append)
    assert result["status"] == "success" and result["return_value"] == "done"
    assert result["log_truncated"] is True
    assert sum(len(m["message"]) for m in logs) <= 1024 * 1024 + 200
    assert "truncated" in logs[-1]["message"]


def test_killing_the_parent_fails_the_run_only(pool):
    code = (
        "import os, signal, time\n"
        "def main():\n"
        "    parent = os.getppid()\n"
        "    for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGINT, signal.SIGTERM):\n"
        "        os.kill(parent, sig)\n"
        "    time.sleep(0.5)\n"
        "    return parent\n"
    )
    started = [slot.process for slot in pool._slots if slot.process is not None]
    result = pool.run(job(code, timeout=10))
    if pool.layers.bubblewrap:
        # The zygote is PID 1 of its namespace: signals from a job do not reach it at all.
        assert result["status"] == "success", result["error"]
        assert result["return_value"] == 1
        assert all(process.poll() is None for process in started)  # none was restarted
        assert {id(p) for p in started} <= {id(slot.process) for slot in pool._slots}
    else:
        assert result["status"] in {"failure", "timeout"}
        assert result["error"]["type"] in {"ProcessDied", "TimeoutError"}


def test_os_exit_is_reported(pool):
    result = pool.run(job("import os\ndef main():\n    print('bye')\n    os._exit(3)\n"))
    assert result["status"] == "failure"
    assert "status 3" in result["error"]["message"]


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline:
                found.append(int(entry))
    return found


def test_setsid_grandchild_does_not_outlive_the_run(pool):
    token = "987.654321"
    code = (
        "import subprocess\n"
        "def main():\n"
        f"    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
        "    return 'spawned'\n"
    )
    result = pool.run(job(code, timeout=5))
    assert result["status"] == "success"
    deadline = time.monotonic() + 3
    while _processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(token) == []


def test_setsid_grandchild_is_killed_at_the_timeout(pool):
    token = "876.543219"
    code = (
        "import subprocess, time\n"
        "def main():\n"
        f"    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
        "    time.sleep(60)\n"
    )
    result = pool.run(job(code, timeout=1))
    assert result["status"] == "timeout"
    time.sleep(0.3)
    assert _processes_with(token) == []


def test_slow_then_raise_reports_the_user_frame(pool):
    code = (
        "import json, time\n"
        "\n"
        "def helper():\n"
        "    time.sleep(1)\n"
        "    raise ValueError('bad input')\n"
        "\n"
        "def main():\n"
        "    helper()\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "failure"
    error = result["error"]
    assert error["type"] == "ValueError" and error["message"] == "bad input"
    assert error["line"] == 5
    assert 'File "<attack>", line 8, in main' in error["traceback"]
    assert "harness" not in error["traceback"] and "forkserver" not in error["traceback"]
    assert result["duration_ms"] >= 1000


def test_seccomp_and_uid(pool):
    code = (
        "import ctypes, os\n"
        "def main():\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    unshare = libc.unshare(0x10000000)\n"
        "    unshare_errno = ctypes.get_errno()\n"
        "    ptrace = libc.ptrace(0, 0, 0, 0)\n"
        "    return {'uid': os.getuid(), 'unshare': unshare, 'errno': unshare_errno,\n"
        "            'ptrace': ptrace}\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "success", result["error"]
    value = result["return_value"]
    assert value["unshare"] == -1 and value["errno"] == 1  # EPERM
    assert value["ptrace"] == -1
    if os.geteuid() == 0:
        assert value["uid"] != 0


def test_plain_spawning_mode_runs_each_job_in_a_fresh_process():
    from webapp.runner.sandbox import SandboxConfig
    from webapp.runner.service import pool_for

    spawn = pool_for(SandboxConfig(slots=1, mode="spawn"))
    assert spawn.layers.forkserver is False
    code = "import os\ndef main():\n    return os.getppid()\n"
    first = spawn.run(job(code))
    second = spawn.run(job(code))
    assert first["status"] == second["status"] == "success"
    assert spawn.stats()["warm"] == 0  # nothing stays running between jobs


def test_excess_jobs_wait_in_order_and_none_is_dropped():
    import threading

    from webapp.runner.sandbox import SandboxConfig
    from webapp.runner.service import pool_for

    single = pool_for(SandboxConfig(slots=1, uid_base=64200))
    order: list[int] = []
    lock = threading.Lock()
    code = "import time\ndef main(n):\n    time.sleep(0.2)\n    return n\n"

    def submit(n: int) -> None:
        result = single.run(job(code, kwargs={"n": n}))
        with lock:
            order.append(result["return_value"])

    threads = []
    for n in range(4):
        thread = threading.Thread(target=submit, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # arrival order 0, 1, 2, 3
    for thread in threads:
        thread.join(30)
    assert order == [0, 1, 2, 3]


def test_a_job_sees_a_clean_environment_and_its_own_home(pool, monkeypatch):
    monkeypatch.setenv("FUNCPAD_SECRET_FOR_TEST", "must-not-leak")
    code = (
        "import os, tempfile\n"
        "def main(change):\n"
        "    seen = dict(os.environ)\n"
        "    found = sorted(os.listdir('.'))\n"
        "    if change:\n"
        "        os.environ['LEFT_BEHIND'] = 'by an earlier job'\n"
        "        open('left-behind.txt', 'w').write('x')\n"
        "    return {'env': seen, 'cwd': os.getcwd(), 'tmp': tempfile.gettempdir(),\n"
        "            'found': found}\n"
    )
    first = pool.run(job(code, kwargs={"change": True}))
    second = pool.run(job(code, kwargs={"change": False}))
    for result in (first, second):
        assert result["status"] == "success", result["error"]
        value = result["return_value"]
        assert set(value["env"]) <= {"PATH", "LANG", "HOME", "TMPDIR", "LC_CTYPE"}, value["env"]
        assert value["env"]["HOME"] == value["env"]["TMPDIR"] == value["cwd"] == value["tmp"]
    assert "LEFT_BEHIND" not in second["return_value"]["env"]
    assert second["return_value"]["found"] == []  # a fresh, empty directory each time


def test_the_spare_process_warm_up_leaves_no_trace_a_job_can_see(pool):
    code = (
        "import linecache, sys\n"
        "def main():\n"
        "    print('captured')\n"
        "    return {'cached': sorted(linecache.cache), 'stdout': type(sys.stdout).__name__}\n"
    )
    logs = []
    result = pool.run(job(code, script_id="probe"), logs.append)
    assert result["status"] == "success", result["error"]
    assert result["return_value"]["cached"] == ["<probe>"]
    assert result["return_value"]["stdout"] == "LogWriter"
    assert [entry["message"] for entry in logs] == ["captured"]
