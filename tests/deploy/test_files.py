"""The Docker files, checked without a Docker engine: hadolint on the Dockerfile, and the
compose file's topology (the processes test_topology.py starts by hand)."""

import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT

HADOLINT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hadolint"


def test_the_dockerfile_passes_hadolint():
    lint = subprocess.run(
        [str(HADOLINT), "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_dockerfile_builds_in_stages_and_runs_as_a_user():
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages[0].startswith("FROM node:20") and len(stages) >= 3
    assert "bubblewrap" in text and "passt" in text and "python3-seccomp" in text
    assert "USER 10001" in text and 'VOLUME ["/data"]' in text and "/healthz" in text
    assert "--target /opt/funcpad/sandbox-packages -r sandbox-requirements.txt" in text


def test_compose_runs_web_two_workers_a_scheduler_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "scheduler", "postgres", "redis"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["worker"]["command"] == ["funcpad", "worker"]
    assert services["scheduler"]["command"] == ["funcpad", "scheduler"]
    for name in ("web", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["FUNCPAD_EXECUTOR"] == "celery"
        assert env["FUNCPAD_DATABASE_URL"].startswith("postgresql://funcpad:${POSTGRES_PASSWORD")
        assert env["FUNCPAD_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
        # One data volume everywhere: the secret keys that seal broker messages, the packages.
        assert services[name]["volumes"] == ["funcpad-data:/data"]
    assert services["web"]["environment"]["FUNCPAD_SCHEDULER"] == "off"
    assert "--requirepass" in services["redis"]["command"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    example = (ROOT / ".env.example").read_text()
    assert "POSTGRES_PASSWORD=" in example and "REDIS_PASSWORD=" in example
