"""A job reaches nothing of the app, of another job, or of another user (issue: sandbox integrity).

Each test is an attack that worked against the earlier fork server, asserting that the concrete
leak is gone — not merely that the run "succeeded".
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.runner.conftest import job
from tests.runner.test_attacks import _processes_with
from webapp.runner.network import Endpoint
from webapp.runner.sandbox import SandboxConfig
from webapp.runner.service import pool_for

RAISES = "def main():\n    raise ValueError('really raised')\n"


def tree_of(root: int) -> list[int]:
    """root and all its descendants (host PIDs)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


# --- 1. the server's environment -------------------------------------------------------------


def test_no_process_in_the_sandbox_holds_the_apps_environment(monkeypatch):
    monkeypatch.setenv("FUNCPAD_SECRET_KEY", "env-secret-1f3a")
    monkeypatch.setenv("HOME", "/root/home-of-the-app")
    pool = pool_for(SandboxConfig(slots=1, uid_base=64310))  # started after the env is set
    code = (
        "import os\n"
        "def main():\n"
        "    seen = {}\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        for name in ('environ', 'cmdline'):\n"
        "            try:\n"
        "                seen[pid + '/' + name] = open(f'/proc/{pid}/{name}', 'rb').read()"
        ".decode('latin-1')\n"
        "            except OSError as exc:\n"
        "                seen[pid + '/' + name] = type(exc).__name__\n"
        "    return seen\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "success", result["error"]
    seen = result["return_value"]
    assert "1/environ" in seen  # bubblewrap's own process, PID 1 inside
    for value in seen.values():
        assert "FUNCPAD_" not in value and "env-secret-1f3a" not in value
        assert "/root/home-of-the-app" not in value
    # And from the host: no process of the slot (pasta, bwrap, zygote, spare) has them.
    slot = pool._slots[0]
    for pid in tree_of(slot.process.pid):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        assert b"FUNCPAD_" not in environ and b"home-of-the-app" not in environ, pid


# --- 2. the zygote's memory ------------------------------------------------------------------


def test_a_job_cannot_read_or_write_its_zygote(pool):
    code = (
        "import os\n"
        "def main():\n"
        "    parent = os.getppid()\n"
        "    out = {'parent': parent}\n"
        "    for name, mode in (('mem', 'r+b'), ('mem', 'rb'), ('environ', 'rb'),"
        " ('maps', 'rb')):\n"
        "        try:\n"
        "            open(f'/proc/{parent}/{name}', mode).read(1)\n"
        "            out[name + mode] = 'opened'\n"
        "        except OSError as exc:\n"
        "            out[name + mode] = type(exc).__name__\n"
        "    try:\n"
        "        out['fd'] = os.listdir(f'/proc/{parent}/fd')\n"
        "    except OSError as exc:\n"
        "        out['fd'] = type(exc).__name__\n"
        "    return out\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "success", result["error"]
    value = result["return_value"]
    for key in ("memr+b", "memrb", "environrb", "mapsrb", "fd"):
        assert value[key] == "PermissionError", (key, value)
    # A later job that raises is still recorded as the failure it is.
    after = pool.run(job(RAISES))
    assert after["status"] == "failure" and after["error"]["message"] == "really raised"


# --- 3. the previous job -----------------------------------------------------------------------


def test_the_next_job_finds_nothing_of_the_previous_one(pool):
    secret = "kwarg-secret-77c1"
    first = job(
        "def main(token):\n    return len(token)\n",
        kwargs={"token": secret},
        env={"api_key": {"type": "password", "value": "env-secret-9d2e"}},
        connectors={"datakit": {"type": "datakit", "config": {"token": "conn-secret-4b8a"}}},
    )
    assert pool.run(first)["status"] == "success"
    probe = (
        "import gc, sys\n"
        "def main():\n"
        "    found = []\n"
        "    frame = sys._getframe().f_back\n"
        "    while frame is not None:\n"
        "        found.append(repr(frame.f_locals)[:100000])\n"
        "        frame = frame.f_back\n"
        "    for obj in gc.get_objects():\n"
        "        if isinstance(obj, dict):\n"
        "            try:\n"
        "                found.append(repr(list(obj.values()))[:10000])\n"
        "            except Exception:\n"
        "                pass\n"
        "    text = '\\n'.join(found)\n"
        "    needles = [s[::-1] for s in ('1c77-terces-grawk', 'e2d9-terces-vne', 'a8b4-terces-nnoc')]\n"
        "    return [s for s in needles if s in text]\n"
    )
    for _ in range(2):  # whichever slot it lands on
        result = pool.run(job(probe))
        assert result["status"] == "success", result["error"]
        assert result["return_value"] == []


# --- 4. /tmp ---------------------------------------------------------------------------------


def test_nothing_written_to_tmp_or_shm_reaches_the_next_job():
    single = pool_for(SandboxConfig(slots=1, uid_base=64320))
    write = (
        "import os\n"
        "def main():\n"
        "    for path in ('/tmp/left.txt', '/dev/shm/left.bin', 'here.txt'):\n"
        "        open(path, 'w').write('from another user')\n"
        "    os.mkdir('/tmp/dir')\n"
        "    out = {}\n"
        "    try:\n"
        "        open('/dev/left.txt', 'w')\n"
        "        out['dev'] = 'written'\n"
        "    except OSError as exc:\n"
        "        out['dev'] = type(exc).__name__\n"
        "    return out\n"
    )
    look = (
        "import os\n"
        "def main():\n"
        "    return {d: sorted(os.listdir(d)) for d in ('/tmp', '/dev/shm', os.getcwd())}\n"
    )
    written = single.run(job(write))
    assert written["status"] == "success", written["error"]
    assert written["return_value"]["dev"] in {"OSError", "PermissionError"}
    seen = single.run(job(look))
    assert seen["status"] == "success", seen["error"]
    assert seen["return_value"] == {"/tmp": [], "/dev/shm": [], os.path.join("/tmp"): []}


def test_tmp_is_capped_in_size_and_in_files():
    small = pool_for(SandboxConfig(slots=1, uid_base=64330, tmp_bytes=8 << 20, tmp_inodes=200))
    code = (
        "import errno\n"
        "def main():\n"
        "    written = 0\n"
        "    try:\n"
        "        with open('/tmp/big', 'wb') as f:\n"
        "            for _ in range(32):\n"
        "                f.write(b'x' * (1 << 20))\n"
        "                f.flush()\n"
        "                written += 1\n"
        "    except OSError as exc:\n"
        "        size_error = errno.errorcode[exc.errno]\n"
        "    import os\n"
        "    os.remove('/tmp/big')\n"
        "    files = 0\n"
        "    try:\n"
        "        for i in range(10000):\n"
        "            open(f'/tmp/f{i}', 'w').close()\n"
        "            files += 1\n"
        "    except OSError as exc:\n"
        "        files_error = errno.errorcode[exc.errno]\n"
        "    return {'mib': written, 'size_error': size_error, 'files': files,\n"
        "            'files_error': files_error}\n"
    )
    result = small.run(job(code))
    assert result["status"] == "success", result["error"]
    value = result["return_value"]
    assert value["mib"] <= 8 and value["size_error"] == "ENOSPC"
    assert value["files"] < 200 and value["files_error"] == "ENOSPC"


# --- 5. the result is the supervisor's -------------------------------------------------------

FIND_PIPE = (
    "import os, stat, struct, json, time\n"
    "def frames_pipe():\n"
    "    for fd in map(int, os.listdir('/proc/self/fd')):\n"
    "        try:\n"
    "            if stat.S_ISFIFO(os.fstat(fd).st_mode) and os.get_blocking(fd) and\\\n"
    "                    os.readlink(f'/proc/self/fd/{fd}') and fd > 2:\n"
    "                flags = open(f'/proc/self/fdinfo/{fd}').read()\n"
    "                if 'flags:\\t01' in flags or 'flags:\\t02' in flags:\n"
    "                    return fd\n"
    "        except OSError:\n"
    "            pass\n"
    "def forge(message):\n"
    "    body = json.dumps(message).encode()\n"
    "    os.write(frames_pipe(), struct.pack('>I', len(body)) + body)\n"
)


def test_a_forged_result_frame_does_not_make_a_raising_run_succeed(pool):
    code = FIND_PIPE + (
        "def main():\n"
        "    forge({'type': 'result', 'status': 'success', 'return_value': 'forged',\n"
        "           'error': None, 'duration_ms': 0.0001})\n"
        "    raise ValueError('really raised')\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "failure"
    assert result["return_value"] != "forged"
    assert "protocol" in result["error"]["message"]


def test_the_duration_is_measured_outside_the_child(pool):
    code = FIND_PIPE + (
        "def main():\n"
        "    time.sleep(0.3)\n"
        "    forge({'type': 'result', 'status': 'success', 'return_value': 'mine',\n"
        "           'error': None, 'duration_ms': 0.0001, 'peak_memory_kb': 1})\n"
        "    os._exit(0)\n"
    )
    result = pool.run(job(code))
    # Its own return value is a script's right; its duration is not.
    assert result["status"] == "success" and result["return_value"] == "mine", result["error"]
    assert result["duration_ms"] >= 300


def test_an_oversized_result_frame_is_refused_on_the_host(pool):
    code = FIND_PIPE + (
        "def main():\n"
        "    os.write(frames_pipe(), struct.pack('>I', 60 * 1024 * 1024) + b'{\"type\": ')\n"
        "    time.sleep(5)\n"
    )
    started = time.monotonic()
    result = pool.run(job(code))
    assert result["status"] == "failure"
    assert result["error"]["type"] == "ResultTooLarge"
    assert result["return_value"] is None
    assert time.monotonic() - started < 4  # refused on the header, not after the sleep


def test_a_large_return_value_is_cut_to_the_configured_cap():
    capped = pool_for(SandboxConfig(slots=1, uid_base=64340, result_bytes=64 * 1024))
    result = capped.run(job("def main():\n    return 'y' * 200_000\n"))
    assert result["status"] == "success"
    assert len(result["return_value"]) < 70 * 1024
    assert "truncated" in result["return_value"]


def test_the_live_stream_is_capped_for_short_lines_too(pool):
    logs = []
    code = "def main():\n    for i in range(100_000):\n        print(i)\n    return 'done'\n"
    result = pool.run(job(code, timeout=60), logs.append)
    assert result["status"] == "success" and result["log_truncated"] is True
    streamed = sum(len(entry["message"]) + 48 for entry in logs)
    assert streamed <= 1024 * 1024 + 200
    assert len(logs) < 30_000
    assert "truncated" in logs[-1]["message"]


def test_log_frames_written_past_the_harness_are_capped_too(pool):
    logs = []
    code = FIND_PIPE + (
        "def main():\n"
        "    fd = frames_pipe()\n"
        "    line = json.dumps({'type': 'log', 'time': 0, 'message': 'z' * 500}).encode()\n"
        "    frame = struct.pack('>I', len(line)) + line\n"
        "    for _ in range(20_000):\n"
        "        os.write(fd, frame)\n"
        "    return 'sent'\n"
    )
    result = pool.run(job(code, timeout=60), logs.append)
    assert result["log_truncated"] is True
    assert sum(len(entry["message"]) + 48 for entry in logs) <= 1024 * 1024 + 200


def test_a_line_after_the_result_breaks_the_protocol(pool):
    code = FIND_PIPE + (
        "def main():\n"
        "    forge({'type': 'result', 'status': 'success', 'return_value': 1, 'error': None})\n"
        "    forge({'type': 'log', 'time': 0, 'message': 'after'})\n"
        "    os._exit(0)\n"
    )
    result = pool.run(job(code))
    assert result["status"] == "failure" and "protocol" in result["error"]["message"]


# --- 6. the network --------------------------------------------------------------------------


@pytest.fixture
def listeners():
    """Two TCP listeners on 127.0.0.1 (an 'app port' and a 'connector port') and an abstract
    UNIX socket, all answering b'hello'."""
    sockets = []

    def serve(server):
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"hello")

    ports = []
    for _ in range(2):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        sockets.append(server)
        ports.append(server.getsockname()[1])
        threading.Thread(target=serve, args=(server,), daemon=True).start()
    abstract = socket.socket(socket.AF_UNIX)
    name = f"\0funcpad-test-{uuid.uuid4().hex}"
    abstract.bind(name)
    abstract.listen()
    sockets.append(abstract)
    threading.Thread(target=serve, args=(abstract,), daemon=True).start()
    yield {"app": ports[0], "connector": ports[1], "abstract": name[1:]}
    for server in sockets:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()


REACH = (
    "import socket\n"
    "def main(app, connector, abstract):\n"
    "    out = {}\n"
    "    for name, family, address in (\n"
    "            ('app', socket.AF_INET, ('127.0.0.1', app)),\n"
    "            ('connector', socket.AF_INET, ('127.0.0.1', connector)),\n"
    "            ('abstract', socket.AF_UNIX, '\\0' + abstract),\n"
    "            ('private', socket.AF_INET, ('10.1.2.3', 80)),\n"
    "            ('link_local', socket.AF_INET, ('169.254.169.254', 80))):\n"
    "        s = socket.socket(family)\n"
    "        s.settimeout(2)\n"
    "        try:\n"
    "            s.connect(address)\n"
    "            out[name] = s.recv(5).decode()\n"
    "        except OSError as exc:\n"
    "            out[name] = type(exc).__name__\n"
    "        finally:\n"
    "            s.close()\n"
    "    return out\n"
)


def test_internet_policy_reaches_connectors_only(listeners):
    pool = pool_for(SandboxConfig(slots=1, uid_base=64350, network="internet"))
    assert pool.layers.network == "internet", pool.layers.network_detail
    pool.set_endpoints([Endpoint("127.0.0.1", listeners["connector"])])
    result = pool.run(job(REACH, kwargs=listeners))
    assert result["status"] == "success", result["error"]
    reached = result["return_value"]
    assert reached["connector"] == "hello"
    assert reached["app"] != "hello" and reached["abstract"] != "hello"
    assert reached["private"] == reached["link_local"] == "PermissionError"  # prohibit route


def test_none_policy_reaches_nothing(listeners):
    pool = pool_for(SandboxConfig(slots=1, uid_base=64360, network="none"))
    assert pool.layers.network == "none"
    pool.set_endpoints([Endpoint("127.0.0.1", listeners["connector"])])
    result = pool.run(job(REACH, kwargs=listeners))
    assert result["status"] == "success", result["error"]
    assert "hello" not in result["return_value"].values()


def test_host_policy_is_opt_in_and_reported(listeners):
    pool = pool_for(SandboxConfig(slots=1, uid_base=64370, network="host"))
    assert pool.layers.network == "host"
    assert any("network" in warning for warning in pool.layers.warnings)
    result = pool.run(job(REACH, kwargs=listeners))
    assert result["return_value"]["app"] == "hello"  # what the warning says


def test_a_job_that_answers_and_lingers_is_killed_before_the_slot_serves_again():
    single = pool_for(SandboxConfig(slots=1, uid_base=64380))
    token = "765.432198"
    code = FIND_PIPE + (
        "import subprocess\n"
        "def main():\n"
        f"    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
        "    forge({'type': 'result', 'status': 'success', 'return_value': 'early',\n"
        "           'error': None})\n"
        "    os.close(frames_pipe())\n"
        "    while True:\n"
        "        time.sleep(0.01)\n"
    )
    result = single.run(job(code, timeout=30))
    assert result["status"] == "success" and result["return_value"] == "early"
    after = single.run(job("def main():\n    return 'next'\n"))  # waits for the slot to settle
    assert after["return_value"] == "next"
    assert _processes_with(token) == []


def test_a_grandchild_holding_the_pipe_does_not_hold_the_run(pool):
    code = (
        "import os, time\n"
        "def main():\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    return 'parent done'\n"
    )
    started = time.monotonic()
    result = pool.run(job(code, timeout=20))
    assert result["status"] == "success" and result["return_value"] == "parent done"
    assert time.monotonic() - started < 5


@pytest.fixture
def outside_host():
    """A 'public' host, 203.0.113.10:8080 (TEST-NET-3), in a network namespace made here and
    reached through a veth pair: what the internet looks like to the sandbox, without leaving
    this machine."""
    # The suite runs as root (as CI does): the public path is tested for real, never skipped.
    assert os.geteuid() == 0, "a network namespace needs root: run the tests as root, as CI does"
    name, host_if = f"fp{os.getpid() % 100000}", f"fpv{os.getpid() % 100000}"
    run = lambda *args: subprocess.run(args, check=True, capture_output=True)  # noqa: E731
    run("ip", "netns", "add", name)
    try:
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", "fpinner")
        run("ip", "link", "set", "fpinner", "netns", name)
        run("ip", "addr", "add", "198.51.100.1/32", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        run("ip", "route", "add", "203.0.113.10/32", "dev", host_if)
        inside = ("ip", "netns", "exec", name)
        run(*inside, "ip", "link", "set", "lo", "up")
        run(*inside, "ip", "addr", "add", "203.0.113.10/32", "dev", "fpinner")
        run(*inside, "ip", "link", "set", "fpinner", "up")
        run(*inside, "ip", "route", "add", "198.51.100.1/32", "dev", "fpinner")
        run(*inside, "ip", "route", "add", "default", "via", "198.51.100.1", "dev", "fpinner")
        server = subprocess.Popen(
            [
                *inside,
                sys.executable,
                "-c",
                "import socket\n"
                "s = socket.socket(); s.bind(('203.0.113.10', 8080)); s.listen()\n"
                "print('ready', flush=True)\n"
                "while True:\n"
                "    c, _ = s.accept(); c.sendall(b'public'); c.close()\n",
            ],
            stdout=subprocess.PIPE,
        )
        assert server.stdout.readline().strip() == b"ready"
        yield ("203.0.113.10", 8080)
        server.kill()
        server.wait(5)
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_internet_policy_reaches_a_public_host(outside_host):
    pool = pool_for(SandboxConfig(slots=1, uid_base=64390, network="internet"))
    code = (
        "import socket\n"
        "def main(host, port):\n"
        "    s = socket.create_connection((host, port), timeout=3)\n"
        "    return s.recv(6).decode()\n"
    )
    host, port = outside_host
    result = pool.run(job(code, kwargs={"host": host, "port": port}))
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == "public"
    blocked = pool_for(SandboxConfig(slots=1, uid_base=64395, network="none"))
    refused = blocked.run(job(code, kwargs={"host": host, "port": port}))
    assert refused["status"] == "failure" and refused["error"]["type"] in {
        "OSError",
        "TimeoutError",
        "ConnectionRefusedError",
    }


def test_internet_without_pasta_fails_closed_to_none_and_says_so(monkeypatch):
    from webapp.runner import network
    from webapp.runner.sandbox import Sandbox

    monkeypatch.setattr(
        network, "pasta_available", lambda: (False, "pasta is not installed (Debian package passt)")
    )
    sandbox = Sandbox(SandboxConfig(slots=1, uid_base=64398))
    assert sandbox.layers.network == "none"
    assert any("pasta is not installed" in warning for warning in sandbox.layers.warnings)
    assert "--share-net" not in sandbox.launch_plan(0).argv


def test_a_job_flooding_its_pipe_still_times_out(pool):
    code = FIND_PIPE + (
        "def main():\n"
        "    fd = frames_pipe()\n"
        "    line = json.dumps({'type': 'log', 'time': 0, 'message': 'f' * 60000}).encode()\n"
        "    frame = struct.pack('>I', len(line)) + line\n"
        "    while True:\n"
        "        os.write(fd, frame)\n"
    )
    started = time.monotonic()
    result = pool.run(job(code, timeout=2))
    assert result["status"] == "timeout"
    assert time.monotonic() - started < 10
