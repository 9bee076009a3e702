"""Configuration: ``FUNCPAD_*`` environment variables, parsed explicitly, with safe dev defaults.

``load_config(environ)`` is pure (it only reads the mapping it is given and the data directory);
the app factory calls it with ``os.environ``. Nothing secret lives in this file: the session
secret is generated once into the data directory (mode 0600) and read back on every start.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECRET_KEY_FILE = "secret_key"
# The key connectors' passwords and tokens are encrypted with (Fernet), never in the database.
SECRETS_KEY_FILE = "connector_secrets.key"
DEFAULT_BIND = "127.0.0.1:8088"
NETWORK_POLICIES = ("internet", "none", "host")  # the first is the default
DEFAULT_RECEIVER_BIND = "127.0.0.1:9529"  # where a DataKit agent listens


class ConfigError(ValueError):
    """A ``FUNCPAD_*`` variable has a value we refuse to guess about."""


def parse_bool(name: str, raw: str | None, default: bool) -> bool:
    """Parse on/off style flags; anything unrecognised is an error, not a silent default."""
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be on/off (got {raw!r})")


def parse_int(name: str, raw: str | None, default: int, minimum: int = 0) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer (got {raw!r})") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum} (got {value})")
    return value


def parse_receiver_bind(raw: str | None) -> str | None:
    """HOST:PORT of the DataKit-only listener, or None for ``off``."""
    value = (raw or "").strip()
    if value.lower() in ("off", "none", "no", "0", "false"):
        return None
    return parse_bind("FUNCPAD_RECEIVER_BIND", value or DEFAULT_RECEIVER_BIND)


def parse_choice(name: str, raw: str | None, choices: tuple[str, ...]) -> str:
    """One of ``choices``; the first is the default."""
    value = (raw or "").strip().lower() or choices[0]
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)} (got {raw!r})")
    return value


def parse_timezone(name: str, raw: str | None, default: str = "UTC") -> str:
    value = (raw or "").strip() or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name} is not an IANA timezone name (got {value!r})") from exc
    return value


def parse_bind(name: str, raw: str | None) -> str:
    value = (raw or "").strip() or DEFAULT_BIND
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must look like HOST:PORT (got {value!r})")
    return value


DEFAULT_SANDBOX_PACKAGES = (
    "/opt/funcpad/sandbox-packages",  # where scripts/setup.sh installs them as root
    str(Path(__file__).resolve().parent.parent / ".sandbox-packages"),  # and as anyone else
)


def parse_sandbox_packages(raw: str | None) -> str | None:
    """The script packages' directory: FUNCPAD_SANDBOX_PACKAGES, else where setup put them,
    else none (scripts get the interpreter's own packages only); ``off`` for none."""
    value = (raw or "").strip()
    if value.lower() == "off":
        return None
    if value:
        if not Path(value).is_dir():
            raise ConfigError(f"FUNCPAD_SANDBOX_PACKAGES is not a directory: {value!r}")
        return str(Path(value).resolve())
    return next((p for p in DEFAULT_SANDBOX_PACKAGES if Path(p).is_dir()), None)


def parse_user_packages(raw: str | None, data_dir: Path) -> str | None:
    """The Packages page's folder: FUNCPAD_USER_PACKAGES, else ``<data dir>/packages``; ``off``
    turns the page's installs off."""
    value = (raw or "").strip()
    if value.lower() == "off":
        return None
    return str(Path(value).resolve()) if value else str(data_dir / "packages")


def data_dir_mode(data_dir: Path, user_packages: str | None, is_root: bool) -> int:
    """0700, or 0711 when the app is root and the Packages folder is inside: pip and the jobs
    run as other uids that must reach it (every file here is 0600 and every folder 0700 but
    that one, so passing through reads nothing else)."""
    inside = user_packages is not None and Path(user_packages).parent == data_dir
    return 0o711 if is_root and inside else 0o700


def parse_redis_url(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"FUNCPAD_REDIS_URL must start with redis://, rediss:// or unix:// (got {value!r})"
        )
    return value


WORKER_QUEUES = tuple(range(1, 16))  # DataFlux Func's queues 1-15 (0 is its system queue)


def parse_queues(raw: str | None) -> tuple[int, ...]:
    """``FUNCPAD_WORKER_QUEUES``: the DataFlux Func queues a worker serves, ``1,2,5`` or
    ``1-9``; all of 1-15 when unset."""
    value = (raw or "").strip()
    if not value:
        return WORKER_QUEUES
    queues: set[int] = set()
    for part in value.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first = last = -1
        if not (1 <= first <= last <= 15):
            raise ConfigError(
                f"FUNCPAD_WORKER_QUEUES must list queues from 1 to 15, like 1,2,5 or 1-9 "
                f"(got {raw!r})"
            )
        queues.update(range(first, last + 1))
    return tuple(sorted(queues))


def parse_http_url(name: str, raw: str | None) -> str | None:
    value = (raw or "").strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or value[-3:] == "://":
        raise ConfigError(f"{name} must be an http:// or https:// URL (got {raw!r})")
    return value


def _create_once(path: Path, make_key) -> str | None:
    """Write ``make_key()`` to ``path`` (mode 0600) unless it exists; return the new key, or
    None when another process got there first.

    The key is written to a private temporary file and hard-linked into place, so the file
    appears with its whole content: a worker starting at the same moment never reads it empty
    (O_EXCL alone would let it see the file between create and write)."""
    key = make_key()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return None
    finally:
        temporary.unlink(missing_ok=True)
    return key


def load_or_create_secret_key(data_dir: Path) -> str:
    """Return the instance's secret key, creating it (mode 0600) on first start; two workers
    starting together agree on one key (see ``_create_once``)."""
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        created = _create_once(path, lambda: secrets.token_urlsafe(48))
        if created is not None:
            return created
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"{path} is too short to be a secret key")
    return key


