"""Host side: which isolation layers this machine offers, and how to start a fork server in them.

Layers, each detected at start and reported (``/healthz``, the Sandbox admin page):

- ``bubblewrap``: the zygote runs in its own user, mount, PID, IPC and UTS namespaces (and a
  network namespace unless ``FUNCPAD_SANDBOX_NETWORK=host``) with a read-only system and no view
  of the data directory; each job then gets a mount and IPC namespace and a capped ``/tmp`` of
  its own (``confine.py``). bwrap is always started *after* dropping to the slot's uid (a
  root-started bwrap would leave the script root on the host) and with an empty environment
  (bwrap's own process, PID 1 inside, is readable by the job).
- ``network``: see ``network.py`` (internet through pasta with the host's loopback and private
  ranges blocked, none, or host).
- ``uid``: when the app runs as root, each slot runs as its own unprivileged uid (setgroups,
  setgid, setuid), so RLIMIT_NPROC applies and the 0600 database and key are unreadable.
- ``rlimits``: CPU seconds, address space, processes, file size, open files, no core dumps.
- ``seccomp``: ptrace, mount, unshare, setns, bpf, keyctl and the like return EPERM.

A layer that is missing is logged once and shown as such; the runner refuses to start at all
rather than run scripts as root with full access, unless ``FUNCPAD_SANDBOX_INSECURE=on``.
"""

from __future__ import annotations

import dataclasses
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

