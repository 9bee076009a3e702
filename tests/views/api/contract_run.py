"""Schemathesis against a live gunicorn, inside a network namespace that has only loopback.

Run by ``test_contract.py`` as ``unshare --net -- python -m tests.views.api.contract_run DIR``:
generated connector URLs and scripts can then reach nothing but 127.0.0.1, whatever
schemathesis makes up. Seeds a script with a published function, a cron job and a variable
(the document's examples name them), then runs schemathesis with a fixed seed and a bounded
number of examples per operation; exits with schemathesis' status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import ROOT, running_server

EXAMPLES_PER_OPERATION = 30
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
DEMO_CODE = """
@DFF.API("Hello")
def hello(name: str = "world", times: int = 1):
    print("hello", name)
    return {"greeting": "hello " + name, "times": times}
"""


def _token(data_dir: Path) -> str:
    env = {**os.environ, "FUNCPAD_DATA_DIR": str(data_dir), "FUNCPAD_SCHEDULER": "off"}
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "create-token", "contract"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().split()[-1]


def _seed(base: str, headers: dict[str, str]) -> None:
    def call(method: str, path: str, **body) -> None:
        response = requests.request(method, f"{base}/api/v1{path}", json=body, headers=headers)
        assert response.status_code < 300, (path, response.status_code, response.text)

    call("POST", "/scripts", id="demo", title="Demo", code=DEMO_CODE)
    call("POST", "/scripts/demo/publish", note="first")
    call("POST", "/crontab-configs", id="cron-demo", func_id="demo.hello", crontab="0 * * * *")
    call("POST", "/env-vars", name="API_URL", value="http://127.0.0.1:9529/v1/ping")
    call("POST", "/funcs/demo.hello/call", kwargs={"name": "seed"})


def main(workdir: Path) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    data_dir = workdir / "data"
    data_dir.mkdir(exist_ok=True)
    with running_server(
        data_dir, FUNCPAD_SANDBOX_NETWORK="none", FUNCPAD_API_CHECK_RESPONSES="on"
    ) as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        _seed(base, headers)
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--no-color",
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{base}/api/v1/openapi.json",
            "--header",
            f"Authorization: {headers['Authorization']}",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "20261202",
            "--generation-database",
            "none",
            "--request-timeout",
            "60",
            "--report",
            "junit",
            "--report-dir",
            str(workdir / "report"),
        ]
        code = subprocess.run(command, cwd=workdir).returncode
        mismatches = [
            line
            for log in data_dir.glob("gunicorn-*.log")
            for line in log.read_text().splitlines()
            if "does not match the OpenAPI document" in line or "unhandled error" in line
        ]
        for line in mismatches:
            print("server:", line)
        return code or (1 if mismatches else 0)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
