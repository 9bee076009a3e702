"""Host side: watch one job's process and decide its record — never the process itself.

The app holds the two pipe ends of the job's process (the zygote handed them over and kept no
copy): it writes the job in, reads the frames out, and learns the exit status from the zygote
(``wait4``). Everything the record says is measured or enforced here, outside the sandbox:

- the duration (from the moment the job is handed over until its result arrives);
- the log budget (bytes plus a per-line cost, for the live stream and the stored log alike,
  with one visible marker when reached) and the size of any one message (the result cap);
- the protocol: log lines and host calls (``on_call`` answers each on the job pipe, which then
  stays open: STORE, CACHE, FUNC...), then exactly one result, then the end of the stream (the
  child closes its end and exits). A host call runs in this loop, so the run's deadline is
  checked again as soon as it is answered. A second result, a line after the result, an
  unknown message or an oversized one ends the run as a failure; without a result the exit
  status (from the zygote's ``wait4``) says what happened, and a non-zero exit seen after a
  result is a failure.

The record is decided as soon as the result and the end of the stream are in; the process's
exit and the slot's clean-up (``Slot.settle``) happen after the caller has its answer. The peak
memory is the one the process reports (informational; bounded to an integer).

A script may still choose its own return value — that is its right — but not its status once it
raised, its duration, or anything of another job.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp.runner import framing

log = logging.getLogger(__name__)

LogCallback = Callable[[dict[str, Any]], None]
# A host call: (operation, arguments) -> a JSON-able value; raises HostCallError for the script.
CallCallback = Callable[[str, dict[str, Any]], Any]
MAX_HOST_CALLS = 20000  # per run: STORE, CACHE, FUNC... each costs the host real work
MAX_PENDING_ANSWERS = 8 * 1024 * 1024  # bytes of answers the child has not read yet
HOST_GRACE_SECONDS = 5.0  # after a kill, how long the zygote may take to report the exit
DRAIN_SECONDS = 1.0  # after the exit, how long a killed grandchild may keep the pipe open
FRAME_OVERHEAD = 1024 * 1024  # a result frame's error, traceback and keys besides the value
TRUNCATION_MARKER = "[output truncated: the log limit was reached]"
CONFINEMENT_FAILED = 71  # the exit status of a spare that could not confine itself
RESULT_KEYS = ("status", "return_value", "error", "funcs", "response_control")


def failure(kind: str, message: str, status: str = "failure") -> dict[str, Any]:
    return {
        "status": status,
        "return_value": None,
        "duration_ms": None,
        "peak_memory_kb": None,
        "error": {"type": kind, "message": message, "traceback": "", "line": None},
    }


def died(status: int) -> dict[str, Any]:
    """The record of a process that exited without a (valid) result."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return failure("TimeoutError", "the CPU time limit was reached", status="timeout")
        detail = f"the process was killed by {signal.Signals(sig).name}"
        if sig == signal.SIGKILL:
            detail += " (out of memory, or killed from inside the script)"
    elif os.WEXITSTATUS(status) == CONFINEMENT_FAILED:
        detail = "the sandbox could not confine the process, so the script was not run"
    else:
        detail = f"the process exited with status {os.WEXITSTATUS(status)} before reporting"
    return failure("ProcessDied", detail)


