"""Database servers for the connector tests, each started once per session on 127.0.0.1:
Debian's MariaDB (``mariadb-server``). PostgreSQL is in ``pg_server``, Redis in conftest."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port


def wait_for_port(process: subprocess.Popen, port: int, name: str, seconds: float = 20) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise if ``process`` dies first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(0.05)


MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE = "funcpad", "mysql-test-password", "funcpad_test"


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[dict]:
    """MariaDB with a user (password) owning a database: ``{host, port, user, password,
    database}``."""
    base = Path(tempfile.mkdtemp(prefix="funcpad-mysql-"))
    data, socket = base / "data", base / "mysqld.sock"
    subprocess.run(
        ["mariadb-install-db", f"--datadir={data}", "--user=root", "--skip-test-db",
         "--auth-root-authentication-method=socket", "--skip-name-resolve"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        ["mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--socket={socket}", "--user=root", "--skip-log-bin",
         "--innodb-buffer-pool-size=16M", "--skip-name-resolve", f"--pid-file={base}/pid",
         f"--log-error={base}/error.log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    setup = (
        f"CREATE USER '{MYSQL_USER}'@'%' IDENTIFIED BY '{MYSQL_PASSWORD}';"
        f"CREATE DATABASE {MYSQL_DATABASE};"
        f"GRANT ALL ON {MYSQL_DATABASE}.* TO '{MYSQL_USER}'@'%';"
    )
    while True:
        done = subprocess.run(
            ["mariadb", f"--socket={socket}", "-uroot", "-e", setup], capture_output=True
        )
        if done.returncode == 0:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"mariadbd did not start: {(base / 'error.log').read_text()}")
        time.sleep(0.1)
    try:
        yield {
            "host": "127.0.0.1",
            "port": port,
            "user": MYSQL_USER,
            "password": MYSQL_PASSWORD,
            "database": MYSQL_DATABASE,
        }
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def memcached_server() -> Iterator[str]:
    """Debian's memcached on a free 127.0.0.1 port (TCP only): ``"127.0.0.1:<port>"``."""
    port = free_port()
    process = subprocess.Popen(
        ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "16", "-u", "root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(process, port, "memcached")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


INFLUX_USER, INFLUX_PASSWORD = "admin", "influx-test-password"


@pytest.fixture(scope="session")
def influxdb_server() -> Iterator[dict]:
    """Debian's influxd (1.x) on free 127.0.0.1 ports, auth on, an admin user and a database:
    ``{host, port, user, password, database}``."""
    import requests

    base = Path(tempfile.mkdtemp(prefix="funcpad-influx-"))
    port, rpc_port = free_port(), free_port()
    (base / "influx.conf").write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc_port}"\n'
        f'[meta]\n  dir = "{base}/meta"\n'
        f'[data]\n  dir = "{base}/data"\n  wal-dir = "{base}/wal"\n'
        f'[http]\n  enabled = true\n  bind-address = "127.0.0.1:{port}"\n'
        "  auth-enabled = true\n  log-enabled = false\n"
    )
    process = subprocess.Popen(
        ["influxd", "-config", str(base / "influx.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/ping", timeout=1)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("influxd did not start") from None
            time.sleep(0.1)
    create = f"CREATE USER {INFLUX_USER} WITH PASSWORD '{INFLUX_PASSWORD}' WITH ALL PRIVILEGES"
    requests.post(f"{url}/query", data={"q": create}, timeout=10).raise_for_status()
    requests.post(
        f"{url}/query", data={"q": "CREATE DATABASE funcpad_test"},
        auth=(INFLUX_USER, INFLUX_PASSWORD), timeout=10,
    ).raise_for_status()  # fmt: skip
    try:
        yield {
            "host": "127.0.0.1",
            "port": port,
            "user": INFLUX_USER,
            "password": INFLUX_PASSWORD,
            "database": "funcpad_test",
        }
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(base, ignore_errors=True)


MQTT_USER, MQTT_PASSWORD = "funcpad", "mqtt-test-password"


@pytest.fixture(scope="session")
def mqtt_server() -> Iterator[dict]:
    """Debian's mosquitto on a free 127.0.0.1 port, anonymous access off, one user:
    ``{host, port, user, password}``."""
    base = Path(tempfile.mkdtemp(prefix="funcpad-mqtt-"))
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(base / "passwords"), MQTT_USER, MQTT_PASSWORD],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    (base / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {base}/passwords\npersistence false\nuser root\n"
    )
    process = subprocess.Popen(
        ["mosquitto", "-c", str(base / "mosquitto.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(process, port, "mosquitto")
    try:
        yield {"host": "127.0.0.1", "port": port, "user": MQTT_USER, "password": MQTT_PASSWORD}
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(base, ignore_errors=True)


CLICKHOUSE_USER, CLICKHOUSE_PASSWORD = "funcpad", "clickhouse-test-password"


@pytest.fixture(scope="session")
def clickhouse_server() -> Iterator[dict]:
    """Debian's clickhouse-server (18.16) on a free 127.0.0.1 port, native protocol only, a
    user with a password: ``{host, port, user, password, database}``."""
    base = Path(tempfile.mkdtemp(prefix="funcpad-clickhouse-"))
    port = free_port()
    (base / "config.xml").write_text(
        f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{base}/server.log</log>
    <errorlog>{base}/error.log</errorlog><console>0</console></logger>
  <tcp_port>{port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{base}/data/</path>
  <tmp_path>{base}/tmp/</tmp_path>
  <user_files_path>{base}/user_files/</user_files_path>
  <format_schema_path>{base}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
"""
    )
    (base / "users.xml").write_text(
        f"""<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>500000000</max_memory_usage></default></profiles>
  <users>
    <{CLICKHOUSE_USER}><password>{CLICKHOUSE_PASSWORD}</password>
      <networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota>
    </{CLICKHOUSE_USER}>
  </users>
  <quotas><default></default></quotas>
</yandex>
"""
    )
    process = subprocess.Popen(
        ["clickhouse-server", f"--config-file={base}/config.xml"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(process, port, "clickhouse-server", seconds=40)
    try:
        yield {
            "host": "127.0.0.1",
            "port": port,
            "user": CLICKHOUSE_USER,
            "password": CLICKHOUSE_PASSWORD,
            "database": "default",
        }
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(base, ignore_errors=True)


PROMETHEUS_USER, PROMETHEUS_PASSWORD = "funcpad", "prometheus-test-password"


@pytest.fixture(scope="session")
def prometheus_server() -> Iterator[dict]:
    """Debian's prometheus on a free 127.0.0.1 port scraping itself every second, behind basic
    auth; returns once it holds a sample of ``up``: ``{host, port, user, password}``."""
    import warnings

    import requests

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # bcrypt, as prometheus's web config wants (libxcrypt has it)

        hashed = crypt.crypt(PROMETHEUS_PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    base = Path(tempfile.mkdtemp(prefix="funcpad-prometheus-"))
    port = free_port()
    (base / "web.yml").write_text(f"basic_auth_users:\n  {PROMETHEUS_USER}: '{hashed}'\n")
    (base / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: self\n"
        f"    basic_auth: {{username: {PROMETHEUS_USER}, password: {PROMETHEUS_PASSWORD}}}\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    )
    process = subprocess.Popen(
        ["prometheus", f"--config.file={base}/prometheus.yml", f"--web.config.file={base}/web.yml",
         f"--web.listen-address=127.0.0.1:{port}", f"--storage.tsdb.path={base}/data"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(process, port, "prometheus")
    auth = (PROMETHEUS_USER, PROMETHEUS_PASSWORD)
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(
            f"http://127.0.0.1:{port}/api/v1/query", params={"query": "up"}, auth=auth, timeout=5
        )
        if answer.ok and answer.json()["data"]["result"]:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"prometheus holds no sample: {answer.status_code} {answer.text}")
        time.sleep(0.2)
    try:
        yield {
            "host": "127.0.0.1",
            "port": port,
            "user": PROMETHEUS_USER,
            "password": PROMETHEUS_PASSWORD,
        }
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(base, ignore_errors=True)
