"""Host side: run pip in a sandbox of its own to install packages into the Packages folder.

A package's build step is untrusted code, so pip gets what a job gets (bubblewrap, the internet
through pasta with the host's loopback and private ranges blocked, no view of the data
directory, rlimits), runs as an installer uid of its own (``uid_base - 1`` when the app is root;
never a slot's uid, so a script cannot write the folder), and may write only two folders: the
Packages folder (bound at ``/install``) and a scratch ``/tmp`` removed afterwards. pip is the
app's own, copied once into the runtime folder; the machine's pip configuration (``/etc/pip.conf``,
``/etc/xdg/pip``, ``PIP_*`` variables) is what it reads, so it uses the registry set up for pip.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from webapp.runner import network
from webapp.runner.sandbox import RUNTIME_MOUNT, Sandbox, SandboxConfig, bwrap_command

INSTALL_MOUNT = "/install"
TIMEOUT_SECONDS = 900
PIP_CONFIG_PATHS = ("/etc/pip.conf", "/etc/xdg/pip")
_PIP_MAIN = (
    "import sys; sys.path.insert(0, sys.argv.pop(1));"
    "from pip._internal.cli.main import main; sys.exit(main())"
)
_pip_copy_lock = threading.Lock()


def installer_uid(sandbox: Sandbox | SandboxConfig) -> int | None:
    """The uid pip runs as: one below the slots' when root, else the app's own (None)."""
    config = sandbox.config if isinstance(sandbox, Sandbox) else sandbox
    return config.uid_base - 1 if os.geteuid() == 0 else None


def prepare_folder(folder: Path, sandbox: Sandbox | SandboxConfig) -> None:
    """Create the Packages folder, owned by the installer uid, readable by the jobs' uids
    (it must exist before a slot starts: bubblewrap binds it then)."""
    folder.mkdir(parents=True, exist_ok=True)
    uid = installer_uid(sandbox)
    if uid is not None and folder.stat().st_uid != uid:
        os.chown(folder, uid, uid)
    folder.chmod(0o755)


def pip_tool(sandbox: Sandbox) -> Path:
    """The runtime folder's copy of the app's pip (made on first use, world-readable)."""
    target = sandbox.runtime_dir / "pip-tool"
    with _pip_copy_lock:
        if not (target / "pip").is_dir():
            import pip

            staging = Path(tempfile.mkdtemp(prefix="pip-tool-", dir=sandbox.runtime_dir))
            shutil.copytree(Path(pip.__file__).parent, staging / "pip")
            for path in [staging, *staging.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            staging.rename(target)
    return target


def _pip_environment() -> list[str]:
    """bwrap ``--setenv`` pairs: the app's ``PIP_*`` settings, then what the box needs."""
    pairs = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
    pairs.update(
        {
            "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_PROGRESS_BAR": "off",
            "PYTHONUNBUFFERED": "1",
        }
    )
    args: list[str] = []
    for key, value in sorted(pairs.items()):
        args += ["--setenv", key, value]
    return args


def _limits(uid: int | None) -> Callable[[], None]:
    def preexec() -> None:
        os.umask(0o022)  # what pip writes is readable by the jobs' uids
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return preexec


def command(sandbox: Sandbox, folder: Path, scratch: Path, tail: list[str]) -> list[str]:
    """argv running ``python <tail>`` in the installer's box (``tail`` after ``python -I``)."""
    layers = sandbox.layers
    python = layers.interpreter
    if not layers.bubblewrap:
        # No bubblewrap: the uid (when root) and rlimits are all the confinement there is.
        return [python, "-I", *[part.replace(INSTALL_MOUNT, str(folder)) for part in tail]]
    extra = ["--bind", str(folder), INSTALL_MOUNT, "--bind", str(scratch), "/tmp"]
    for path in PIP_CONFIG_PATHS:
        if os.path.exists(path):
            extra += ["--ro-bind", path, path]
    extra += _pip_environment()
    uid = installer_uid(sandbox)
    inner_uid = uid if uid is not None else os.getuid()
    if layers.network == "internet":
        _, pasta = network.pasta_available()
        plan = network.plan_for("internet", ())
        return sandbox.internet_argv(pasta, plan, python, tail, inner_uid, tuple(extra))
    box = bwrap_command(
        python,
        sandbox.runtime_dir,
        layers.network,
        packages_dir=sandbox.config.packages_dir,
        extra=tuple(extra),
    )
    return [*box, python, "-I", *tail]


def run_boxed(
    sandbox: Sandbox,
    folder: Path,
    tail: list[str],
    on_line: Callable[[str], None],
    timeout: float = TIMEOUT_SECONDS,
) -> int:
    """Run ``python -I <tail>`` in the installer's box; each output line to ``on_line``.

    Returns the exit status (-9 when it ran out of time and was killed).
    """
    uid = installer_uid(sandbox)
    scratch = Path(tempfile.mkdtemp(prefix="funcpad-pip-"))
    try:
        if uid is not None:
            os.chown(scratch, uid, uid)
        process = subprocess.Popen(
            command(sandbox, folder, scratch, tail),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_limits(uid),
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(scratch)}
            if not sandbox.layers.bubblewrap
            else {},
            cwd="/",
            start_new_session=True,
        )
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), _kill(process)))
        timer.start()
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                on_line(raw.decode("utf-8", "replace").rstrip("\n"))
            status = process.wait()
        finally:
            timer.cancel()
        return -9 if timed_out.is_set() else status
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 9)


def pip(
    sandbox: Sandbox,
    folder: Path,
    args: list[str],
    on_line: Callable[[str], None],
    timeout: float = TIMEOUT_SECONDS,
) -> int:
    """``pip <args>`` in the installer's box (``/install`` is the Packages folder)."""
    copy = pip_tool(sandbox)
    tool = f"{RUNTIME_MOUNT}/pip-tool" if sandbox.layers.bubblewrap else str(copy)
    return run_boxed(sandbox, folder, ["-c", _PIP_MAIN, tool, *args], on_line, timeout)