from webapp.messages import N_, Msg
from webapp.runner import network

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
SDK_DIR = PACKAGE_DIR.parent / "sdk"
CHILD_SIDE_FILES = ("forkserver.py", "harness.py", "framing.py", "confine.py", "netsetup.py")
SLOT_TMP_BYTES = 1024 * 1024  # the zygote's own /tmp; each job mounts its own over it
RUNTIME_MOUNT = "/funcpad"
PACKAGES_MOUNT = "/funcpad-packages"  # the script packages (sandbox-requirements.txt), read-only
USER_PACKAGES_MOUNT = "/funcpad-user-packages"  # what the Packages page installed, read-only
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
    network: str = "internet"  # see network.py: internet, none or host
    tmp_bytes: int = 256 * 1024 * 1024
    tmp_inodes: int = 16384
    result_bytes: int = 1024 * 1024
    packages_dir: str | None = None  # DataFlux Func's package set for scripts (None: none)
    user_packages_dir: str | None = None  # the Packages page's folder, after the above


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
    network: str = ""
    network_detail: str = ""
    private_tmp: bool = False
    private_tmp_detail: str = ""
    memory_detail: str = ""
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
    # Name resolution in the "internet" network mode goes to pasta's DNS forwarder.
    (base / "resolv.conf").write_text(f"nameserver {network.DNS_FORWARDER}\n")
    for path in [base, base / "sdk", base / "resolv.conf", *base.rglob("*.py")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return base


def reachable_by(path: str | None, uid: int) -> bool:
    """Whether ``uid`` can pass through every folder down to ``path`` and read it (bubblewrap
    binds as the slot's uid, so a folder under a 0700 parent cannot be bound)."""
    if not path or not os.path.isdir(path):
        return False
    if uid == os.geteuid() and uid != 0:
        return True
    target = Path(path).resolve()
    for folder in [*reversed(target.parents), target]:
        info = folder.stat()
        needed = 0o005 if folder == target else 0o001
        if info.st_uid == uid:
            needed <<= 6
        if info.st_mode & needed != needed:
            return False
    return True


def drop_privileges(uid: int) -> Callable[[], None]:
    """A ``preexec_fn`` that becomes ``uid`` for good (no supplementary groups)."""

    def preexec() -> None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    return preexec


def bwrap_command(
    python: str,
    runtime_dir: Path,
    net: str = "none",
    inner_uid: int | None = None,
    packages_dir: str | None = None,
    user_packages_dir: str | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """bubblewrap arguments: read-only system, private /tmp and /proc, only the runtime bound.

    ``net``: "host" and "internet" (already inside pasta's namespace) share the network
    namespace bwrap starts in; "none" gets one with loopback only. ``inner_uid``: the uid
    inside, when bwrap starts as the root of pasta's user namespace. ``extra``: more bwrap
    arguments (the package installer's writable folders), placed after the standard binds.
    """
    command = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        *(["--share-net"] if net in ("host", "internet") else []),
        *(["--uid", str(inner_uid), "--gid", str(inner_uid)] if inner_uid is not None else []),
        # The zygote keeps CAP_SYS_ADMIN of the sandbox's own user namespace to give each job
        # its mount/IPC namespace and /tmp; each job drops it before it reads its job.
        "--cap-drop",
        "ALL",
        "--cap-add",
        "CAP_SYS_ADMIN",
        "--die-with-parent",
        # The zygote is PID 1 of the sandbox: no reaper process of bwrap's, and a job cannot
        # signal it (the kernel drops signals to a namespace's init that it has no handler for).
        "--as-pid-1",
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
        "--size",
        str(SLOT_TMP_BYTES),
        "--tmpfs",
        "/tmp",
    ]
    # Name resolution and TLS need a few files from /etc; nothing else of the host is visible.
    if net == "internet":
        command += ["--ro-bind", str(runtime_dir / "resolv.conf"), "/etc/resolv.conf"]
    for path in (
        "/etc/hosts",
        *(["/etc/resolv.conf"] if net != "internet" else []),
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
    if packages_dir and os.path.isdir(packages_dir):
        command += ["--ro-bind", packages_dir, PACKAGES_MOUNT]
    if user_packages_dir and os.path.isdir(user_packages_dir):
        command += ["--ro-bind", user_packages_dir, USER_PACKAGES_MOUNT]
    command += list(extra)
    # The sandbox's own root (where /etc and /funcpad are created) is read-only too; only
    # /tmp (a private tmpfs) is writable.
    command += [
        "--ro-bind",
        str(runtime_dir),
        RUNTIME_MOUNT,
        "--remount-ro",
        "/",
        "--remount-ro",  # bwrap's /dev is a tmpfs the slot's jobs could otherwise share
        "/dev",
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
    env: dict[str, str] = field(default_factory=dict)  # bwrap's own: nothing of the app's
    network: network.NetworkPlan | None = None


class Sandbox:
    """Detects the layers once and builds fork-server launch plans per slot."""

    def __init__(self, config: SandboxConfig, runtime_dir: Path | None = None) -> None:
        self.is_root = os.geteuid() == 0
        self.layers = SandboxLayers()
        folder = config.user_packages_dir
        if folder and not reachable_by(folder, config.uid_base if self.is_root else os.getuid()):
            # Runs still work, without the installed packages: said on the Sandbox page.
            self.layers.warnings.append(
                Msg(
                    N_(
                        "the Packages folder %(folder)s is not reachable by the jobs' uids (a "
                        "parent folder is closed to other users): installed packages are not "
                        "importable"
                    ),
                    folder=folder,
                )
            )
            log.warning("user packages folder %s is unreachable by the jobs' uids", folder)
            config = dataclasses.replace(config, user_packages_dir=None)
        self.config = config
        self.runtime_dir = prepare_runtime(runtime_dir)
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
            Msg(N_("each slot runs as its own uid from %(uid)s"), uid=self.config.uid_base)
            if self.is_root
            else Msg(N_("the app is not root: jobs run as uid %(uid)s"), uid=os.getuid())
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
            Msg(N_("denies ptrace, mount, unshare, setns, bpf, keyctl, namespaces, ..."))
            if layers.seccomp
            else Msg(N_("no seccomp module for this interpreter (python3-seccomp)"))
        )
        if shutil.which("bwrap"):
            # The probe confines itself as a job would: its own namespaces, /tmp, no caps.
            confined = (
                check.replace("print(json.dumps(ok))", "")
                + "import confine; confine.private_namespaces(1 << 20, 64);"
                " confine.drop_capabilities(); print(json.dumps(ok))"
            )
            argv = [*bwrap_command(python, self.runtime_dir), python, "-I", "-c", confined]
            ok, output = self._probe([*argv, RUNTIME_MOUNT], preexec)
            layers.bubblewrap = layers.private_tmp = ok
            namespaces = "user, mount, pid, ipc, uts" + (
                ", network" if self.config.network != "host" else ""
            )
            layers.bubblewrap_detail = (
                Msg(
                    N_(
                        "namespaces: %(namespaces)s; read-only system; empty environment; a "
                        "zygote that holds no job data and cannot be read or written"
                    ),
                    namespaces=namespaces,
                )
                if ok
                else Msg(N_("bwrap failed: %(output)s"), output=output[-300:])
            )
            layers.private_tmp_detail = (
                Msg(
                    N_(
                        "each job: its own /tmp of %(mib)s MiB and %(files)s files, and /dev/shm; "
                        "its own IPC namespace; all gone with its last process"
                    ),
                    mib=self.config.tmp_bytes >> 20,
                    files=self.config.tmp_inodes,
                )
                if ok
                else Msg(
                    N_("no private /tmp without bubblewrap: each job gets a directory of its own")
                )
            )
            if ok:
                self._detect_network(python, check, preexec)
        else:
            layers.bubblewrap_detail = Msg(N_("bwrap is not installed (Debian package bubblewrap)"))
        if not layers.bubblewrap:
            layers.network = "host"
            layers.network_detail = Msg(N_("no network isolation without bubblewrap"))
        layers.memory_detail = (
            Msg(
                N_(
                    "%(mib)s MiB of address space per process, at most %(n)s processes per slot "
                    "(a job's tree is bounded by their product)"
                ),
                mib=self.config.memory_bytes >> 20,
                n=self.config.processes,
            )
            if self.is_root
            else Msg(
                N_("%(mib)s MiB of address space per process"), mib=self.config.memory_bytes >> 20
            )
        )
        layers.available = True
        if not layers.bubblewrap and not layers.uid_switch:
            layers.insecure = True
            message = Msg(
                N_(
                    "neither bubblewrap nor a separate uid is available: scripts would run as "
                    "the app's own user and could read its data directory"
                )
            )
            if not self.config.insecure_allowed:
                layers.available = False
                layers.reason = message + " (set FUNCPAD_SANDBOX_INSECURE=on to allow it)"
                log.error("sandbox unavailable: %s", layers.reason)
                return
            layers.warnings.append(message)
        if layers.network == "host":
            layers.warnings.append(
                Msg(
                    N_(
                        "network: scripts share the host's network (every loopback service, the "
                        "app's own port, the database)"
                    )
                )
            )
        for name, active, detail in (
            ("bubblewrap", layers.bubblewrap, layers.bubblewrap_detail),
            ("seccomp", layers.seccomp, layers.seccomp_detail),
        ):
            if not active:
                layers.warnings.append(
                    Msg(N_("%(name)s layer off: %(detail)s"), name=name, detail=detail)
                )
                log.warning("sandbox layer %s is off: %s", name, detail)

    def _detect_network(self, python: str, check: str, preexec) -> None:
        layers = self.layers
        wanted = self.config.network
        if wanted in ("none", "host"):
            layers.network = wanted
            layers.network_detail = (
                Msg(N_("loopback of its own only: nothing outside the sandbox is reachable"))
                if wanted == "none"
                else Msg(N_("the host's network, unfiltered (FUNCPAD_SANDBOX_NETWORK=host)"))
            )
            return
        available, pasta = network.pasta_available()
        if available:
            plan = network.plan_for("internet", ())
            uid = self.config.uid_base if self.is_root else os.getuid()
            argv = self.internet_argv(pasta, plan, python, ["-c", check, RUNTIME_MOUNT], uid)
            available, output = self._probe(argv, preexec)
            reason = f"pasta failed: {output[-300:]}"
        else:
            reason = pasta
        if available:
            layers.network = "internet"
            layers.network_detail = Msg(
                N_(
                    "the internet through pasta; the host's loopback, private and link-local "
                    "ranges and the host's own networks are blocked, except connectors' endpoints"
                )
            )
        else:
            layers.network = "none"
            layers.network_detail = Msg(
                N_("internet access is off (%(reason)s); loopback only"), reason=reason
            )
            layers.warnings.append(Msg(N_("network: %(detail)s"), detail=layers.network_detail))
            log.warning("sandbox network: %s", layers.network_detail)

    def internet_argv(
        self,
        pasta: str,
        plan: network.NetworkPlan,
        python: str,
        tail: list[str],
        uid: int,
        extra: tuple[str, ...] = (),
    ) -> list[str]:
        """pasta → netsetup (as root of pasta's user namespace) → bwrap, inside as ``uid``."""
        return [
            *network.pasta_prefix(pasta, plan),
            python,
            "-I",
            str(self.runtime_dir / "netsetup.py"),
            plan.netsetup_json(),
            *bwrap_command(
                python,
                self.runtime_dir,
                "internet",
                uid,
                self.config.packages_dir,
                self.config.user_packages_dir,
                extra,
            ),
            python,
            "-I",
            *tail,
        ]

    # --- launching ------------------------------------------------------------------------

    def slot_uid(self, slot: int) -> int | None:
        return self.config.uid_base + slot if self.is_root else None

    def launch_plan(
        self, slot: int, preload: bool = True, endpoints: tuple[network.Endpoint, ...] = ()
    ) -> LaunchPlan:
        """argv and preexec_fn starting slot ``slot``'s zygote inside every active layer."""
        layers = self.layers
        uid = self.slot_uid(slot)
        config = self.config
        server_config = {
            "preload": preload,
            "seccomp": layers.seccomp,
            # kill(-1) is safe alone in a PID namespace or alone as a uid; else kill by tree.
            "kill_all": layers.bubblewrap or uid is not None,
            "private_tmp": layers.private_tmp,
            "drop_caps": layers.bubblewrap,
            "tmp_bytes": config.tmp_bytes,
            "tmp_inodes": config.tmp_inodes,
            "tmp_root": None,
            # Where the script packages are, as the zygote sees them (bound, or the directory).
            "packages": (PACKAGES_MOUNT if layers.bubblewrap else config.packages_dir)
            if config.packages_dir and os.path.isdir(config.packages_dir)
            else None,
            "user_packages": (
                USER_PACKAGES_MOUNT if layers.bubblewrap else config.user_packages_dir
            )
            if config.user_packages_dir and os.path.isdir(config.user_packages_dir)
            else None,
        }
        plan = network.plan_for(layers.network, endpoints)
        tail = [f"{RUNTIME_MOUNT}/forkserver.py", json.dumps(server_config)]
        if layers.bubblewrap and layers.network == "internet":
            _, pasta = network.pasta_available()
            inner_uid = uid if uid is not None else os.getuid()
            argv = self.internet_argv(pasta, plan, layers.interpreter, tail, inner_uid)
        elif layers.bubblewrap:
            argv = [
                *bwrap_command(
                    layers.interpreter,
                    self.runtime_dir,
                    layers.network,
                    packages_dir=config.packages_dir,
                    user_packages_dir=config.user_packages_dir,
                ),
                layers.interpreter,
                "-I",
                *tail,
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
            network=plan,
        )

    def limits(self, timeout: float) -> dict:
        return {
            "cpu_seconds": int(timeout) + 2,
            "memory_bytes": self.config.memory_bytes,
            "processes": self.config.processes if self.is_root else None,
            "file_bytes": self.config.file_bytes,
            "open_files": self.config.open_files,
        }
