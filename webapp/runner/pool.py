"""Host side: a fixed number of slots, each a fork server process, and a FIFO queue in front.

``RunnerPool.run(job, on_log)`` blocks the calling thread until the job's result arrives; jobs
beyond the concurrency limit wait in arrival order (never dropped). A slot whose fork server dies
(a script killed it, or it crashed) is restarted for the next job; a slot that does not answer
within the job's timeout plus a grace period is killed as a whole (its bubblewrap takes the PID
namespace with it). Fork servers start lazily and stay warm.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from webapp.runner import framing
from webapp.runner.sandbox import Sandbox

log = logging.getLogger(__name__)

HOST_GRACE_SECONDS = 5.0
START_TIMEOUT_SECONDS = 30.0
LogCallback = Callable[[dict[str, Any]], None]
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runner-launcher")


class SlotFailure(RuntimeError):
    pass


def failure(kind: str, message: str, status: str = "failure") -> dict[str, Any]:
    return {
        "status": status,
        "return_value": None,
        "duration_ms": None,
        "peak_memory_kb": None,
        "error": {"type": kind, "message": message, "traceback": "", "line": None},
    }


class Slot:
    """One fork server process and the job it is running."""

    def __init__(self, sandbox: Sandbox, index: int) -> None:
        self.sandbox = sandbox
        self.index = index
        # False: plain spawning, a fresh process (importing nothing ahead) for every job.
        self.persistent = True
        self.process: subprocess.Popen | None = None
        self.job_id: str | None = None
        self.info: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def ensure_started(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        plan = self.sandbox.launch_plan(self.index, preload=self.persistent)
        # bwrap --die-with-parent uses PR_SET_PDEATHSIG, which fires when the *thread* that
        # started it ends; start every server from one thread that lives as long as the app.
        self.process = _LAUNCHER.submit(
            subprocess.Popen,
            plan.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=plan.preexec_fn,
            cwd="/",
            start_new_session=True,
        ).result()
        self._inbox = queue.Queue()
        threading.Thread(
            target=self._pump,
            args=(self.process, self._inbox),
            daemon=True,
            name=f"runner-slot-{self.index}",
        ).start()
        ready = self._read(START_TIMEOUT_SECONDS)
        if ready is None or ready.get("type") != "ready":
            self.kill()
            raise SlotFailure(f"the fork server of slot {self.index} did not start")
        self.info = ready

    @staticmethod
    def _pump(process: subprocess.Popen, inbox: queue.Queue) -> None:
        """Move frames from the fork server's stdout into the inbox; None marks its end."""
        try:
            while (message := framing.read_frame(process.stdout)) is not None:
                inbox.put(message)
        except Exception:  # a broken stream is the same as a dead server
            log.debug("slot reader stopped", exc_info=True)
        inbox.put(None)

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """Next frame from the fork server, or None when it died or stayed silent too long."""
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def send(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.process.stdin.write(framing.encode(message))
            self.process.stdin.flush()

    def run(self, job: dict[str, Any], on_log: LogCallback | None) -> dict[str, Any]:
        self.ensure_started()
        self.job_id = job["id"]
        try:
            self.send({"op": "run", "job": job})
            deadline = time.monotonic() + float(job["timeout"]) + HOST_GRACE_SECONDS
            while True:
                message = self._read(max(deadline - time.monotonic(), 0.01))
                if message is None:
                    alive = self.process is not None and self.process.poll() is None
                    self.kill()
                    if alive or time.monotonic() >= deadline:
                        return failure(
                            "TimeoutError",
                            "the sandbox stopped answering and was killed",
                            status="timeout",
                        )
                    return failure(
                        "ProcessDied",
                        "the sandbox process died during the run "
                        "(did the script kill its parent?); it was restarted",
                    )
                if message.get("type") == "log":
                    if on_log is not None:
                        on_log({"time": message.get("time"), "message": message.get("message")})
                elif message.get("type") == "result" and message.get("id") == job["id"]:
                    message.pop("type", None)
                    message.pop("id", None)
                    return message
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            return failure("ProcessDied", f"the sandbox process went away: {exc}")
        finally:
            self.job_id = None
            if not self.persistent:
                self.kill()

    def cancel(self, job_id: str) -> bool:
        if self.job_id != job_id or self.process is None:
            return False
        try:
            self.send({"op": "cancel", "id": job_id})
        except OSError:
            return False
        return True

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # The fork server leads its own session; bwrap takes its PID namespace along.
            process.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(Exception):
                stream.close()


class RunnerPool:
    def __init__(self, sandbox: Sandbox, size: int, mode: str = "forkserver") -> None:
        self.sandbox = sandbox
        self.size = size
        self._slots = [Slot(sandbox, i) for i in range(size)]
        if mode == "spawn":
            self.use_plain_spawning("configured")
        # LIFO: the most recently used (warm) slot is reused first; waiting threads are still
        # served in arrival order (the queue's condition wakes waiters first-come first-served).
        self._idle: queue.LifoQueue[Slot] = queue.LifoQueue()
        for slot in reversed(self._slots):
            self._idle.put(slot)
        self._ids = itertools.count(1)
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def layers(self):
        return self.sandbox.layers

    def use_plain_spawning(self, reason: str) -> None:
        """Fall back from warm fork servers to a fresh sandboxed process per job."""
        if self.layers.forkserver:
            log.warning("runner: plain spawning instead of fork servers (%s)", reason)
            self.layers.forkserver = False
            self.layers.warnings.append(f"fork servers off ({reason}): each run starts a process")
        for slot in self._slots:
            slot.persistent = False

    def warm_up(self) -> None:
        """Start one fork server in the background so the first run does not pay for it."""

        def start() -> None:
            slot = self._idle.get()
            try:
                slot.ensure_started()
            except Exception:  # reported on first use
                log.exception("warming up the runner failed")
            finally:
                self._idle.put(slot)

        threading.Thread(target=start, name="runner-warm-up", daemon=True).start()

    def stats(self) -> dict[str, int]:
        busy = sum(1 for s in self._slots if s.job_id is not None)
        running = sum(1 for s in self._slots if s.process is not None)
        return {"slots": self.size, "busy": busy, "warm": running, "waiting": self._waiting}

    def run(self, job: dict[str, Any], on_log: LogCallback | None = None) -> dict[str, Any]:
        """Run a job (``id`` is assigned when missing); returns the result dict."""
        if not self.sandbox.layers.available:
            return failure("SandboxUnavailable", self.sandbox.layers.reason)
        job.setdefault("id", f"job-{next(self._ids)}")
        job.setdefault("limits", self.sandbox.limits(float(job["timeout"])))
        with self._lock:
            self._waiting += 1
        slot = self._idle.get()  # FIFO: waiters are served in arrival order
        with self._lock:
            self._waiting -= 1
        try:
            try:
                return slot.run(job, on_log)
            except SlotFailure as exc:
                if not slot.persistent:
                    return failure("SandboxUnavailable", str(exc))
                # The warm server (which imports requests and the SDK ahead) would not start:
                # try once more with a plain process that imports nothing ahead.
                self.use_plain_spawning(str(exc))
                try:
                    return slot.run(job, on_log)
                except SlotFailure as again:
                    return failure("SandboxUnavailable", str(again))
        finally:
            self._idle.put(slot)

    def cancel(self, job_id: str) -> bool:
        return any(slot.cancel(job_id) for slot in self._slots)

    def close(self) -> None:
        for slot in self._slots:
            slot.kill()
