"""The Packages API with real pip in its sandbox, the real package index pip is set up with, and
real runs importing what it installed."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import app_config, csrf_token_from, log_in
from tests.views.api.test_sql_redis_connectors import run, save_script
from webapp import create_app
from webapp.extensions import db
from webapp.models import PackageJob
from webapp.models.types import utcnow
from webapp.runner import installer
from webapp.runner.service import get_runner
from webapp.services import users as user_service


@pytest.fixture(scope="session")
def packages_folder() -> Iterator[Path]:
    """A Packages folder the jobs' uids can reach (pytest's own tmp is closed to them)."""
    base = Path(tempfile.mkdtemp(prefix="funcpad-packages-test-"))
    base.chmod(0o755)
    yield base / "packages"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def packages_app(data_dir, packages_folder) -> Iterator[Flask]:
    for entry in packages_folder.glob("*") if packages_folder.exists() else ():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    app = create_app(app_config(data_dir, FUNCPAD_USER_PACKAGES=str(packages_folder)))
    yield app
    with app.app_context():
        db.engine.dispose()
    assert app.extensions.get("funcpad.api_mismatches", []) == []


@pytest.fixture
def admin_client(packages_app):
    client = packages_app.test_client()
    assert log_in(client).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(
        client.get("/scripts").get_data(as_text=True)
    )
    return client


def wait_for(client, job_id: str, seconds: float = 300) -> dict:
    deadline, offset, output = time.monotonic() + seconds, 0, ""
    while True:
        job = client.get(f"/api/v1/packages/jobs/{job_id}?offset={offset}").json
        output += job["output"]
        offset = job["output_length"]
        if job["status"] != "running":
            return {**job, "output": output}
        assert time.monotonic() < deadline, output
        time.sleep(0.2)


IMPORTING = """
import os

def versions():
    import six
    import tabulate
    return {'tabulate': tabulate.__version__, 'tabulate_from': tabulate.__file__,
            'six': six.__version__, 'table': tabulate.tabulate([[1, 2]], tablefmt='plain')}

def tamper():
    import tabulate
    folder = os.path.dirname(os.path.dirname(tabulate.__file__))
    outcomes = []
    for attempt in (lambda: open(os.path.join(folder, 'planted.py'), 'w'),
                    lambda: open(tabulate.__file__, 'a'),
                    lambda: os.remove(tabulate.__file__)):
        try:
            attempt()
            outcomes.append('allowed')
        except OSError as e:
            outcomes.append(type(e).__name__)
    return outcomes

def gone():
    try:
        import tabulate
        return 'still there'
    except ModuleNotFoundError as e:
        return str(e)
