"""DataFlux Func's package set in the real sandbox: every package imports (setup installed
them; CI runs setup), versions are the pinned ones, TOOLKIT.get_arrow works, and a script
cannot change the packages another user's script will import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.runner.conftest import job
from webapp.config import parse_sandbox_packages
from webapp.runner import packages
from webapp.runner.sandbox import SandboxConfig
from webapp.runner.service import pool_for

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "arrow": "arrow",
    "simplejson": "simplejson",
    "ujson": "ujson",
    "xmltodict": "xmltodict",
    "PyMySQL": "pymysql",
    "psycopg": "psycopg",
    "redis": "redis",
    "pymongo": "pymongo",
    "influxdb": "influxdb",
    "clickhouse-driver": "clickhouse_driver",
    "paho-mqtt": "paho.mqtt.client",
    "croniter": "croniter",
    "python-dateutil": "dateutil",
    "Jinja2": "jinja2",
    "pycryptodomex": "Cryptodome",
    "PyYAML": "yaml",
    "toml": "toml",
    "tomli": "tomli",
    "tomli-w": "tomli_w",
    "sqlparse": "sqlparse",
    "DBUtils": "dbutils",
    "python-memcached": "memcache",
    "six": "six",
    "requests": "requests",
}


def pinned() -> dict[str, str]:
    out = {}
    for line in (ROOT / "sandbox-requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if match:
            out[match.group(1)] = match.group(2)
    return out


@pytest.fixture(scope="module")
def packages_pool():
    directory = parse_sandbox_packages(None)
    assert directory is not None, "scripts/setup.sh installs the sandbox's packages"
    return pool_for(SandboxConfig(slots=1, packages_dir=directory)), directory


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def test_the_directory_holds_the_pinned_set():
    directory = parse_sandbox_packages(None)
    found = {normal(name): version for name, version in packages.installed(directory)}
    assert {normal(n): v for n, v in pinned().items()}.items() <= found.items()


def test_every_package_imports_in_the_sandbox(packages_pool):
    pool, _directory = packages_pool
    code = (
        "import importlib, paho.mqtt.client as mqtt\n"
        f"MODULES = {sorted(set(MODULES.values()))!r}\n"
        "def main():\n"
        "    out = {}\n"
        "    for name in MODULES:\n"
        "        module = importlib.import_module(name)\n"
        "        out[name] = getattr(module, '__file__', '') or ''\n"
        "    client = mqtt.Client()  # DFF scripts call it without callback_api_version\n"
        "    import arrow\n"
        "    return [out, DFF.TOOLKIT.get_arrow(1700000000).isoformat(), arrow.__version__,\n"
        "            type(client).__name__]\n"
    )
    result = pool.run(job(code, script_id="pkgs__main", timeout=30))
    assert result["status"] == "success", result["error"]
    files, moment, arrow_version, client = result["return_value"]
    assert all(path.startswith("/funcpad-packages/") for path in files.values()), files
    assert moment == "2023-11-14T22:13:20+00:00"
    assert arrow_version == pinned()["arrow"] and client == "Client"


def test_attack_a_script_cannot_change_the_packages(packages_pool):
    pool, directory = packages_pool
    code = (
        "import os\n"
        "def main():\n"
        "    out = []\n"
        "    for path in ('/funcpad-packages/arrow/__init__.py', '/funcpad-packages/evil.py'):\n"
        "        try:\n"
        "            with open(path, 'a') as f:\n"
        "                f.write('raise SystemExit')\n"
        "            out.append('wrote')\n"
        "        except OSError as exc:\n"
        "            out.append(type(exc).__name__)\n"
        "    return out\n"
    )
    result = pool.run(job(code, script_id="pkgs__attack"))
    assert result["status"] == "success", result["error"]
    assert "wrote" not in result["return_value"]
    assert not (Path(directory) / "evil.py").exists()
    assert "raise SystemExit" not in (Path(directory) / "arrow" / "__init__.py").read_text()
