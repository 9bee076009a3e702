"""The runner as the app sees it: one process-wide pool, created on first use."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from webapp.runner import installer
from webapp.runner.network import Endpoint
from webapp.runner.pool import RunnerPool
from webapp.runner.sandbox import Sandbox, SandboxConfig

log = logging.getLogger(__name__)

ENDPOINTS_TTL_SECONDS = 5.0  # other worker processes see a connector change within this
_pools: dict[SandboxConfig, RunnerPool] = {}
_lock = threading.Lock()
_endpoints_lock = threading.Lock()


def sandbox_config(app: Flask) -> SandboxConfig:
    return SandboxConfig(
        slots=app.config["FUNCPAD_RUNNER_CONCURRENCY"],
        uid_base=app.config["FUNCPAD_SANDBOX_UID_BASE"],
        insecure_allowed=app.config["FUNCPAD_SANDBOX_INSECURE"],
        python=app.config["FUNCPAD_SANDBOX_PYTHON"],
        memory_bytes=app.config["FUNCPAD_SANDBOX_MEMORY_MB"] * 1024 * 1024,
        mode=app.config["FUNCPAD_RUNNER_MODE"],
        network=app.config["FUNCPAD_SANDBOX_NETWORK"],
        tmp_bytes=app.config["FUNCPAD_SANDBOX_TMP_MB"] * 1024 * 1024,
        tmp_inodes=app.config["FUNCPAD_SANDBOX_TMP_FILES"],
        result_bytes=app.config["FUNCPAD_RUN_RESULT_MAX_KB"] * 1024,
        packages_dir=app.config["FUNCPAD_SANDBOX_PACKAGES"],
        user_packages_dir=app.config.get("FUNCPAD_USER_PACKAGES"),
    )


def pool_for(config: SandboxConfig) -> RunnerPool:
    """The pool for this configuration, shared by every app object in the process."""
    with _lock:
        pool = _pools.get(config)
        if pool is None:
            pool = RunnerPool(Sandbox(config), config.slots, config.mode)
            _pools[config] = pool
        return pool


def get_runner(app: Flask | None = None) -> RunnerPool:
    """The pool, with the connector endpoints its network opens at most 5 s old.

    The first callers after the endpoints went stale wait for the one that reads them: a run
    must never start on a network opened for an older set (a fresh worker's first runs would
    find their connectors refused)."""
    app = app or current_app._get_current_object()
    pool = pool_for(app.extensions["funcpad.sandbox_config"])
    loader = app.extensions.get("funcpad.sandbox_endpoints")
    if loader is None or time.monotonic() < pool.endpoints_checked_at + ENDPOINTS_TTL_SECONDS:
        return pool
    with _endpoints_lock:
        if time.monotonic() >= pool.endpoints_checked_at + ENDPOINTS_TTL_SECONDS:
            try:
                pool.set_endpoints(Endpoint(host, port) for host, port in loader())
                pool.endpoints_checked_at = time.monotonic()
            except Exception:  # keep the last known set; the next call tries again
                log.exception("reading the connectors' endpoints failed")
    return pool


def endpoints_changed(app: Flask | None = None) -> None:
    """A connector was saved or deleted: re-read the endpoints before the next run."""
    app = app or current_app._get_current_object()
    pool_for(app.extensions["funcpad.sandbox_config"]).endpoints_checked_at = 0.0


def set_endpoint_loader(app: Flask, loader: Callable[[], list[tuple[str, int]]]) -> None:
    """``loader`` lists every (host, port) that connectors point at (called in app context)."""
    app.extensions["funcpad.sandbox_endpoints"] = loader


@atexit.register
def _close_pools() -> None:
    for pool in _pools.values():
        pool.close()


def init_app(app: Flask) -> None:
    """Remember the sandbox settings; with warm-up on, detect layers and start a slot now."""
    config = sandbox_config(app)
    app.extensions["funcpad.sandbox_config"] = config
    if config.user_packages_dir:
        installer.prepare_folder(Path(config.user_packages_dir), config)
    if app.config["FUNCPAD_RUNNER_WARMUP"]:

        def warm() -> None:
            pool = pool_for(config)
            log.info("sandbox layers: %s", pool.layers.to_dict())
            pool.warm_up()

        threading.Thread(target=warm, name="runner-detect", daemon=True).start()
