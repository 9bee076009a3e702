"""pip's box, attacked: a package's build step runs there, so it is hostile code. What it may
write (the Packages folder, a scratch /tmp), and what it must not reach: the data directory,
the runtime, the app's environment, the host's loopback services."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from pathlib import Path

import pytest

from webapp.runner import installer
from webapp.runner.sandbox import Sandbox, SandboxConfig

BUILD_STEP = r"""
import json, os, socket, sys
data_db, port = sys.argv[1], int(sys.argv[2])
seen = {'uid': os.getuid()}
def attempt(name, action):
    try:
        action()
        seen[name] = 'allowed'
    except OSError as e:
        seen[name] = type(e).__name__
attempt('read_db', lambda: open(data_db, 'rb').read())
attempt('write_install', lambda: open('/install/built.txt', 'w').write('ok'))
attempt('write_tmp', lambda: open('/tmp/scratch', 'w').write('ok'))
attempt('write_runtime', lambda: open('/funcpad/planted.py', 'w'))
attempt('write_usr', lambda: open('/usr/lib/python3/dist-packages/planted.py', 'w'))
attempt('loopback', lambda: socket.create_connection(('127.0.0.1', port), timeout=3).close())
seen['secrets_in_env'] = sorted(k for k in os.environ if 'FUNCPAD' in k or 'SECRET' in k)
print(json.dumps(seen))
"""


@pytest.fixture
def box():
    base = Path(tempfile.mkdtemp(prefix="funcpad-box-test-"))
    base.chmod(0o755)
    folder = base / "packages"
    sandbox = Sandbox(SandboxConfig(slots=1, packages_dir=None, user_packages_dir=None))
    installer.prepare_folder(folder, sandbox)
    yield sandbox, folder
    import shutil

    shutil.rmtree(base, ignore_errors=True)


def test_a_build_step_writes_only_its_folders_and_reaches_nothing_of_the_host(box, tmp_path):
    sandbox, folder = box
    assert sandbox.layers.bubblewrap, "the test machine has bubblewrap"
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "funcpad.db").write_bytes(b"secret rows")
    os.chmod(data / "funcpad.db", 0o600)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    os.environ["FUNCPAD_SECRET_KEY_FOR_TEST"] = "must-not-leak"
    lines: list[str] = []
    try:
        status = installer.run_boxed(
            sandbox,
            folder,
            ["-c", BUILD_STEP, str(data / "funcpad.db"), str(listener.getsockname()[1])],
            lines.append,
            timeout=60,
        )
    finally:
        del os.environ["FUNCPAD_SECRET_KEY_FOR_TEST"]
        listener.close()
    assert status == 0, lines
    seen = json.loads(lines[-1])
    assert seen["read_db"] in ("FileNotFoundError", "PermissionError")
    assert seen["write_install"] == "allowed" and (folder / "built.txt").read_text() == "ok"
    assert seen["write_tmp"] == "allowed"
    assert seen["write_runtime"] != "allowed" and seen["write_usr"] != "allowed"
    assert seen["loopback"] != "allowed"
    assert seen["secrets_in_env"] == []
    if os.geteuid() == 0:
        assert seen["uid"] == installer.installer_uid(sandbox) == 64099
        assert (folder / "built.txt").stat().st_uid == 64099


def test_a_build_step_that_hangs_is_killed_at_its_time(box):
    sandbox, folder = box
    lines: list[str] = []
    status = installer.run_boxed(
        sandbox, folder, ["-c", "import time; print('hang', flush=True); time.sleep(60)"],
        lines.append, timeout=2,
    )  # fmt: skip
    assert status == -9 and lines == ["hang"]