def load_or_create_secrets_key(data_dir: Path) -> str:
    """Return the Fernet key (urlsafe base64 of 32 random bytes) that encrypts connectors'
    secrets at rest, creating it (mode 0600) on first start like the secret key."""
    path = data_dir / SECRETS_KEY_FILE
    if not path.exists():
        created = _create_once(
            path, lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        )
        if created is not None:
            return created
    key = path.read_text().strip()
    if len(key) != 44:
        raise ConfigError(f"{path} is not a Fernet key (44 characters)")
    return key


def load_config(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Build the Flask config mapping from ``FUNCPAD_*`` variables."""
    env = dict(environ)
    data_dir = Path(env.get("FUNCPAD_DATA_DIR") or "instance").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    user_packages = parse_user_packages(env.get("FUNCPAD_USER_PACKAGES"), data_dir)
    # The database and secret keys live here.
    os.chmod(data_dir, data_dir_mode(data_dir, user_packages, os.geteuid() == 0))

    database_url = (env.get("FUNCPAD_DATABASE_URL") or "").strip()
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'funcpad.db'}"
    elif database_url.startswith("postgres://"):
        # Heroku-style URLs name a dialect SQLAlchemy 2 no longer accepts.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    executor = parse_choice(
        "FUNCPAD_EXECUTOR", env.get("FUNCPAD_EXECUTOR"), ("inprocess", "celery")
    )
    if executor == "celery" and not (env.get("FUNCPAD_REDIS_URL") or "").strip():
        raise ConfigError("FUNCPAD_EXECUTOR=celery needs FUNCPAD_REDIS_URL (its broker)")

    secure_cookies = parse_bool("FUNCPAD_SECURE_COOKIES", env.get("FUNCPAD_SECURE_COOKIES"), False)

    return {
        "FUNCPAD_DATA_DIR": str(data_dir),
        "FUNCPAD_BIND": parse_bind("FUNCPAD_BIND", env.get("FUNCPAD_BIND")),
        "FUNCPAD_RECEIVER_BIND": parse_receiver_bind(env.get("FUNCPAD_RECEIVER_BIND")),
        # Where runs reach the embedded receiver when that is not this host (a worker elsewhere).
        "FUNCPAD_RECEIVER_URL": parse_http_url(
            "FUNCPAD_RECEIVER_URL", env.get("FUNCPAD_RECEIVER_URL")
        ),
        "FUNCPAD_LOG_FORMAT": parse_choice(
            "FUNCPAD_LOG_FORMAT", env.get("FUNCPAD_LOG_FORMAT"), ("text", "json")
        ),
        # Where runs execute: in the app's own processes, or on `funcpad worker`s via Celery.
        "FUNCPAD_EXECUTOR": executor,
        "FUNCPAD_WORKER_QUEUES": parse_queues(env.get("FUNCPAD_WORKER_QUEUES")),
        # A run message a worker took and never acknowledged (it died) comes back after this.
        "FUNCPAD_BROKER_VISIBILITY_SECONDS": parse_int(
            "FUNCPAD_BROKER_VISIBILITY_SECONDS",
            env.get("FUNCPAD_BROKER_VISIBILITY_SECONDS"),
            300,
            minimum=1,
        ),
        "FUNCPAD_SCHEDULER": parse_bool("FUNCPAD_SCHEDULER", env.get("FUNCPAD_SCHEDULER"), True),
        "FUNCPAD_TIMEZONE": parse_timezone("FUNCPAD_TIMEZONE", env.get("FUNCPAD_TIMEZONE")),
        "FUNCPAD_ADMIN_USERNAME": (env.get("FUNCPAD_ADMIN_USERNAME") or "").strip() or None,
        "FUNCPAD_ADMIN_PASSWORD": env.get("FUNCPAD_ADMIN_PASSWORD") or None,
        "FUNCPAD_AUTO_MIGRATE": parse_bool(
            "FUNCPAD_AUTO_MIGRATE", env.get("FUNCPAD_AUTO_MIGRATE"), True
        ),
        "FUNCPAD_LOGIN_MAX_FAILURES": parse_int(
            "FUNCPAD_LOGIN_MAX_FAILURES", env.get("FUNCPAD_LOGIN_MAX_FAILURES"), 5, minimum=1
        ),
        "FUNCPAD_LOGIN_LOCKOUT_SECONDS": parse_int(
            "FUNCPAD_LOGIN_LOCKOUT_SECONDS", env.get("FUNCPAD_LOGIN_LOCKOUT_SECONDS"), 900, 1
        ),
        "FUNCPAD_RUNNER_CONCURRENCY": parse_int(
            "FUNCPAD_RUNNER_CONCURRENCY",
            env.get("FUNCPAD_RUNNER_CONCURRENCY"),
            2 * (os.cpu_count() or 1),
            minimum=1,
        ),
        "FUNCPAD_RUNNER_WARMUP": parse_bool(
            "FUNCPAD_RUNNER_WARMUP", env.get("FUNCPAD_RUNNER_WARMUP"), True
        ),
        "FUNCPAD_RUNNER_MODE": parse_choice(
            "FUNCPAD_RUNNER_MODE", env.get("FUNCPAD_RUNNER_MODE"), ("forkserver", "spawn")
        ),
        "FUNCPAD_SANDBOX_UID_BASE": parse_int(
            "FUNCPAD_SANDBOX_UID_BASE", env.get("FUNCPAD_SANDBOX_UID_BASE"), 64100, minimum=1000
        ),
        "FUNCPAD_SANDBOX_INSECURE": parse_bool(
            "FUNCPAD_SANDBOX_INSECURE", env.get("FUNCPAD_SANDBOX_INSECURE"), False
        ),
        "FUNCPAD_SANDBOX_PYTHON": (env.get("FUNCPAD_SANDBOX_PYTHON") or "").strip() or None,
        "FUNCPAD_SANDBOX_MEMORY_MB": parse_int(
            "FUNCPAD_SANDBOX_MEMORY_MB", env.get("FUNCPAD_SANDBOX_MEMORY_MB"), 1024, minimum=64
        ),
        "FUNCPAD_SANDBOX_NETWORK": parse_choice(
            "FUNCPAD_SANDBOX_NETWORK", env.get("FUNCPAD_SANDBOX_NETWORK"), NETWORK_POLICIES
        ),
        "FUNCPAD_SANDBOX_TMP_MB": parse_int(
            "FUNCPAD_SANDBOX_TMP_MB", env.get("FUNCPAD_SANDBOX_TMP_MB"), 256, minimum=1
        ),
        "FUNCPAD_SANDBOX_TMP_FILES": parse_int(
            "FUNCPAD_SANDBOX_TMP_FILES", env.get("FUNCPAD_SANDBOX_TMP_FILES"), 16384, minimum=16
        ),
        # Hold every /api/v1 answer to the OpenAPI document (the test suite; costs a little).
        "FUNCPAD_API_CHECK_RESPONSES": parse_bool(
            "FUNCPAD_API_CHECK_RESPONSES", env.get("FUNCPAD_API_CHECK_RESPONSES"), False
        ),
        "FUNCPAD_RUN_RESULT_MAX_KB": parse_int(
            "FUNCPAD_RUN_RESULT_MAX_KB", env.get("FUNCPAD_RUN_RESULT_MAX_KB"), 1024, minimum=1
        ),
        "FUNCPAD_TASK_RECORD_MAX_DAYS": parse_int(
            "FUNCPAD_TASK_RECORD_MAX_DAYS", env.get("FUNCPAD_TASK_RECORD_MAX_DAYS"), 30
        ),
        "FUNCPAD_INGEST_TOKEN": (env.get("FUNCPAD_INGEST_TOKEN") or "").strip() or None,
        # /metrics answers scrapers that send this as a Bearer token (or an admin's API token).
        "FUNCPAD_METRICS_TOKEN": (env.get("FUNCPAD_METRICS_TOKEN") or "").strip() or None,
        # The platform's figures to the datakit connector this often (0: never).
        "FUNCPAD_SELF_METRICS_SECONDS": parse_int(
            "FUNCPAD_SELF_METRICS_SECONDS", env.get("FUNCPAD_SELF_METRICS_SECONDS"), 30
        ),
        "FUNCPAD_RECEIVER_MAX_CONNECTIONS": parse_int(
            "FUNCPAD_RECEIVER_MAX_CONNECTIONS",
            env.get("FUNCPAD_RECEIVER_MAX_CONNECTIONS"),
            512,
            minimum=1,
        ),
        "FUNCPAD_RECEIVER_MAX_BODY_MB": parse_int(
            "FUNCPAD_RECEIVER_MAX_BODY_MB", env.get("FUNCPAD_RECEIVER_MAX_BODY_MB"), 32, minimum=1
        ),
        "FUNCPAD_POINTS_RETENTION_DAYS": parse_int(
            "FUNCPAD_POINTS_RETENTION_DAYS", env.get("FUNCPAD_POINTS_RETENTION_DAYS"), 7
        ),
        "FUNCPAD_RETENTION_THREAD": parse_bool(
            "FUNCPAD_RETENTION_THREAD", env.get("FUNCPAD_RETENTION_THREAD"), True
        ),
        # DFF.STORE and the embedded DFF.CACHE: all values together stay under these.
        "FUNCPAD_STORE_MAX_MB": parse_int(
            "FUNCPAD_STORE_MAX_MB", env.get("FUNCPAD_STORE_MAX_MB"), 512, minimum=1
        ),
        "FUNCPAD_CACHE_MAX_MB": parse_int(
            "FUNCPAD_CACHE_MAX_MB", env.get("FUNCPAD_CACHE_MAX_MB"), 256, minimum=1
        ),
        # A Redis for DFF.CACHE (redis://[:password@]host:port/db); the database when unset.
        "FUNCPAD_REDIS_URL": parse_redis_url(env.get("FUNCPAD_REDIS_URL")),
        "FUNCPAD_SANDBOX_PACKAGES": parse_sandbox_packages(env.get("FUNCPAD_SANDBOX_PACKAGES")),
        "FUNCPAD_USER_PACKAGES": user_packages,
        "FUNCPAD_CACHE_KEY_PREFIX": (env.get("FUNCPAD_CACHE_KEY_PREFIX") or "").strip()
        or "Funcpad-worker#funcCache",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": load_or_create_secret_key(data_dir),
        "FUNCPAD_SECRETS_KEY": load_or_create_secrets_key(data_dir),
        # Code is capped at 1 MiB by the scripts service (413); leave room for JSON escaping.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_NAME": "funcpad_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": 14 * 24 * 3600,
        # CSRF is checked by our own before_request hook so bearer-token calls can skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(
            Path(__file__).resolve().parent.parent / "translations"
        ),
    }
