import pytest

from webapp.runner.sandbox import SandboxConfig
from webapp.runner.service import pool_for


@pytest.fixture(scope="session")
def pool():
    """A real pool with every layer this machine offers (shared with apps of the same config)."""
    return pool_for(SandboxConfig(slots=2))


def job(code: str, func: str = "main", timeout: float = 10, **extra) -> dict:
    return {
        "code": code,
        "script_id": "attack",
        "func": func,
        "kwargs": extra.pop("kwargs", {}),
        "timeout": timeout,
        "log_limit": 1024 * 1024,
        **extra,
    }
