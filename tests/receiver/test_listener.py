"""The receiver's own port (as a real agent's 9529): only DataKit paths answer there, so a
script that may reach it cannot use it as a way into the app's API."""

import pytest
import requests

from tests.conftest import LIVE_ADMIN, csrf_token_from, free_port, running_server


@pytest.fixture(scope="module")
def two_ports(tmp_path_factory):
    receiver_port = free_port()
    data_dir = tmp_path_factory.mktemp("listener")
    with running_server(data_dir, FUNCPAD_RECEIVER_BIND=f"127.0.0.1:{receiver_port}") as base:
        yield base, f"http://127.0.0.1:{receiver_port}"


def test_the_datakit_paths_answer_on_the_receiver_port(two_ports):
    _, receiver = two_ports
    assert requests.get(f"{receiver}/v1/ping", timeout=5).json()["content"]["version"]
    written = requests.post(f"{receiver}/v1/write/metric", data="cpu v=1 1700000000", timeout=5)
    assert written.status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/scripts", "/login", "/healthz", "/", "/admin/sandbox", "/v1/query/raw"]
)
def test_nothing_else_answers_there(two_ports, path):
    _, receiver = two_ports
    response = requests.get(f"{receiver}{path}", timeout=5, allow_redirects=False)
    assert response.status_code == 404
    assert response.json()["error_code"] == "datakit.notFound"


def test_a_host_header_naming_the_app_port_changes_nothing(two_ports):
    base, receiver = two_ports
    app_host = base.removeprefix("http://")
    session = requests.Session()
    response = session.post(
        f"{receiver}/login",
        data={"username": LIVE_ADMIN[0], "password": LIVE_ADMIN[1]},
        headers={"Host": app_host},
        timeout=5,
        allow_redirects=False,
    )
    assert response.status_code == 404
    assert "funcpad_session" not in response.cookies


def test_the_app_port_still_serves_everything(two_ports):
    base, _ = two_ports
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{base}/v1/ping", timeout=5).status_code == 200


def logged_in(base: str) -> requests.Session:
    session = requests.Session()
    token = csrf_token_from(session.get(f"{base}/login", timeout=5).text)
    session.post(
        f"{base}/login",
        data={"username": LIVE_ADMIN[0], "password": LIVE_ADMIN[1], "csrf_token": token},
        timeout=5,
    )
    session.headers["X-CSRFToken"] = csrf_token_from(session.get(f"{base}/scripts").text)
    return session


def test_the_default_connector_points_at_the_receiver_port(two_ports):
    base, receiver = two_ports
    connectors = logged_in(base).get(f"{base}/api/v1/connectors", timeout=5).json()
    assert {c["id"]: c["url"] for c in connectors}["datakit"] == receiver


REACH_FROM_A_RUN = """
import socket

def main(app_port):
    status, _ = DFF.SRC('datakit').write_metric(
        measurement='reach', tags={'from': 'sandbox'}, fields={'v': 1})
    try:
        socket.create_connection(('127.0.0.1', app_port), timeout=2).close()
        app = 'reached'
    except OSError as exc:
        app = type(exc).__name__
    return {'datakit': status, 'app': app}
"""


def test_a_run_writes_to_the_receiver_and_cannot_reach_the_app(two_ports):
    base, _ = two_ports
    session = logged_in(base)
    created = session.post(
        f"{base}/api/v1/scripts",
        json={"id": "reach", "title": "Reach", "code": REACH_FROM_A_RUN},
        timeout=5,
    )
    assert created.status_code == 201, created.text
    app_port = int(base.rsplit(":", 1)[1])
    run = session.post(
        f"{base}/api/v1/scripts/reach/run",
        json={"func": "main", "kwargs": {"app_port": app_port}},
        timeout=60,
    ).json()
    assert run["status"] == "success", run
    assert run["return_value"] == {"datakit": 200, "app": "ConnectionRefusedError"}
