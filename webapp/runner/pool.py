"""Host side: a fixed number of slots, each a zygote process, and a FIFO queue in front.

``RunnerPool.run(job, on_log)`` blocks the calling thread until the job's record is decided;
jobs beyond the concurrency limit wait in arrival order (never dropped). Each slot's zygote
hands over a spare process per job (``forkserver.py``); the calling thread supervises that
process itself (``supervisor.py``). A slot whose zygote dies (a script killed it, or it crashed)
or stops answering is killed as a whole (its bubblewrap takes the PID namespace with it) and
restarted for the next job. Zygotes start lazily and stay warm.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from webapp.messages import N_, Msg
from webapp.runner import network
from webapp.runner.sandbox import Sandbox
from webapp.runner.supervisor import (
    HOST_GRACE_SECONDS,
    CallCallback,
    JobSupervisor,
    Spare,
    ZygoteGone,
    failure,
    receive,
)

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0
SETTLE_SECONDS = 1.0  # a job process that answered has this long to exit on its own
LogCallback = Callable[[dict[str, Any]], None]
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runner-launcher")


class SlotFailure(RuntimeError):
    pass


class Slot:
    """One zygote process, its control socket and the spare it has handed over."""

    def __init__(self, sandbox: Sandbox, index: int) -> None:
        self.sandbox = sandbox
        self.index = index
        # False: plain spawning, a fresh zygote (importing nothing ahead) for every job.
        self.persistent = True
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.spare: Spare | None = None
        self.unsettled: int | None = None  # a job process whose exit is still to be collected
        self.job_id: str | None = None
        self.info: dict[str, Any] = {}
        self.endpoints: tuple = ()  # the connector endpoints its network was opened for
        self._cancel_read, self._cancel_write = os.pipe()
        os.set_blocking(self._cancel_read, False)

    def ensure_started(self, endpoints: tuple = ()) -> None:
        if self.process is not None and self.process.poll() is None:
            if endpoints == self.endpoints:
                return
            log.info("runner slot %s: connector endpoints changed; restarting it", self.index)
        self.kill()
        plan = self.sandbox.launch_plan(self.index, self.persistent, endpoints)
        self.endpoints = endpoints
        app_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # bwrap --die-with-parent uses PR_SET_PDEATHSIG, which fires when the *thread*
            # that started it ends; start every zygote from one thread that lives as long as
            # the app. The environment is empty: bwrap's own process (PID 1 inside the
            # sandbox) keeps what it was started with, and a job can read that.
            self.process = _LAUNCHER.submit(
                subprocess.Popen,
                plan.argv,
                stdin=zygote_end.fileno(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=plan.preexec_fn,
                env=plan.env,
                cwd="/",
                start_new_session=True,
            ).result()
        finally:
            zygote_end.close()
        self.control = app_end
        try:
            ready = receive(app_end, START_TIMEOUT_SECONDS)
        except ZygoteGone:
            ready = None
        if ready is None or ready[0].get("type") != "ready":
            self.kill()
            raise SlotFailure(f"the zygote of slot {self.index} did not start")
        self.info = ready[0]

    def take_spare(self) -> Spare:
        """The newest live spare process the zygote has handed over (waiting for one)."""
        timeout: float | None = 0
        while True:
            message = receive(self.control, timeout)
            if message is None:
                if self.spare is not None:
                    spare, self.spare = self.spare, None
                    return spare
                timeout = START_TIMEOUT_SECONDS if timeout == 0 else None
                if timeout is None:
                    raise ZygoteGone("the zygote handed over no process to run the job")
                continue
            if self._file(*message) == "spare":
                timeout = 0  # take any newer one that is already there

    def _file(self, body: dict[str, Any], fds: list[int]) -> str | None:
        """Keep a handed-over spare (the newest), close any other fd, forget a spare that died
        while idle (the OOM killer, say); returns the message's type."""
        kind = body.get("type")
        if kind == "spare" and len(fds) == 2:
            if self.spare is not None:
                self.spare.close()
            self.spare = Spare(int(body["pid"]), fds[0], fds[1])
            return kind
        for fd in fds:
            os.close(fd)
        if kind == "exited" and self.spare is not None and body.get("pid") == self.spare.pid:
            self.spare.close()
            self.spare = None
        return kind

    def run(
        self,
        job: dict[str, Any],
        on_log: LogCallback | None,
        endpoints: tuple = (),
        on_call: CallCallback | None = None,
    ) -> dict[str, Any]:
        self.ensure_started(endpoints)
        with contextlib.suppress(BlockingIOError):
            os.read(self._cancel_read, 64)  # a stop that came too late for the last job
        self.job_id = job["id"]
        try:
            spare = self.take_spare()
            supervisor = JobSupervisor(
                job, spare, self.control, self._cancel_read, on_log, self._file, on_call
            )
            outcome = supervisor.run()
            if supervisor.exit is None:
                self.unsettled = spare.pid
            return outcome
        except ZygoteGone as exc:
            log.info("runner slot %s: %s; restarting it", self.index, exc)
            self.kill()
            return failure(
                "ProcessDied",
                "the sandbox process died during the run "
                "(did the script kill its parent?); it was restarted",
            )
        finally:
            self.job_id = None
            if not self.persistent:
                self.kill()

    def settle(self) -> None:
        """After the answer: collect the job process's exit and the next spare, so the slot is
        ready before it is handed out again. A process that lingers is killed; a zygote that
        does not answer gets the slot restarted."""
        pid, self.unsettled = self.unsettled, None
        if self.control is None:
            return
        try:
            if pid is not None:
                self._await_exit(pid)
            self.spare = self.take_spare()
        except ZygoteGone as exc:
            log.info("runner slot %s: %s; restarting it", self.index, exc)
            self.kill()

    def _await_exit(self, pid: int) -> None:
        deadline = time.monotonic() + SETTLE_SECONDS
        killed = False
        while True:
            message = receive(self.control, max(deadline - time.monotonic(), 0))
            if message is None:
                if killed:
                    raise ZygoteGone("the zygote did not report the job's exit")
                self.control.send(b'{"op": "kill"}')  # it answered, yet lingers
                deadline = time.monotonic() + HOST_GRACE_SECONDS
                killed = True
                continue
            if self._file(*message) == "exited" and message[0].get("pid") == pid:
                return

    def cancel(self, job_id: str) -> bool:
        if self.job_id != job_id:
            return False
        os.write(self._cancel_write, b"x")
        return True

    def kill(self) -> None:
        process, self.process = self.process, None
        control, self.control = self.control, None
        if self.spare is not None:
            self.spare.close()
            self.spare = None
        if control is not None:
            control.close()
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # The zygote's launcher leads its own session; bwrap takes its PID namespace along.
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            process.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


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
        # One settling thread per slot: a job that lingers after answering holds up only its own
        # slot, never another user's next run.
        self._settler = ThreadPoolExecutor(max_workers=size, thread_name_prefix="runner-settle")
        self.endpoints: tuple = ()
        self.endpoints_checked_at = 0.0

    def network_plan(self):
        """What scripts can reach now (``network.NetworkPlan``), for the Sandbox page."""
        return network.plan_for(self.layers.network, self.endpoints)

    def set_endpoints(self, endpoints) -> None:
        """The connector endpoints scripts may reach; slots reopen their network before their
        next job when the set changes (``network.py``)."""
        self.endpoints = tuple(sorted(set(endpoints), key=lambda e: (e.host, e.port)))

    @property
    def layers(self):
        return self.sandbox.layers

    def use_plain_spawning(self, reason: str) -> None:
        """Fall back from warm fork servers to a fresh sandboxed process per job."""
        if self.layers.forkserver:
            log.warning("runner: plain spawning instead of fork servers (%s)", reason)
            self.layers.forkserver = False
            self.layers.warnings.append(
                Msg(N_("fork servers off (%(reason)s): each run starts a process"), reason=reason)
            )
        for slot in self._slots:
            slot.persistent = False

    def warm_up(self) -> None:
        """Start one fork server in the background so the first run does not pay for it."""

        def start() -> None:
            slot = self._idle.get()
            try:
                slot.ensure_started(self.endpoints)
            except Exception:  # reported on first use
                log.exception("warming up the runner failed")
            finally:
                self._idle.put(slot)

        threading.Thread(target=start, name="runner-warm-up", daemon=True).start()

    def stats(self) -> dict[str, int]:
        busy = sum(1 for s in self._slots if s.job_id is not None)
        running = sum(1 for s in self._slots if s.process is not None)
        return {"slots": self.size, "busy": busy, "warm": running, "waiting": self._waiting}

    def run(
        self,
        job: dict[str, Any],
        on_log: LogCallback | None = None,
        on_call: CallCallback | None = None,
    ) -> dict[str, Any]:
        """Run a job (``id`` is assigned when missing); returns the result dict. ``on_call``
        answers the script's host calls (``supervisor.JobSupervisor``)."""
        if not self.sandbox.layers.available:
            return failure("SandboxUnavailable", self.sandbox.layers.reason)
        job.setdefault("id", f"job-{next(self._ids)}")
        job.setdefault("limits", self.sandbox.limits(float(job["timeout"])))
        job.setdefault("result_limit", self.sandbox.config.result_bytes)
        with self._lock:
            self._waiting += 1
        slot = self._idle.get()  # FIFO: waiters are served in arrival order
        with self._lock:
            self._waiting -= 1
        try:
            try:
                return slot.run(job, on_log, self.endpoints, on_call)
            except SlotFailure as exc:
                if not slot.persistent:
                    return failure("SandboxUnavailable", str(exc))
                # The warm server (which imports requests and the SDK ahead) would not start:
                # try once more with a plain process that imports nothing ahead.
                self.use_plain_spawning(str(exc))
                try:
                    return slot.run(job, on_log, self.endpoints, on_call)
                except SlotFailure as again:
                    return failure("SandboxUnavailable", str(again))
        finally:
            self._settler.submit(self._settle, slot)

    def _settle(self, slot: Slot) -> None:
        """A slot comes here after answering and goes idle once ready for the next job."""
        try:
            slot.settle()
        except Exception:  # never lose a slot: the next run restarts it
            log.exception("settling runner slot %s failed", slot.index)
            slot.kill()
        finally:
            self._idle.put(slot)

    def cancel(self, job_id: str) -> bool:
        return any(slot.cancel(job_id) for slot in self._slots)

    def close(self) -> None:
        for slot in self._slots:
            slot.kill()
