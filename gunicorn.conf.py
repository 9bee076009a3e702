"""gunicorn settings, read from FUNCPAD_* variables (see webapp/config.py for the app's own)."""

import importlib.util
import os
from pathlib import Path

# webapp/config.py by its path, not as webapp.config: importing the package would load Flask
# into the master process (~10 MB it never uses; the workers import the app themselves).
_spec = importlib.util.spec_from_file_location(
    "funcpad_config", Path(__file__).resolve().parent / "webapp" / "config.py"
)
_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_config)
parse_bind, parse_int = _config.parse_bind, _config.parse_int
parse_receiver_bind = _config.parse_receiver_bind

bind = [parse_bind("FUNCPAD_BIND", os.environ.get("FUNCPAD_BIND"))]
# The embedded DataKit receiver's own port (only its paths answer there): scripts may reach it.
receiver_bind = parse_receiver_bind(os.environ.get("FUNCPAD_RECEIVER_BIND"))
if receiver_bind and receiver_bind not in bind:
    bind.append(receiver_bind)
# One worker by default: the runner pool (and so the concurrency limit) is per process.
workers = parse_int("FUNCPAD_WORKERS", os.environ.get("FUNCPAD_WORKERS"), 1, minimum=1)
threads = parse_int("FUNCPAD_THREADS", os.environ.get("FUNCPAD_THREADS"), 16, minimum=1)
worker_class = "gthread"
timeout = 120
graceful_timeout = 20
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
wsgi_app = "webapp:create_app()"
# The worker heartbeat touches a file in every loop of the worker: keep it in memory.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def post_worker_init(worker):
    """Keep what the app loaded out of the garbage collector's full passes."""
    import gc

    gc.freeze()
