"""Which process runs a task, and whether that process is still alive.

``PROCESS_ID`` is ``host:pid-namespace:pid:start-ticks``: unique for the process's lifetime
(a reused pid has another start time) and comparable only where the pid means the same thing
(the same host and PID namespace). ``is_alive`` answers True/False there and None elsewhere: a
process on another host is judged by its runs' deadlines instead (``runs.sweep_lost_runs``).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        return "-"


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # a zombie has died; only its parent has not looked yet
        return None
    return fields[19]  # field 22: start time since boot, in ticks


HOST = socket.gethostname()
NAMESPACE = _pid_namespace()
PROCESS_ID = f"{HOST}:{NAMESPACE}:{os.getpid()}:{_start_ticks(os.getpid()) or '0'}"


def process_id() -> str:
    """This process's id (recomputed after a fork: gunicorn workers are forked)."""
    global PROCESS_ID
    if PROCESS_ID.split(":")[2] != str(os.getpid()):
        PROCESS_ID = f"{HOST}:{NAMESPACE}:{os.getpid()}:{_start_ticks(os.getpid()) or '0'}"
    return PROCESS_ID


def is_alive(worker_id: str | None) -> bool | None:
    """Whether the process ``worker_id`` still runs; None when this process cannot tell."""
    if not worker_id:
        return None
    parts = worker_id.split("/", 1)[0].split(":")  # a suffix after "/" names a thread's role
    if len(parts) != 4 or parts[0] != HOST or parts[1] != NAMESPACE or not parts[2].isdigit():
        return None
    return _start_ticks(int(parts[2])) == parts[3]
