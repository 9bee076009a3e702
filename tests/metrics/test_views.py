"""/metrics: who may read it, what it says after real runs and writes; the System page."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from tests.conftest import app_config
from webapp import create_app
from webapp.extensions import db
from webapp.metrics.counters import Counters
from webapp.models import PlatformCounter, TaskRecord, User, WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.services import users as user_service


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def scrape(client, token: str) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    return samples(answer.get_data(as_text=True))


def test_metrics_need_a_token_and_a_browser_is_sent_to_the_explorer(app, client, api_token):
    answer = client.get("/metrics")
    assert answer.status_code == 401 and "Bearer" in answer.headers["WWW-Authenticate"]
    browser = client.get(
        "/metrics?measurement=cpu&field=usage", headers={"Accept": "text/html,*/*;q=0.8"}
    )
    assert browser.status_code == 301
    assert browser.headers["Location"] == "/explore/metrics?measurement=cpu&field=usage"
    assert client.get("/metrics", headers={"Authorization": "Bearer fp_wrong"}).status_code == 401
    assert scrape(client, api_token)  # an admin's API token


def test_a_non_admins_token_is_refused_and_the_metrics_token_is_accepted(data_dir):
    app = create_app(app_config(data_dir, FUNCPAD_METRICS_TOKEN="scrape-me-please"))
    with app.app_context():
        user = user_service.create_user(db.session, "bob", "bob-password-1")
        _token, plaintext = user_service.create_token(db.session, user, "bob's")
        db.session.commit()
    client = app.test_client()
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {plaintext}"})
    assert refused.status_code == 401
    assert scrape(client, "scrape-me-please")
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 401


def test_runs_are_counted_by_origin_status_and_duration(app, auth_client, api_token):
    code = "def ok():\n    return 1\n\ndef bad():\n    raise ValueError('no')\n"
    assert auth_client.post("/api/v1/scripts", json={"id": "m", "title": "M", "code": code})
    for func in ("ok", "ok", "bad"):
        auth_client.post("/api/v1/scripts/m/run", json={"func": func})
    found = scrape(auth_client, api_token)
    assert found[("funcpad_runs_total", (("origin", "debug"), ("status", "success")))] == 2
    assert found[("funcpad_runs_total", (("origin", "debug"), ("status", "failure")))] == 1
    assert found[("funcpad_run_duration_seconds_count", ())] == 3
    assert found[("funcpad_run_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert found[("funcpad_run_duration_seconds_bucket", (("le", "0.005"),))] <= 3
    assert found[("funcpad_workers", (("kind", "inprocess"),))] == 1


def test_queue_depth_workers_and_receiver_counts(app, client, auth_client, api_token):
    with app.app_context():
        for n, queue in enumerate((1, 1, 7)):
            db.session.add(
                TaskRecord(
                    id=f"q{n}", origin="api", func_id="x.y", script_id="x", kwargs={},
                    status="queued", created_at=utcnow(), logs=[], queue=queue,
                )
            )  # fmt: skip
        db.session.add(
            WorkerHeartbeat(
                id="otherhost:1:2:3", hostname="otherhost", queues=[1], slots=4, busy=3,
                started_at=utcnow(), seen_at=utcnow(),
            )
        )  # fmt: skip
        db.session.commit()
    assert client.post("/v1/write/metric", data=b"cpu usage=1\ncpu usage=2 2\n").status_code == 200
    assert client.post("/v1/write/metric", data=b"not line protocol").status_code == 400
    bomb = gzip.compress(b"x")
    assert client.post(
        "/v1/write/metric", data=bomb[:5], headers={"Content-Encoding": "gzip"}
    ).status_code in (400, 413)
    found = scrape(auth_client, api_token)
    assert found[("funcpad_queue_depth", (("queue", "1"),))] == 2
    assert found[("funcpad_queue_depth", (("queue", "7"),))] == 1
    assert found[("funcpad_workers", (("kind", "celery"),))] == 1
    assert found[("funcpad_runner_slots", (("state", "busy"),))] >= 3
    assert found[("funcpad_receiver_points_total", (("category", "metric"),))] == 2
    refused = {k: v for k, v in found.items() if k[0] == "funcpad_receiver_refused_writes_total"}
    assert sum(refused.values()) == 2


def test_processes_add_to_the_same_counters(tmp_path: Path, app):
    """Four "processes" (each its own Counters and engine) counting at once: nothing lost."""
    with app.app_context():
        url = db.engine.url
    engines = [create_engine(url) for _ in range(4)]

    def count(engine) -> None:
        counters = Counters(engine)
        for _ in range(50):
            counters.add("funcpad_runs_total", origin="api", status="success")
            counters.flush()

    threads = [threading.Thread(target=count, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        row = db.session.get(PlatformCounter, ("funcpad_runs_total", "origin=api,status=success"))
        assert row.value == 200


def test_the_system_page_is_for_admins(app, client, auth_client):
    page = auth_client.get("/admin/system")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="system-figures"' in html and 'id="chart-runs"' in html
    with app.app_context():
        user_service.create_user(db.session, "carol", "carol-password-1")
        db.session.commit()
        assert db.session.query(User).count() == 2
    other = app.test_client()
    from tests.conftest import log_in

    log_in(other, "carol", "carol-password-1")
    assert other.get("/admin/system").status_code == 403
