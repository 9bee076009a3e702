"""Child side: the zygote. It has imported the SDK and ``requests``, and it only forks.

Started by the app (inside bubblewrap and/or as an unprivileged uid) as
``python -I forkserver.py '<config json>'`` with a Unix SEQPACKET socket on fd 0. Why this shape —
each point closes a way a hostile script once reached beyond its own run:

- **The zygote never holds job data.** While idle it forks a spare process and hands the app
  (the supervisor) that process's two pipe ends — job in, frames out — over the socket
  (SCM_RIGHTS), keeping no copy. The job's code, kwargs, env values and connector configs
  reach only the child, straight from the app; the next spare is forked from this loop, which
  has never seen a job, so no job can find another's data on its stack or heap.
- **The zygote is not dumpable** (``PR_SET_DUMPABLE 0``) and a job holds no capability:
  inside bubblewrap's user namespace there is one uid, so a job runs as the zygote's uid, but
  ``/proc/<zygote>/mem``, ``environ``, ``fd/`` and ptrace need ``CAP_SYS_PTRACE`` there, which
  no job has (seccomp denies ptrace and process_vm_* besides). A job can only kill the zygote,
  which fails its own run and restarts the slot.
- **Nothing a job leaves survives it.** Each spare enters a new mount and IPC namespace with a
  fresh tmpfs on ``/tmp`` (size and inode caps, see ``confine.py``); once the job's process
  exits, the zygote SIGKILLs everything else in the slot (``kill(-1)``: the slot's PID
  namespace or uid holds nothing else) before it forks the next spare, and the namespaces, the
  tmpfs and any IPC object go with the last process.
- **The supervisor decides the record.** The app times the run, caps the log and the result on
  its side, and accepts one result frame followed by a clean exit (status from ``wait4`` here,
  with the peak memory); anything else ends the run as a failure.

Messages in (JSON):  {"op": "kill"} — SIGKILL the current job's processes.
Messages out (JSON): {"type": "ready", ...}; {"type": "spare", "pid"} with two fds;
                     {"type": "exited", "pid", "status", "maxrss_kb"}.
Without bubblewrap (the fallback) there are no namespaces: the job gets a directory of its own
under ``tmp_root``, removed after the job.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
if RUNTIME_DIR not in sys.path:
    sys.path.insert(0, RUNTIME_DIR)

try:  # the copied runtime (sandbox) or the package (tests running the module in place)
    import confine
    import framing
    import harness
except ImportError:  # pragma: no cover
    from webapp.runner import confine, framing, harness

PR_SET_CHILD_SUBREAPER = 36
CONTROL_FD = 0
MAX_CONTROL_MESSAGE = 65536

PRELOAD = (
    "json",
    "time",
    "datetime",
    "random",
    "math",
    "re",
    "hashlib",
    "hmac",
    "base64",
    "uuid",
    "collections",
    "itertools",
    "functools",
    "decimal",
    "statistics",
    "string",
    "textwrap",
    "socket",
    "ssl",
    "urllib.parse",
    "urllib.request",
    "http.client",
    "gzip",
    "zlib",
    "csv",
    "traceback",
    "copy",
    "struct",
    "ipaddress",
    "pprint",
    "requests",
    "sdk.lineprotocol",
    "sdk.datakit",
)


def preload() -> list[str]:
    """Import what scripts commonly use, once, so every forked child starts warm."""
    loaded = []
    for name in PRELOAD:
        try:
            __import__(name)
            loaded.append(name)
        except ImportError:
            pass
    return loaded


def compiled(filt):
    """The filter as BPF, compiled once (libseccomp's own load() regenerates it each time)."""
    try:
        return confine.CompiledFilter(filt)
    except Exception:
        return filt


class Zygote:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.control = socket.socket(fileno=CONTROL_FD)
        module = confine.load_seccomp() if config.get("seccomp") else None
        self.seccomp = self.job_seccomp = None
        if module is not None:
            self.seccomp = compiled(confine.build_seccomp_filter(module))
            self.job_seccomp = compiled(
                confine.build_seccomp_filter(module, confine.JOB_SETUP_SYSCALLS)
            )

    def send(self, message: dict, fds: tuple[int, ...] = ()) -> None:
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(self.control, [data], list(fds))
        else:
            self.control.send(data)

    def serve(self) -> None:
        confine.set_not_dumpable()
        # As PID 1 of the sandbox, only signals with a handler reach us; Python's SIGINT
        # handler would be one. Each job's process gets the usual handlers back.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        # Spawn mode (the fallback): a fresh zygote per job that imports nothing ahead.
        loaded = preload() if self.config.get("preload", True) else []
        # Objects alive now are shared with every child; keep the collector from touching
        # them so children do not copy those pages (copy-on-write) just to scan them.
        gc.freeze()
        gc.disable()
        os.environ.clear()
        os.environ.update({"LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"})
        if self.seccomp is not None:
            # Once, inherited by every job's process (attaching a filter per job costs ~0.5 ms):
            # the zygote needs none of the denied calls.
            self.seccomp.load()
        self.send(
            {
                "type": "ready",
                "pid": os.getpid(),
                "uid": os.getuid(),
                "seccomp": self.seccomp is not None,
                "private_tmp": bool(self.config.get("private_tmp")),
                "preloaded": loaded,
            }
        )
        while True:
            pid, job_dir = self.fork_spare()
            if not self.wait_for_exit(pid, job_dir):
                return

    def fork_spare(self) -> tuple[int, str | None]:
        """Fork the next job's process and give its pipe ends to the app; keep none."""
        job_dir = None
        if not self.config.get("private_tmp"):
            tmp_root = self.config.get("tmp_root") or tempfile.gettempdir()
            job_dir = tempfile.mkdtemp(prefix="job-", dir=tmp_root)
        job_read, job_write = os.pipe()
        frames_read, frames_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the spare process
            code = 70
            try:
                os.close(job_write)
                os.close(frames_read)
                code = self.child(job_read, frames_write, job_dir)
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(frames_write)
        try:
            self.send({"type": "spare", "pid": pid}, (job_write, frames_read))
        finally:
            os.close(job_write)
            os.close(frames_read)
        return pid, job_dir

    def wait_for_exit(self, pid: int, job_dir: str | None) -> bool:
        """Until the job's process exits (or the app says kill); False when the app is gone."""
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        app_gone = False
        while True:
            watched = ([] if app_gone else [self.control]) + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(watched, [], [], 0.01 if pidfd is None else None)
            if self.control in ready:
                data = self.control.recv(MAX_CONTROL_MESSAGE)
                if not data:
                    app_gone = True
                    self.signal_job(pid)
                elif json.loads(data).get("op") == "kill":
                    self.signal_job(pid)
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
        if pidfd is not None:
            os.close(pidfd)
        self.kill_job(pid)  # whatever the job left running
        self.reap()
        if job_dir is not None:
            shutil.rmtree(job_dir, ignore_errors=True)
        if app_gone:
            return False
        with contextlib.suppress(OSError):
            self.send(
                {"type": "exited", "pid": pid, "status": status, "maxrss_kb": usage.ru_maxrss}
            )
            return True
        return False

    def signal_job(self, pid: int) -> None:
        """SIGKILL the job now; its status is collected (and the rest cleaned) after."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.config.get("kill_all"):
                os.kill(-1, signal.SIGKILL)
            else:
                os.killpg(pid, signal.SIGKILL)

    def kill_job(self, pid: int) -> None:
        """SIGKILL the job's process and everything it started, setsid() escapees included."""
        if self.config.get("kill_all"):
            # Alone in a PID namespace, or alone as this uid: kill(-1) reaches every process
            # the job left and, by definition, never this zygote.
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        self.kill_adopted(pid)

    def kill_adopted(self, pid: int) -> None:
        """As a subreaper, orphans of the job become our children: find and kill them."""
        me = os.getpid()
        for _ in range(20):
            self.reap()  # exited children stay listed (as zombies) until reaped
            found = False
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == me and fields[0] != "Z":
                    found = True
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(int(entry), signal.SIGKILL)
            if not found:
                return
            time.sleep(0.01)

    @staticmethod
    def reap() -> None:
        """Collect every exited child without waiting (the job's own status is read first)."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    # --- the job's process ---------------------------------------------------------------

    def child(self, job_read: int, frames_write: int, job_dir: str | None) -> int:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)  # fd 0 was the control socket: the job never sees it
        low, high = sorted((job_read, frames_write))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, 65536)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            if self.config.get("private_tmp"):
                confine.private_namespaces(
                    self.config.get("tmp_bytes", 256 << 20), self.config.get("tmp_inodes", 16384)
                )
                job_dir = "/tmp"
            if self.config.get("drop_caps"):
                confine.drop_capabilities()
            if self.job_seccomp is not None:
                self.job_seccomp.load()
        except OSError:
            return 71  # never run a job half-confined; the app reports the exit status
        os.chdir(job_dir)
        os.environ["HOME"] = job_dir
        os.environ["TMPDIR"] = job_dir
        tempfile.tempdir = job_dir
        harness.warm_up()  # while no one waits: see its docstring
        source = os.fdopen(job_read, "rb")
        job = framing.read_frame(source)
        if job is None:
            return 0  # the app went away before giving us work
        if not job.get("host_calls"):
            source.close()
        confine.apply_limits(job.get("limits") or {})
        gc.enable()
        pipe = os.fdopen(frames_write, "wb", buffering=0)

        emitting = threading.Lock()  # a script's threads print too: frames stay whole

        def emit(message: dict) -> None:
            frame = framing.encode(message)
            with emitting:
                pipe.write(frame)

        host = harness.HostChannel(emit, source) if job.get("host_calls") else None
        result = harness.run_job(job, emit, host=host)
        emit({"type": "result", **result})
        pipe.close()
        return 0


def main() -> None:
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    if config.get("packages"):
        # DataFlux Func's package set, ahead of the system's (its pinned versions win), behind
        # the runtime itself; nothing of it is imported here beyond what preload() imports.
        sys.path.insert(1, config["packages"])
    if config.get("user_packages"):
        # What the Packages page installed: last, so the runtime's own packages win (as in
        # DataFlux Func). The folder is read each import, so a new package needs no restart.
        sys.path.append(config["user_packages"])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    Zygote(config).serve()


if __name__ == "__main__":
    main()