"""


@pytest.mark.needs_package_index
def test_install_import_and_uninstall(packages_app, admin_client, packages_folder):
    started = admin_client.post(
        "/api/v1/packages/install", json={"packages": "tabulate\nsix==1.16.0  # older than ours"}
    )
    assert started.status_code == 202, started.json
    assert started.json["requested"] == ["tabulate", "six==1.16.0"]
    job = wait_for(admin_client, started.json["id"])
    assert job["status"] == "success", job["output"]
    assert "Successfully installed" in job["output"] and job["summary"].startswith("installed")
    listed = admin_client.get("/api/v1/packages").json
    versions = {p["name"]: p["version"] for p in listed["installed"]}
    assert versions["six"] == "1.16.0" and "tabulate" in versions
    assert listed["running_job"] is None and listed["recent_jobs"][0]["id"] == job["id"]
    if os.geteuid() == 0:  # pip ran as the installer's uid, not the app's nor a slot's
        owner = (packages_folder / "tabulate").stat().st_uid
        assert owner == installer.installer_uid(get_runner(packages_app).sandbox) == 64099

    save_script(admin_client, "uses_pkgs", IMPORTING)
    body = run(admin_client, "uses_pkgs", "versions")  # the next run, no restart
    assert body["status"] == "success", body["error"]
    value = body["return_value"]
    assert value["tabulate"] == versions["tabulate"] and value["table"] == "1  2"
    assert value["six"] == "1.17.0"  # the runtime's own package wins over the folder's
    assert value["tabulate_from"].startswith("/funcpad-user-packages/")
    tampered = run(admin_client, "uses_pkgs", "tamper")
    outcomes = tampered["return_value"]
    assert len(outcomes) == 3 and set(outcomes) <= {"OSError", "PermissionError"}, outcomes
    assert not (packages_folder / "planted.py").exists()

    removed = admin_client.post("/api/v1/packages/uninstall", json={"names": ["Tabulate"]})
    assert removed.status_code == 202, removed.json
    job = wait_for(admin_client, removed.json["id"])
    assert job["status"] == "success" and "removed tabulate" in job["output"], job
    assert not (packages_folder / "tabulate").exists()
    names = [p["name"] for p in admin_client.get("/api/v1/packages").json["installed"]]
    assert names == ["six"]
    assert run(admin_client, "uses_pkgs", "gone")["return_value"] == "No module named 'tabulate'"


@pytest.mark.needs_package_index
def test_a_script_sets_requirements_install_in_one_click(admin_client):
    assert admin_client.post("/api/v1/script-sets", json={"id": "needs"}).status_code == 201
    bad = admin_client.patch("/api/v1/script-sets/needs", json={"requirements": "-r /etc/x"})
    assert bad.status_code == 400 and bad.json["field"] == "requirements"
    empty = admin_client.post("/api/v1/script-sets/needs/install-requirements")
    assert empty.status_code == 400 and empty.json["field"] == "requirements"
    changed = admin_client.patch(
        "/api/v1/script-sets/needs", json={"requirements": "# from DataFlux Func\ntabulate\n"}
    )
    assert changed.status_code == 200 and "tabulate" in changed.json["requirements"]
    started = admin_client.post("/api/v1/script-sets/needs/install-requirements")
    assert started.status_code == 202 and started.json["requested"] == ["tabulate"]
    job = wait_for(admin_client, started.json["id"])
    assert job["status"] == "success", job["output"]
    save_script(admin_client, "needs__main", "def f():\n    import tabulate\n    return 'ok'\n")
    assert run(admin_client, "needs__main", "f")["return_value"] == "ok"


def test_bad_package_requests_are_400s_naming_the_field(packages_app, admin_client):
    for payload, field in (
        ({"packages": "--index-url http://127.0.0.1:1/simple six"}, "packages"),
        ({"packages": "six @ file:///etc/passwd"}, "packages"),
        ({"packages": ["six"]}, "packages"),
        ({"packages": ""}, "packages"),
        ({"packages": 5}, "packages"),
    ):
        response = admin_client.post("/api/v1/packages/install", json=payload)
        assert response.status_code == 400 and response.json["field"] == field, payload
    response = admin_client.post("/api/v1/packages/uninstall", json={"names": ["nothere"]})
    assert response.status_code == 400 and response.json["field"] == "names"
    assert admin_client.get(f"/api/v1/packages/jobs/{'0' * 32}").status_code == 404
    assert admin_client.post("/api/v1/script-sets/nope/install-requirements").status_code == 404
    with packages_app.app_context():  # one job at a time: pip shares the folder
        db.session.add(
            PackageJob(id="a" * 32, action="install", requested="six", started_at=utcnow())
        )
        db.session.commit()
    busy = admin_client.post("/api/v1/packages/install", json={"packages": "six"})
    assert busy.status_code == 409 and busy.json["job_id"] == "a" * 32


def test_only_admins_install_or_remove(packages_app):
    with packages_app.app_context():
        user_service.create_user(db.session, "dev", "dev-password-1", is_admin=False)
        db.session.commit()
    client = packages_app.test_client()
    assert log_in(client, "dev", "dev-password-1").status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(
        client.get("/scripts").get_data(as_text=True)
    )
    assert client.get("/api/v1/packages").status_code == 200  # anyone may see what is there
    denied = client.post("/api/v1/packages/install", json={"packages": "six"})
    assert denied.status_code == 403 and "administrators" in denied.json["message"]
    assert client.post("/api/v1/packages/uninstall", json={"names": ["six"]}).status_code == 403


def test_the_page_warns_when_the_jobs_cannot_reach_the_folder(packages_app, admin_client, data_dir):
    assert 'id="pkg-unreachable"' not in admin_client.get("/packages").get_data(as_text=True)
    # The default folder inside this test's data directory: pytest's tmp is closed to others.
    closed = create_app(app_config(data_dir, FUNCPAD_USER_PACKAGES=""))
    client = closed.test_client()
    assert log_in(client).status_code == 302
    page = client.get("/packages").get_data(as_text=True)
    if os.geteuid() == 0:  # only other uids are kept out; the app's own user passes
        assert 'id="pkg-unreachable"' in page and "closed to the jobs" in page
    else:
        assert 'id="pkg-unreachable"' not in page
    with closed.app_context():
        db.engine.dispose()
