"""Host side: which isolation layers this machine offers, and how to start a fork server in them.

Layers, each detected at start and reported (``/healthz``, the Sandbox admin page):

- ``bubblewrap``: the fork server runs in its own mount, PID, IPC and UTS namespaces with a
  read-only system, a private /tmp, and no view of the data directory. bwrap is always started
  *after* dropping to the job uid (a root-started bwrap would leave the script root on the host).
- ``uid``: when the app runs as root, each slot runs as its own unprivileged uid (setgroups,
  setgid, setuid), so RLIMIT_NPROC applies and the 0600 database and key are unreadable.
- ``rlimits``: CPU seconds, address space, processes, file size, open files, no core dumps.
- ``seccomp``: ptrace, mount, unshare, setns, bpf, keyctl and the like return EPERM.

A layer that is missing is logged once and shown as such; the runner refuses to start at all
rather than run scripts as root with full access, unless ``FUNCPAD_SANDBOX_INSECURE=on``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
SDK_DIR = PACKAGE_DIR.parent / "sdk"
CHILD_SIDE_FILES = ("forkserver.py", "harness.py", "framing.py")
RUNTIME_MOUNT = "/funcpad"
DEBIAN_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class SandboxConfig:
    slots: int
    uid_base: int = 64100
    insecure_allowed: bool = False
    python: str | None = None  # None: choose (Debian's python3 when root, else this interpreter)
    memory_bytes: int = 1024 * 1024 * 1024
    processes: int = 64
    file_bytes: int = 64 * 1024 * 1024
    open_files: int = 256
    mode: str = "forkserver"  # or "spawn": a fresh process per job (the fallback)


@dataclass
class SandboxLayers:
    """What is active, and why not when it is not. Serialised into /healthz."""

    available: bool = False
    reason: str = ""
    interpreter: str = ""
    bubblewrap: bool = False
    bubblewrap_detail: str = ""
    uid_switch: bool = False
    uid_detail: str = ""
    rlimits: bool = True
    seccomp: bool = False
    seccomp_detail: str = ""
    forkserver: bool = True
    insecure: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def prepare_runtime(root: Path | None = None) -> Path:
    """Copy the child-side modules into a world-readable directory and return it.

    The repository (and its virtualenv) may live where an unprivileged uid cannot read, e.g. a
    0700 checkout under /tmp or /root; the sandbox only ever sees this copy.
    """
    base = Path(root or tempfile.mkdtemp(prefix="funcpad-runtime-"))
    base.mkdir(parents=True, exist_ok=True)
    (base / "sdk").mkdir(exist_ok=True)
    for name in CHILD_SIDE_FILES:
        shutil.copyfile(PACKAGE_DIR / name, base / name)
    for source in SDK_DIR.glob("*.py"):
        shutil.copyfile(source, base / "sdk" / source.name)
    for path in [base, base / "sdk", *base.rglob("*.py")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return base


def drop_privileges(uid: int) -> Callable[[], None]:
    """A ``preexec_fn`` that becomes ``uid`` for good (no supplementary groups)."""

    def preexec() -> None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    return preexec


def bwrap_command(python: str, runtime_dir: Path) -> list[str]:
    """bubblewrap arguments: read-only system, private /tmp and /proc, only the runtime bound."""
    command = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",
        "--share-net",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/local/bin:/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "HOME",
        "/tmp",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    # Name resolution and TLS need a few files from /etc; nothing else of the host is visible.
    for path in (
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/nsswitch.conf",
        "/etc/ssl",
        "/etc/ca-certificates",
        "/etc/localtime",
        "/etc/host.conf",
        "/etc/gai.conf",
    ):
        if os.path.exists(path):
            command += ["--ro-bind", path, path]
    prefix = Path(python).resolve().parent.parent
    if not str(prefix).startswith("/usr"):
        # An interpreter outside /usr (a venv or pyenv build): bind its prefixes read-only.
        for extra in sorted({str(prefix), sys.base_prefix, sys.prefix}):
            if not extra.startswith("/usr") and os.path.exists(extra):
                command += ["--ro-bind", extra, extra]
    # The sandbox's own root (where /etc and /funcpad are created) is read-only too; only
    # /tmp (a private tmpfs) is writable.
    command += [
        "--ro-bind",
        str(runtime_dir),
        RUNTIME_MOUNT,
        "--remount-ro",
        "/",
        "--chdir",
        "/tmp",
    ]
    return command


@dataclass
class LaunchPlan:
    """How to start one slot's fork server."""

    argv: list[str]
    preexec_fn: Callable[[], None] | None
    kill_all: bool


