"""Cron job API: validation against the published function, preview, Run now, bulk, pause."""

import pytest

CODE = (
    "@DFF.API('Collect')\n"
    "def collect(host, port=9529):\n"
    "    print('collect', host, port)\n"
    "    return host\n"
    "\n"
    "@DFF.API('Open', fixed_crontab='*/10 * * * *')\n"
    "def open_kwargs(**extra):\n"
    "    return extra\n"
)


@pytest.fixture
def published(auth_client):
    auth_client.post("/api/v1/scripts", json={"id": "jobs", "title": "Jobs", "code": CODE})
    assert auth_client.post("/api/v1/scripts/jobs/publish", json={}).status_code == 201


def create(client, **payload):
    body = {
        "func_id": "jobs.collect",
        "kwargs": {"host": "db1"},
        "crontab": "*/5 * * * *",
        **payload,
    }
    return client.post("/api/v1/crontab-configs", json=body)


def test_preview(auth_client):
    body = auth_client.post(
        "/api/v1/crontab/preview", json={"crontab": "0 9 * * 1-5", "timezone": "Asia/Shanghai"}
    ).json
    assert body["description"].startswith("At 09:00")
    assert len(body["next_runs"]) == 5
    assert all(t.endswith("T01:00:00+00:00") for t in body["next_runs"])
    bad = auth_client.post("/api/v1/crontab/preview", json={"crontab": "0 25 * * *"})
    assert bad.status_code == 400 and bad.json["field"] == "crontab.hour"
    assert "0-23" in bad.json["message"]
    tz = auth_client.post(
        "/api/v1/crontab/preview", json={"crontab": "* * * * *", "timezone": "Nowhere/X"}
    )
    assert tz.status_code == 400 and tz.json["field"] == "timezone"


def test_create_list_get_update_delete(auth_client, published):
    created = create(auth_client, id="collect-db1", tags=["db"], note="every five minutes")
    assert created.status_code == 201, created.json
    job = created.json
    assert job["timezone"] == "UTC" and job["enabled"] is True and job["keep_records"] == 500
    assert job["next_run_at"].endswith(":00+00:00") and job["last_run"] is None
    assert job["crontab_description"] == "Every 5 minutes"
    assert [j["id"] for j in auth_client.get("/api/v1/crontab-configs").json] == ["collect-db1"]
    assert auth_client.get("/api/v1/crontab-configs?q=five").json[0]["id"] == "collect-db1"
    assert auth_client.get("/api/v1/crontab-configs?tag=nope").json == []

    disabled = auth_client.patch("/api/v1/crontab-configs/collect-db1", json={"enabled": False})
    assert disabled.json["enabled"] is False and disabled.json["next_run_at"] is None
    enabled = auth_client.patch(
        "/api/v1/crontab-configs/collect-db1",
        json={"enabled": True, "crontab": "0 * * * *", "timezone": "Asia/Shanghai"},
    )
    assert enabled.json["next_run_at"].endswith(":00:00+00:00")
    assert auth_client.delete("/api/v1/crontab-configs/collect-db1").status_code == 204
    assert auth_client.get("/api/v1/crontab-configs/collect-db1").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"func_id": "jobs.nope"}, None),
        ({"kwargs": {"hots": "x"}}, "kwargs"),
        ({"kwargs": {}}, "kwargs"),
        ({"crontab": "*/0 * * * *"}, "crontab.minute"),
        ({"crontab": "1 2 3"}, "crontab.expression"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"tags": "x" * 50}, "tags"),
        ({"keep_records": 0}, "keep_records"),
        ({"enabled": "yes"}, "enabled"),
        ({"id": "a b"}, "id"),
    ],
)
def test_bad_input_names_the_field(auth_client, published, payload, field):
    response = create(auth_client, **payload)
    assert response.status_code in (400, 404)
    if field:
        assert response.json["field"] == field


def test_unknown_kwargs_are_fine_with_var_kwargs_and_fixed_crontab_wins(auth_client, published):
    job = auth_client.post(
        "/api/v1/crontab-configs",
        json={"func_id": "jobs.open_kwargs", "kwargs": {"anything": 1}, "crontab": "* * * * *"},
    ).json
    assert job["crontab"] == "*/10 * * * *"


def test_run_now_creates_a_manual_record(auth_client, published):
    job = create(auth_client, id="manual-one").json
    body = auth_client.post(f"/api/v1/crontab-configs/{job['id']}/run").json
    assert body["status"] == "success" and body["return_value"] == "db1"
    assert body["origin"] == "manual" and body["crontab_config_id"] == "manual-one"
    listed = auth_client.get("/api/v1/crontab-configs/manual-one").json
    assert listed["last_run"]["task_id"] == body["task_id"]
    records = auth_client.get("/api/v1/task-records?crontab_config_id=manual-one").json
    assert [r["origin"] for r in records] == ["manual"]


def test_bulk_and_pause(auth_client, published):
    ids = [create(auth_client, id=f"bulk-{n}").json["id"] for n in range(3)]
    response = auth_client.post(
        "/api/v1/crontab-configs/bulk", json={"ids": ids[:2], "enabled": False}
    )
    assert response.json["changed"] == ids[:2]
    states = {j["id"]: j["enabled"] for j in auth_client.get("/api/v1/crontab-configs").json}
    assert states == {"bulk-0": False, "bulk-1": False, "bulk-2": True}
    assert (
        auth_client.post(
            "/api/v1/crontab-configs/bulk", json={"ids": "x", "enabled": True}
        ).status_code
        == 400
    )

    paused = auth_client.put("/api/v1/crontab/pause", json={"minutes": 15}).json
    assert paused["paused"] is True and paused["until"]
    assert auth_client.get("/api/v1/crontab/pause").json["paused"] is True
    assert auth_client.put("/api/v1/crontab/pause", json={"minutes": 0}).json["paused"] is False
    assert auth_client.put("/api/v1/crontab/pause", json={"minutes": -1}).status_code == 400
