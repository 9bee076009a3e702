"""gunicorn settings, read from FUNCPAD_* variables (see webapp/config.py for the app's own)."""

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

# webapp/config.py by its path, not as webapp.config: importing the package would load Flask
# into the master process (~10 MB it never uses; the workers import the app themselves).
_spec = importlib.util.spec_from_file_location(
    "funcpad_config", Path(__file__).resolve().parent / "webapp" / "config.py"
)
_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_config)
parse_bind, parse_int = _config.parse_bind, _config.parse_int
parse_receiver_bind, parse_choice = _config.parse_receiver_bind, _config.parse_choice
executor = parse_choice(
    "FUNCPAD_EXECUTOR", os.environ.get("FUNCPAD_EXECUTOR"), ("inprocess", "celery")
)
log_format = parse_choice(
    "FUNCPAD_LOG_FORMAT", os.environ.get("FUNCPAD_LOG_FORMAT"), ("text", "json")
)
cores = os.cpu_count() or 1

bind = [parse_bind("FUNCPAD_BIND", os.environ.get("FUNCPAD_BIND"))]
# The embedded DataKit receiver's own port (only its paths answer there; scripts may reach it)
# is not gunicorn's: its own server answers it (webapp/receiver/server.py), off the app's threads.
receiver_bind = parse_receiver_bind(os.environ.get("FUNCPAD_RECEIVER_BIND"))
if receiver_bind in bind:
    raise SystemExit("FUNCPAD_RECEIVER_BIND must differ from FUNCPAD_BIND")
receiver_processes = parse_int(
    "FUNCPAD_RECEIVER_PROCESSES", os.environ.get("FUNCPAD_RECEIVER_PROCESSES"), 2, minimum=1
)
# In-process runs: one worker by default, as the runner pool (and so the concurrency limit) is
# per process. With Celery the web processes only wait on Redis: one per core (at least two, so
# one restarting never leaves the port unanswered), up to 8.
default_workers = 1 if executor == "inprocess" else min(max(2, cores), 8)
workers = parse_int("FUNCPAD_WORKERS", os.environ.get("FUNCPAD_WORKERS"), default_workers, 1)
threads = parse_int("FUNCPAD_THREADS", os.environ.get("FUNCPAD_THREADS"), 16, minimum=1)
worker_class = "gthread"
# Longer than the longest request: an editor run (60 s) waiting up to as long again for a worker
# on a busy queue. gthread's main thread beats while requests run, so this only catches a stuck
# worker process.
timeout = 2 * 60 + 10
# On SIGTERM a worker stops accepting and lets running requests (an editor run: <= 60 s) finish;
# a run still going after this is left "running" and marked worker lost by the next start's
# sweep (the scheduler's, within 30 s, on another node).
graceful_timeout = 60 + 10
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
if log_format == "json":
    # gunicorn's own lines (access log included) as the app's: one JSON object a line.
    _logs_spec = importlib.util.spec_from_file_location(
        "funcpad_logs", Path(__file__).resolve().parent / "webapp" / "logs.py"
    )
    _logs = importlib.util.module_from_spec(_logs_spec)
    _logs_spec.loader.exec_module(_logs)
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": _logs.JsonFormatter}},
        "filters": {"context": {"()": _logs.ContextFilter, "role": "web"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["context"],
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
wsgi_app = "webapp:create_app()"
# The worker heartbeat touches a file in every loop of the worker: keep it in memory.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


_receiver = {}


def on_starting(server):
    """Bind the receiver's port here, as gunicorn binds its own: a busy port stops the start."""
    if not receiver_bind:
        return
    host, _, port = receiver_bind.rpartition(":")
    sock = socket.create_server(
        (host.strip("[]"), int(port)),
        family=socket.AF_INET6 if ":" in host else socket.AF_INET,
        backlog=1024,
    )
    sock.set_inheritable(True)
    _receiver["socket"] = sock


def when_ready(server):
    sock = _receiver.get("socket")
    if sock is None:
        return
    _receiver["process"] = subprocess.Popen(
        [sys.executable, "-m", "webapp.receiver.server", "--fd", str(sock.fileno()),
         "--processes", str(receiver_processes)],
        pass_fds=(sock.fileno(),),
        cwd=Path(__file__).resolve().parent,
    )  # fmt: skip


def on_exit(server):
    process = _receiver.get("process")
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def post_worker_init(worker):
    """Keep what the app loaded out of the garbage collector's full passes."""
    import gc

    gc.freeze()
