"""Shared by the benchmarks: a free port, an API token, and gunicorn serving a data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_token(data_dir: Path) -> str:
    """Create the bench admin in ``data_dir`` (migrating it) and return a new API token."""
    sys.path.insert(0, str(ROOT))
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services.users import create_token

    app = create_app(
        {
            "FUNCPAD_DATA_DIR": str(data_dir),
            "FUNCPAD_ADMIN_USERNAME": "bench",
            "FUNCPAD_ADMIN_PASSWORD": "bench-password",
            "FUNCPAD_RUNNER_WARMUP": "off",
            "FUNCPAD_SCHEDULER": "off",
        }
    )
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "bench"))
        _, plaintext = create_token(db.session, user, "bench")
        db.session.commit()
        db.engine.dispose()
    return plaintext


@contextmanager
def gunicorn(
    data_dir: Path, *, scheduler: bool = False, receiver_port: int | None = None
) -> Iterator[tuple[str, int]]:
    """Yield (base URL, gunicorn pid) once ``/healthz`` answers (and the scheduler is active);
    the receiver's own port is ``receiver_port`` (a free one if not given)."""
    port = free_port()
    env = {
        **os.environ,
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_BIND": f"127.0.0.1:{port}",
        "FUNCPAD_RECEIVER_BIND": f"127.0.0.1:{receiver_port or free_port()}",
        "FUNCPAD_SCHEDULER": "on" if scheduler else "off",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                health = requests.get(f"{base}/healthz", timeout=2).json()
                if not scheduler or health["scheduler"] == "active":
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(20)