class Sandbox:
    """Detects the layers once and builds fork-server launch plans per slot."""

    def __init__(self, config: SandboxConfig, runtime_dir: Path | None = None) -> None:
        self.config = config
        self.runtime_dir = prepare_runtime(runtime_dir)
        self.is_root = os.geteuid() == 0
        self.layers = SandboxLayers()
        self._detect()

    # --- detection ------------------------------------------------------------------------

    def _choose_python(self) -> str:
        if self.config.python:
            return self.config.python
        if self.is_root and os.access(DEBIAN_PYTHON, os.X_OK):
            return DEBIAN_PYTHON  # readable by any uid, unlike an interpreter under /root
        return sys.executable

    def _probe(self, argv: list[str], preexec: Callable[[], None] | None) -> tuple[bool, str]:
        try:
            done = subprocess.run(
                argv,
                preexec_fn=preexec,
                capture_output=True,
                text=True,
                timeout=20,
                stdin=subprocess.DEVNULL,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return False, str(exc)
        output = (done.stdout + done.stderr).strip()
        return done.returncode == 0, output

    def _detect(self) -> None:
        layers = self.layers
        layers.interpreter = python = self._choose_python()
        probe_uid = self.config.uid_base
        preexec = drop_privileges(probe_uid) if self.is_root else None
        layers.uid_switch = self.is_root
        layers.uid_detail = (
            f"each slot runs as its own uid from {self.config.uid_base}"
            if self.is_root
            else f"the app is not root: jobs run as uid {os.getuid()}"
        )
        check = (
            "import sys, json; sys.path.insert(0, sys.argv[1]); import framing, harness;"
            "ok = {}\n"
            "try:\n import seccomp; ok['seccomp'] = True\n"
            "except ImportError:\n"
            " try:\n  import pyseccomp; ok['seccomp'] = True\n"
            " except ImportError: ok['seccomp'] = False\n"
            "print(json.dumps(ok))"
        )
        plain_ok, plain_out = self._probe(
            [python, "-I", "-c", check, str(self.runtime_dir)], preexec
        )
        if not plain_ok:
            layers.available = False
            layers.reason = (
                f"{python} cannot run the sandbox runtime as uid {probe_uid}: {plain_out[-300:]}"
                if self.is_root
                else f"{python} failed: {plain_out[-300:]}"
            )
            log.error("sandbox unavailable: %s", layers.reason)
            return
        layers.seccomp = bool(json.loads(plain_out.splitlines()[-1]).get("seccomp"))
        layers.seccomp_detail = (
            "denies ptrace, mount, unshare, setns, bpf, keyctl, namespaces, ..."
            if layers.seccomp
            else "no seccomp module for this interpreter (python3-seccomp)"
        )
        if shutil.which("bwrap"):
            argv = [
                *bwrap_command(python, self.runtime_dir),
                python,
                "-I",
                "-c",
                check,
                RUNTIME_MOUNT,
            ]
            ok, output = self._probe(argv, preexec)
            layers.bubblewrap = ok
            layers.bubblewrap_detail = (
                "namespaces: mount, pid, ipc, uts, user; read-only /usr; private /tmp"
                if ok
                else f"bwrap failed: {output[-300:]}"
            )
        else:
            layers.bubblewrap_detail = "bwrap is not installed (Debian package bubblewrap)"
        layers.available = True
        if not layers.bubblewrap and not layers.uid_switch:
            layers.insecure = True
            message = (
                "neither bubblewrap nor a separate uid is available: scripts would run as the "
                "app's own user and could read its data directory"
            )
            if not self.config.insecure_allowed:
                layers.available = False
                layers.reason = message + " (set FUNCPAD_SANDBOX_INSECURE=on to allow it)"
                log.error("sandbox unavailable: %s", layers.reason)
                return
            layers.warnings.append(message)
        for name, active, detail in (
            ("bubblewrap", layers.bubblewrap, layers.bubblewrap_detail),
            ("seccomp", layers.seccomp, layers.seccomp_detail),
        ):
            if not active:
                layers.warnings.append(f"{name} layer off: {detail}")
                log.warning("sandbox layer %s is off: %s", name, detail)

    # --- launching ------------------------------------------------------------------------

    def slot_uid(self, slot: int) -> int | None:
        return self.config.uid_base + slot if self.is_root else None

    def launch_plan(self, slot: int, preload: bool = True) -> LaunchPlan:
        """argv and preexec_fn starting slot ``slot``'s fork server inside every active layer."""
        layers = self.layers
        uid = self.slot_uid(slot)
        server_config = {
            "preload": preload,
            "seccomp": layers.seccomp,
            # kill(-1) is safe alone in a PID namespace or alone as a uid; else kill by tree.
            "kill_all": layers.bubblewrap or uid is not None,
            "tmp_root": "/tmp" if layers.bubblewrap else None,
        }
        if layers.bubblewrap:
            argv = [
                *bwrap_command(layers.interpreter, self.runtime_dir),
                layers.interpreter,
                "-I",
                f"{RUNTIME_MOUNT}/forkserver.py",
                json.dumps(server_config),
            ]
        else:
            argv = [
                layers.interpreter,
                "-I",
                str(self.runtime_dir / "forkserver.py"),
                json.dumps(server_config),
            ]
        return LaunchPlan(
            argv=argv,
            preexec_fn=drop_privileges(uid) if uid is not None else None,
            kill_all=server_config["kill_all"],
        )

    def limits(self, timeout: float) -> dict:
        return {
            "cpu_seconds": int(timeout) + 2,
            "memory_bytes": self.config.memory_bytes,
            "processes": self.config.processes if self.is_root else None,
            "file_bytes": self.config.file_bytes,
            "open_files": self.config.open_files,
        }
