"""Child side: a fork server that has already imported the SDK and ``requests``.

Started by the app (already inside bubblewrap and/or as an unprivileged uid) as
``python -I forkserver.py '<config json>'``. It reads job frames on stdin and answers with frames
on stdout; for each job it forks a child that sets resource limits and a seccomp filter, then runs
``harness.run_job``. The server itself enforces the wall-clock timeout, the output cap and the
clean-up of every process the job left behind. It holds no secrets: children share its memory.

Messages in:  {"op": "run", "job": {...}} and {"op": "cancel", "id": ...}
Messages out: {"type": "ready", ...}, {"type": "log", "id", "time", "message"},
              {"type": "result", "id", ...}
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
if RUNTIME_DIR not in sys.path:
    sys.path.insert(0, RUNTIME_DIR)

try:  # the copied runtime (sandbox) or the package (tests running the module in place)
    import framing
    import harness
except ImportError:  # pragma: no cover
    from webapp.runner import framing, harness

PR_SET_CHILD_SUBREAPER = 36
CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
DENIED_SYSCALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "iopl",
    "ioperm",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "lookup_dcookie",
    "fanotify_init",
    "quotactl",
    "personality",
    "mount_setattr",
    "fsopen",
    "fsmount",
    "fsconfig",
    "move_mount",
    "open_tree",
)
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


def load_seccomp():
    try:
        import seccomp
    except ImportError:
        try:
            import pyseccomp as seccomp
        except ImportError:
            return None
    return seccomp


def build_seccomp_filter(seccomp):
    """Deny syscalls a script never needs and that widen its reach (EPERM, not a kill).

    Built once in the server; each child only loads it (a single prctl).
    """
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    for name in DENIED_SYSCALLS:
        with contextlib.suppress(Exception):  # unknown on this architecture / libseccomp
            filt.add_rule(deny, name)
    for flag in CLONE_NAMESPACE_FLAGS:
        filt.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, which seccomp cannot inspect: make libc fall back to
    # clone, whose flags are checked above.
    with contextlib.suppress(Exception):
        filt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return filt


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a pipe takes at most its buffer per call)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def apply_limits(limits: dict) -> None:
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "processes": resource.RLIMIT_NPROC,
        "file_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
    }
    for key, which in pairs.items():
        value = limits.get(key)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class CompiledFilter:
    """A seccomp filter compiled to BPF once; children install it with two prctl() calls.

    libseccomp's ``load()`` regenerates the BPF program on every call, which costs each job
    about half a millisecond of CPU; the program is the same for every job.
    """

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    def __init__(self, filt) -> None:
        with tempfile.TemporaryFile() as handle:
            filt.export_bpf(handle)
            handle.seek(0)
            program = handle.read()
        if not program or len(program) % 8:
            raise ValueError("unexpected BPF program size")
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._prog = self.SockFprog(len(program) // 8, ctypes.addressof(self._buffer))
        self._libc = ctypes.CDLL(None, use_errno=True)

    def load(self) -> None:
        if self._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if self._libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._prog)) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")


class Server:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.stdin = sys.stdin.buffer
        self.stdout = sys.stdout.buffer
        module = load_seccomp() if config.get("seccomp") else None
        self.seccomp = build_seccomp_filter(module) if module is not None else None
        if self.seccomp is not None:
            with contextlib.suppress(Exception):  # keep libseccomp's own load() otherwise
                self.seccomp = CompiledFilter(self.seccomp)
        self.cancel_requested = False
        self.pending_input = framing.FrameReader()
        self.queued: list[dict] = []
        self.spare: tuple[int, int, int, str] | None = None

    # --- wire ----------------------------------------------------------------------------

    def send(self, message: dict) -> None:
        self.stdout.write(framing.encode(message))
        self.stdout.flush()

    def next_request(self) -> dict | None:
        if self.queued:
            return self.queued.pop(0)
        while True:
            data = os.read(self.stdin.fileno(), 65536)
            if not data:
                return None
            self.queued.extend(self.pending_input.feed(data))
            if self.queued:
                return self.queued.pop(0)

    # --- jobs ----------------------------------------------------------------------------

    def serve(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        # Spawn mode (the fallback): a fresh process per job that imports nothing ahead.
        loaded = preload() if self.config.get("preload", True) else []
        # Objects alive now are shared with every child; keep the collector from touching
        # them so children do not copy those pages (copy-on-write) just to scan them.
        gc.freeze()
        gc.disable()
        # Once for the server, inherited by every child: the environment a job starts from
        # (nothing of the app's), and the seccomp filter (the server needs none of the denied
        # calls). Doing either per child cost each job ~0.6 ms of CPU.
        os.environ.clear()
        os.environ.update({"LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"})
        if self.seccomp is not None:
            self.seccomp.load()
        self.prefork()
        self.send(
            {
                "type": "ready",
                "pid": os.getpid(),
                "uid": os.getuid(),
                "seccomp": self.seccomp is not None,
                "preloaded": loaded,
            }
        )
        while True:
            request = self.next_request()
            if request is None:
                return
            if request.get("op") == "run":
                self.run(request["job"])

    def prefork(self) -> None:
        """Fork the next job's process now, while idle, so a job does not wait for fork().

        The spare process sets up everything that does not depend on the job (session, fds,
        seccomp, its own directory) and then blocks reading the job from a pipe.
        """
        tmp_root = self.config.get("tmp_root") or tempfile.gettempdir()
        job_dir = tempfile.mkdtemp(prefix="job-", dir=tmp_root)
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the spare process
            code = 70
            try:
                os.close(job_write)
                os.close(result_read)
                self.child(job_read, result_write, job_dir)
                code = 0
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(result_write)
        self.spare = (pid, job_write, result_read, job_dir)

    def run(self, job: dict) -> None:
        if self.spare is None:
            self.prefork()
        pid, job_write, read_end, job_dir = self.spare
        self.spare = None
        started = time.monotonic()
        try:  # a dead spare is reported by supervise()
            write_all(job_write, framing.encode(job))
        except BrokenPipeError:
            pass
        finally:
            os.close(job_write)
        outcome = self.supervise(job, pid, read_end, started)
        outcome["id"] = job["id"]
        outcome["type"] = "result"
        outcome.setdefault("wall_ms", round((time.monotonic() - started) * 1000, 3))
        self.send(outcome)
        # Clean up before taking the next job: nothing of this job survives into the next one.
        os.close(read_end)
        if self.config.get("kill_all"):
            # SIGKILL everything left (kill(-1) never hits this server), then fork the next
            # spare at once: the dying processes need no waiting for, and are reaped later.
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            self.prefork()
            self.reap()
        else:
            self.clean_up(pid)
            self.prefork()
        try:
            os.rmdir(job_dir)  # most jobs leave nothing behind
        except OSError:
            shutil.rmtree(job_dir, ignore_errors=True)

    def child(self, job_read: int, write_end: int, job_dir: str) -> None:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        low, high = sorted((job_read, write_end))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, 65536)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.chdir(job_dir)
        os.environ["HOME"] = job_dir
        os.environ["TMPDIR"] = job_dir
        tempfile.tempdir = job_dir
        harness.warm_up()  # while no one waits: see its docstring
        with os.fdopen(job_read, "rb") as source:
            job = framing.read_frame(source)
        if job is None:
            return  # the server went away before giving us work
        apply_limits(job.get("limits") or {})
        gc.enable()
        pipe = os.fdopen(write_end, "wb", buffering=0)

        def emit(message: dict) -> None:
            pipe.write(framing.encode(message))

        result = harness.run_job(job, emit)
        emit({"type": "result", **result})

    def supervise(self, job: dict, pid: int, read_end: int, started: float) -> dict:
        """Relay the child's logs until it finishes, times out or is cancelled."""
        deadline = started + float(job.get("timeout", 30))
        log_budget = int(job.get("log_limit", 1024 * 1024))
        reader = framing.FrameReader()
        result: dict | None = None
        exit_status: int | None = None
        truncated = False
        stdin_fd = self.stdin.fileno()
        eof = False
        while True:
            if exit_status is None:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    exit_status = status
            if eof or (exit_status is not None and not select.select([read_end], [], [], 0)[0]):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self.stopped(
                    job,
                    "timeout",
                    "TimeoutError",
                    f"the run took longer than {job.get('timeout')} s and was killed",
                )
            watched = [read_end, stdin_fd]
            ready, _, _ = select.select(watched, [], [], min(remaining, 0.05))
            if stdin_fd in ready and self.read_control(job["id"]):
                return self.stopped(job, "failure", "Stopped", "the run was stopped by a user")
            if read_end not in ready:
                continue
            data = os.read(read_end, 1 << 16)
            if not data:
                eof = True
                continue
            try:
                messages = reader.feed(data)
            except ValueError as exc:  # the script wrote garbage into our pipe
                return self.stopped(job, "failure", "SandboxError", str(exc))
            for message in messages:
                if message.get("type") == "log":
                    size = len(str(message.get("message", "")).encode("utf-8", "replace")) + 1
                    if log_budget - size < 0:
                        if not truncated:
                            truncated = True
                            self.send(
                                {
                                    "type": "log",
                                    "id": job["id"],
                                    "time": time.time(),
                                    "message": "[output truncated: the log limit was reached]",
                                }
                            )
                        continue
                    log_budget -= size
                    self.send(
                        {
                            "type": "log",
                            "id": job["id"],
                            "time": message.get("time"),
                            "message": str(message.get("message", "")),
                        }
                    )
                elif message.get("type") == "result":
                    result = message
            if result is not None:
                break  # answer now; the process's exit and clean-up happen after the reply
        if result is None and exit_status is None:
            _, exit_status = os.waitpid(pid, 0)
        if result is None:
            return self.died(exit_status)
        result["log_truncated"] = bool(result.get("log_truncated")) or truncated
        return {k: v for k, v in result.items() if k != "type"}

    def read_control(self, job_id) -> bool:
        """Read pending control frames; True when this job is to be cancelled."""
        data = os.read(self.stdin.fileno(), 65536)
        if not data:  # the app went away: stop the job and let serve() exit
            return True
        cancel = False
        for message in self.pending_input.feed(data):
            if message.get("op") == "cancel" and message.get("id") == job_id:
                cancel = True
            elif message.get("op") != "cancel":
                self.queued.append(message)
        return cancel

    def stopped(self, job: dict, status: str, kind: str, message: str) -> dict:
        return {
            "status": status,
            "return_value": None,
            "error": {"type": kind, "message": message, "traceback": "", "line": None},
            "duration_ms": None,
            "peak_memory_kb": None,
        }

    @staticmethod
    def died(status: int) -> dict:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name
            if sig == signal.SIGXCPU:
                return {
                    "status": "timeout",
                    "return_value": None,
                    "error": {
                        "type": "TimeoutError",
                        "message": "the CPU time limit was reached",
                        "traceback": "",
                        "line": None,
                    },
                }
            detail = f"the process was killed by {name}"
            if sig == signal.SIGKILL:
                detail += " (out of memory, or killed from inside the script)"
        else:
            detail = f"the process exited with status {os.WEXITSTATUS(status)} before reporting"
        return {
            "status": "failure",
            "return_value": None,
            "error": {"type": "ProcessDied", "message": detail, "traceback": "", "line": None},
        }

    def clean_up(self, pid: int) -> None:
        """Kill everything the job started, including children that escaped with setsid()."""
        if self.config.get("kill_all"):
            # We run alone as this uid (or alone in a PID namespace): kill(-1) reaches every
            # process the job left behind and, by definition, never this server itself.
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            self.kill_adopted()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)  # the job's own process: dead or dying, so this is quick
        self.reap()

    def kill_adopted(self) -> None:
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
        """Collect every exited child without waiting; later calls catch slow ones."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return


def main() -> None:
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    Server(config).serve()


if __name__ == "__main__":
    main()
