import multiprocessing
import os
import stat

import pytest

from webapp import config as config_module
from webapp.config import (
    ConfigError,
    load_config,
    load_or_create_secret_key,
    load_or_create_secrets_key,
    parse_bind,
    parse_bool,
    parse_int,
)


def test_defaults(tmp_path):
    config = load_config({"FUNCPAD_DATA_DIR": str(tmp_path / "d")})
    assert config["FUNCPAD_BIND"] == "127.0.0.1:8088"
    assert config["FUNCPAD_SCHEDULER"] is True
    assert config["FUNCPAD_TIMEZONE"] == "UTC"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'd' / 'funcpad.db'}"
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["FUNCPAD_RECEIVER_BIND"] == "127.0.0.1:9529"  # as a DataKit agent
    assert config["FUNCPAD_SANDBOX_NETWORK"] == "internet"
    assert (config["FUNCPAD_SANDBOX_TMP_MB"], config["FUNCPAD_SANDBOX_TMP_FILES"]) == (256, 16384)
    assert config["FUNCPAD_RUN_RESULT_MAX_KB"] == 1024


def test_the_receiver_listener_can_be_turned_off(tmp_path):
    config = load_config({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_RECEIVER_BIND": "off"})
    assert config["FUNCPAD_RECEIVER_BIND"] is None


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    first = load_config({"FUNCPAD_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    second = load_config({"FUNCPAD_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    # 0711 only when root with the Packages folder inside (other uids must pass through).
    expected = 0o711 if os.geteuid() == 0 else 0o700
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == expected
    load_config({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_USER_PACKAGES": "off"})
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o700


@pytest.mark.parametrize("load", [load_or_create_secret_key, load_or_create_secrets_key])
def test_a_worker_starting_during_the_first_write_gets_the_same_key(tmp_path, monkeypatch, load):
    """CI once saw a worker read the key file between its creation and its write ("too short to
    be a secret key"). Here a second worker starts exactly mid-write: it must neither fail nor
    end up with a key other than the one the first worker returns."""
    real_fsync = os.fsync
    seen_by_second, started = [], []

    def second_worker_starts_now(fd):
        real_fsync(fd)
        if not started:  # only the first worker's write is interrupted
            started.append(True)
            seen_by_second.append(load(tmp_path))

    monkeypatch.setattr(config_module.os, "fsync", second_worker_starts_now)
    first = load(tmp_path)
    assert seen_by_second == [first]
    assert len(list(tmp_path.iterdir())) == 1  # the key file, no temporary file left behind
    assert load(tmp_path) == first


def _race(data_dir, barrier, results):
    barrier.wait()
    try:
        results.put((load_or_create_secret_key(data_dir), load_or_create_secrets_key(data_dir)))
    except Exception as error:  # the assertion below shows which
        results.put(repr(error))


def test_many_workers_starting_at_once_agree_on_the_keys(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        data_dir = tmp_path / str(attempt)
        data_dir.mkdir()
        barrier, results = context.Barrier(6), context.Queue()
        workers = [
            context.Process(target=_race, args=(data_dir, barrier, results)) for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        answers = [results.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert len(set(answers)) == 1, answers
        assert all(isinstance(a, tuple) for a in answers), answers


def test_nothing_in_the_data_dir_but_the_packages_folder_is_open_to_others(data_dir):
    """The data directory may be passable (0711) so the job and installer uids reach the
    Packages folder: everything else in it must be closed to them."""
    from tests.conftest import app_config
    from webapp import create_app
    from webapp.models.types import utcnow

    app = create_app(app_config(data_dir, FUNCPAD_USER_PACKAGES=""))  # the default: inside
    from webapp.services import import_staging
    from webapp.services.script_set_transfer import Bundle

    app.test_client().get("/healthz")  # the app has started up and touched its files
    import_staging.stage(data_dir, Bundle(), utcnow())
    import_staging.save_restore_point(data_dir, b"zip bytes", utcnow())
    opened = []
    for path in data_dir.rglob("*"):
        if path == data_dir / "packages" or (data_dir / "packages") in path.parents:
            continue
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            opened.append(f"{path.relative_to(data_dir)} {oct(path.stat().st_mode)}")
    assert opened == []
    assert stat.S_IMODE((data_dir / "packages").stat().st_mode) == 0o755


def test_database_url_normalisation(tmp_path):
    config = load_config(
        {"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_DATABASE_URL": "postgresql://u:p@h/db"}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@h/db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FUNCPAD_SCHEDULER", "maybe"),
        ("FUNCPAD_TIMEZONE", "Mars/Olympus"),
        ("FUNCPAD_BIND", "8088"),
        ("FUNCPAD_BIND", "host:99999"),
        ("FUNCPAD_LOGIN_MAX_FAILURES", "zero"),
        ("FUNCPAD_LOGIN_MAX_FAILURES", "0"),
        ("FUNCPAD_RECEIVER_MAX_CONNECTIONS", "0"),
        ("FUNCPAD_SANDBOX_NETWORK", "everything"),
        ("FUNCPAD_RECEIVER_BIND", "9529"),
        ("FUNCPAD_SANDBOX_TMP_MB", "0"),
        ("FUNCPAD_SANDBOX_TMP_FILES", "lots"),
        ("FUNCPAD_RUN_RESULT_MAX_KB", "0"),
        ("FUNCPAD_EXECUTOR", "threads"),
        ("FUNCPAD_WORKER_QUEUES", "0,1"),
        ("FUNCPAD_WORKER_QUEUES", "9-3"),
        ("FUNCPAD_WORKER_QUEUES", "one"),
        ("FUNCPAD_RECEIVER_URL", "datakit:9529"),
        ("FUNCPAD_BROKER_VISIBILITY_SECONDS", "0"),
    ],
)
def test_bad_values_are_errors_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config({"FUNCPAD_DATA_DIR": str(tmp_path), name: value})


def test_the_celery_executor_needs_its_broker(tmp_path):
    with pytest.raises(ConfigError, match="FUNCPAD_REDIS_URL"):
        load_config({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_EXECUTOR": "celery"})
    config = load_config(
        {
            "FUNCPAD_DATA_DIR": str(tmp_path),
            "FUNCPAD_EXECUTOR": "Celery",
            "FUNCPAD_REDIS_URL": "redis://:pw@127.0.0.1:6379/0",
            "FUNCPAD_WORKER_QUEUES": "1-3, 9",
            "FUNCPAD_RECEIVER_URL": "http://web:9529/",
        }
    )
    assert config["FUNCPAD_EXECUTOR"] == "celery"
    assert config["FUNCPAD_WORKER_QUEUES"] == (1, 2, 3, 9)
    assert config["FUNCPAD_RECEIVER_URL"] == "http://web:9529"
    assert load_config({"FUNCPAD_DATA_DIR": str(tmp_path)})["FUNCPAD_WORKER_QUEUES"] == tuple(
        range(1, 16)
    )


def test_parsers():
    assert parse_bool("X", "ON", False) is True
    assert parse_bool("X", "", True) is True
    assert parse_int("X", " 7 ", 1) == 7
    assert parse_bind("X", "0.0.0.0:80") == "0.0.0.0:80"
