"""The runner as the app sees it: one process-wide pool, created on first use."""

from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask, current_app

from webapp.runner.pool import RunnerPool
from webapp.runner.sandbox import Sandbox, SandboxConfig

log = logging.getLogger(__name__)

_pools: dict[SandboxConfig, RunnerPool] = {}
_lock = threading.Lock()


def sandbox_config(app: Flask) -> SandboxConfig:
    return SandboxConfig(
        slots=app.config["FUNCPAD_RUNNER_CONCURRENCY"],
        uid_base=app.config["FUNCPAD_SANDBOX_UID_BASE"],
        insecure_allowed=app.config["FUNCPAD_SANDBOX_INSECURE"],
        python=app.config["FUNCPAD_SANDBOX_PYTHON"],
        memory_bytes=app.config["FUNCPAD_SANDBOX_MEMORY_MB"] * 1024 * 1024,
        mode=app.config["FUNCPAD_RUNNER_MODE"],
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
    app = app or current_app._get_current_object()
    return pool_for(app.extensions["funcpad.sandbox_config"])


@atexit.register
def _close_pools() -> None:
    for pool in _pools.values():
        pool.close()


def init_app(app: Flask) -> None:
    """Remember the sandbox settings; with warm-up on, detect layers and start a slot now."""
    config = sandbox_config(app)
    app.extensions["funcpad.sandbox_config"] = config
    if app.config["FUNCPAD_RUNNER_WARMUP"]:

        def warm() -> None:
            pool = pool_for(config)
            log.info("sandbox layers: %s", pool.layers.to_dict())
            pool.warm_up()

        threading.Thread(target=warm, name="runner-detect", daemon=True).start()