class HostCallError(Exception):
    """A host call refused or failed in a way the script should see (as ``kind``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class ZygoteGone(RuntimeError):
    """The zygote closed its socket or stopped answering: the slot must be restarted."""


@dataclass
class Spare:
    pid: int
    job_write: int
    frames_read: int

    def close(self) -> None:
        for fd in (self.job_write, self.frames_read):
            with contextlib.suppress(OSError):
                os.close(fd)


def receive(control: socket.socket, timeout: float | None) -> tuple[dict, list[int]] | None:
    """One message from the zygote (and any fds it carries); None on timeout.

    Raises ZygoteGone when the zygote's end is closed.
    """
    if timeout is not None and not select.select([control], [], [], max(timeout, 0))[0]:
        return None
    try:
        data, fds, _flags, _addr = socket.recv_fds(control, 65536, 2)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError as exc:
        raise ZygoteGone(str(exc)) from exc
    if not data:
        raise ZygoteGone("the zygote closed its socket")
    return json.loads(data), fds


class JobSupervisor:
    """Runs one job through a spare process; ``run()`` returns the record's outcome."""

    def __init__(
        self,
        job: dict[str, Any],
        spare: Spare,
        control: socket.socket,
        cancel_read: int,
        on_log: LogCallback | None,
        file_message: Callable[[dict, list[int]], str | None] = lambda _body, _fds: None,
        on_call: CallCallback | None = None,
    ) -> None:
        """``file_message`` keeps whatever else the zygote sends meanwhile (the next spare);
        ``on_call`` answers the script's host calls (STORE, CACHE, FUNC...): without it the job
        pipe is closed once the job is in, and a call breaks the protocol."""
        self.file_message = file_message
        self.on_call = on_call
        self.calls_made = 0
        self.answers = bytearray()  # framed answers waiting for room in the job pipe
        self.job = dict(job, host_calls=on_call is not None)
        self.spare = spare
        self.control = control
        self.cancel_read = cancel_read
        self.on_log = on_log
        self.log_budget = int(job.get("log_limit", 1024 * 1024))
        self.result_limit = int(job.get("result_limit", 1024 * 1024))
        self.reader = framing.FrameReader(self.result_limit + FRAME_OVERHEAD)
        self.result: dict[str, Any] | None = None
        self.result_at: float | None = None
        self.exit: tuple[int, int | None] | None = None
        self.violation: dict[str, Any] | None = None
        self.ending: dict[str, Any] | None = None  # timeout or stop, decided here
        self.log_truncated = False
        self.kill_sent_at: float | None = None

    # --- the loop ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        spare = self.spare
        started = time.monotonic()
        deadline = started + float(self.job.get("timeout", 30))
        self.answers += framing.encode(self.job)
        job_write: int | None = spare.job_write
        os.set_blocking(job_write, False)
        os.set_blocking(spare.frames_read, False)
        job_write = self.feed_job(job_write)  # most jobs fit in the pipe
        frames_open = True
        exited_at: float | None = None
        try:
            while True:
                now = time.monotonic()
                if self.exit is not None and (not frames_open or now - exited_at > DRAIN_SECONDS):
                    break
                if self.result is not None and not frames_open and self.ending is None:
                    break  # answered; the exit is collected by Slot.settle()
                if self.kill_sent_at is None and now >= deadline:
                    timeout = self.job.get("timeout")
                    self.end(
                        failure(
                            "TimeoutError",
                            f"the run took longer than {timeout} s and was killed",
                            status="timeout",
                        )
                    )
                if self.kill_sent_at is not None and now - self.kill_sent_at > HOST_GRACE_SECONDS:
                    raise ZygoteGone("the zygote did not report the killed job's exit")
                readable = [self.control, self.cancel_read]
                if frames_open:
                    readable.append(spare.frames_read)
                writable = [job_write] if job_write is not None and self.answers else []
                wait = max(min(deadline - now, 0.25), 0) if self.kill_sent_at is None else 0.05
                ready, can_write, _ = select.select(readable, writable, [], wait)
                if can_write:
                    job_write = self.feed_job(job_write)
                if self.cancel_read in ready:
                    os.read(self.cancel_read, 64)
                    self.end(failure("Stopped", "the run was stopped by a user"))
                if spare.frames_read in ready:
                    frames_open = self.read_frames(spare.frames_read)
                    if self.answers and job_write is not None:
                        job_write = self.feed_job(job_write)  # the script waits for it
                if self.control in ready:
                    message = receive(self.control, 0)
                    if message is not None:
                        body, fds = message
                        kind = self.file_message(body, fds)
                        if kind == "exited" and body.get("pid") == spare.pid:
                            self.exit = (int(body["status"]), body.get("maxrss_kb"))
                            exited_at = time.monotonic()
        finally:
            if job_write is not None:
                os.close(job_write)
            os.close(spare.frames_read)
        return self.decide(started)

    def feed_job(self, job_write: int | None) -> int | None:
        """Write what the pipe takes now (the job, then answers); without host calls the pipe
        is closed once the whole job is in."""
        try:
            del self.answers[: os.write(job_write, self.answers)]
        except BlockingIOError:
            return job_write
        except OSError:
            self.answers.clear()  # the process is gone; its status will say why
        if self.answers or (self.on_call is not None and self.result is None):
            return job_write
        os.close(job_write)
        return None

    def read_frames(self, fd: int) -> bool:
        """Read what is there, up to 1 MiB so that a flood cannot starve the deadline (the end
        of the stream usually follows the result at once); False at the end of the stream."""
        for _ in range(16):
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return True
            if not data:
                return False
            self.take(data)
        return True

    def end(self, outcome: dict[str, Any]) -> None:
        """Stop the job (once): the zygote kills its processes and then reports the exit."""
        if self.ending is None and self.violation is None:
            self.ending = outcome
        if self.kill_sent_at is None:
            self.kill_sent_at = time.monotonic()
            try:
                self.control.send(b'{"op": "kill"}')
            except OSError as exc:
                raise ZygoteGone(str(exc)) from exc

    def break_protocol(self, kind: str, message: str) -> None:
        if self.violation is None and self.ending is None:
            self.violation = failure(kind, message)
        self.end(self.violation)

    # --- frames --------------------------------------------------------------------------

    def take(self, data: bytes) -> None:
        if self.violation is not None:
            return
        try:
            messages = self.reader.feed(data)
        except framing.FrameTooLarge as exc:
            self.break_protocol(
                "ResultTooLarge",
                f"the run sent {exc.size} bytes in one message; the limit is "
                f"{self.result_limit // 1024} KiB (FUNCPAD_RUN_RESULT_MAX_KB)",
            )
            return
        except ValueError as exc:
            self.break_protocol("SandboxError", f"the run sent an unreadable message: {exc}")
            return
        for message in messages:
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "log" and self.result is None:
                self.log_line(message.get("message"))
            elif kind == "call" and self.result is None and self.on_call is not None:
                self.host_call(message)
            elif kind == "result" and self.result is None:
                self.result = message
                self.result_at = time.monotonic()
                if message.get("log_truncated") and not self.log_truncated:
                    self.truncate()  # the child stopped sending at the same budget
            else:
                what = "a second result" if kind == "result" else f"a {kind!r} message"
                if kind == "log":
                    what = "a log line after the result"
                self.break_protocol("SandboxError", f"the run broke the result protocol: {what}")
                return

    def host_call(self, message: dict[str, Any]) -> None:
        """Answer one host call (in order; the script waits for each answer)."""
        call_id, op, args = message.get("id"), message.get("op"), message.get("args")
        if not (isinstance(call_id, int) and isinstance(op, str) and isinstance(args, dict)):
            self.break_protocol("SandboxError", "the run sent a malformed host call")
            return
        self.calls_made += 1
        answer: dict[str, Any] = {"type": "answer", "id": call_id}
        try:
            if self.calls_made > MAX_HOST_CALLS:
                raise HostCallError(
                    "LimitExceeded",
                    f"a run may make at most {MAX_HOST_CALLS} calls to STORE, CACHE, FUNC and "
                    "the other DFF services",
                )
            answer["value"] = self.on_call(op, args)
            encoded = framing.encode(answer)
            if len(encoded) > self.result_limit + FRAME_OVERHEAD:
                raise HostCallError(
                    "ValueError",
                    f"the answer to {op} is {len(encoded)} bytes; the limit is "
                    f"{self.result_limit // 1024} KiB (ask for fewer keys at a time)",
                )
        except HostCallError as exc:
            answer.pop("value", None)
            answer["error"] = {"type": exc.kind, "message": exc.message}
            encoded = framing.encode(answer)
        except Exception:  # the host's own fault: logged here, never shown to the script
            log.exception("host call %s failed", op)
            answer.pop("value", None)
            answer["error"] = {"type": "RuntimeError", "message": f"{op} failed on the server"}
            encoded = framing.encode(answer)
        if len(self.answers) + len(encoded) > MAX_PENDING_ANSWERS:
            self.break_protocol("SandboxError", "the run made host calls without reading answers")
            return
        self.answers += encoded

    def log_line(self, text: Any) -> None:
        if self.log_truncated:
            return
        text = text if isinstance(text, str) else str(text)
        cost = framing.log_cost(text)
        if cost > self.log_budget:
            self.truncate()
            return
        self.log_budget -= cost
        if self.on_log is not None:
            self.on_log({"time": time.time(), "message": text})

    def truncate(self) -> None:
        self.log_truncated = True
        if self.on_log is not None:
            self.on_log({"time": time.time(), "message": TRUNCATION_MARKER})

    # --- the record ----------------------------------------------------------------------

    def decide(self, started: float) -> dict[str, Any]:
        ended = self.result_at if self.result_at is not None else time.monotonic()
        exit_status, maxrss_kb = self.exit if self.exit is not None else (None, None)
        if maxrss_kb is None and self.result is not None:
            maxrss_kb = self.result.get("peak_memory_kb")
        if self.ending is not None:
            outcome = self.ending
        elif self.violation is not None:
            outcome = self.violation
        elif self.result is None:
            outcome = died(exit_status)
        elif exit_status is not None and not (
            os.WIFEXITED(exit_status) and os.WEXITSTATUS(exit_status) == 0
        ):
            outcome = died(exit_status)
            outcome["error"]["message"] += " (after its result was sent)"
        else:
            outcome = self.checked_result()
        outcome = dict(outcome)
        outcome["duration_ms"] = round((ended - started) * 1000, 3)
        valid = isinstance(maxrss_kb, int) and not isinstance(maxrss_kb, bool) and maxrss_kb >= 0
        outcome["peak_memory_kb"] = min(maxrss_kb, 1 << 40) if valid else None
        outcome["log_truncated"] = self.log_truncated
        return outcome

    def checked_result(self) -> dict[str, Any]:
        result = self.result
        status = result.get("status")
        if status not in ("success", "failure", "skipped"):
            return failure("SandboxError", "the run reported an unknown status")
        outcome = {key: result.get(key) for key in RESULT_KEYS if key in result}
        error = result.get("error")
        if status in ("failure", "skipped"):  # skipped: the script raised a Warning
            error = error if isinstance(error, dict) else {}
            line = error.get("line")
            outcome["error"] = {
                "type": str(error.get("type") or "Error")[:200],
                "message": str(error.get("message") or ""),
                "traceback": str(error.get("traceback") or ""),
                "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
            }
        else:
            outcome["error"] = None
        return outcome
