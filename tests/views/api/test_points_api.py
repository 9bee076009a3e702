"""Metrics and logs read API over points written through the receiver."""

import time


def write(client, category, body):
    response = client.post(f"/v1/write/{category}", data=body)
    assert response.status_code == 200, response.json


def test_measurements_query_and_tag_filters(auth_client):
    now = int(time.time())
    lines = "\n".join(
        f"disk,mount={m} used={i * 10 + (1 if m == '/' else 2)},free={100 - i}i {now - 600 + i * 60}"
        for i in range(10)
        for m in ("/", "/data")
    )
    write(auth_client, "metric", lines)
    measurements = auth_client.get("/api/v1/metrics/measurements").json
    assert measurements[0]["measurement"] == "disk"
    assert measurements[0]["fields"] == ["free", "used"]
    assert measurements[0]["tag_keys"] == ["host", "mount"]
    assert measurements[0]["last_time"].endswith("+00:00")

    result = auth_client.get("/api/v1/metrics/query?measurement=disk&field=used&from=-1h").json
    assert len(result["series"]) == 2
    by_mount = {s["tags"]["mount"]: s for s in result["series"]}
    assert [p[1] for p in by_mount["/"]["points"]] == [i * 10 + 1 for i in range(10)]
    assert by_mount["/"]["points"][0][0].endswith("+00:00")

    filtered = auth_client.get(
        "/api/v1/metrics/query?measurement=disk&field=used&field=free&from=-1h&tag.mount=/data"
    ).json["series"]
    assert {(s["field"], s["tags"]["mount"]) for s in filtered} == {
        ("used", "/data"),
        ("free", "/data"),
    }

    bucketed = auth_client.get(
        "/api/v1/metrics/query?measurement=disk&field=used&from=-1h&tag.mount=/&max_points=10"
    ).json["series"][0]["points"]
    assert len(bucketed) <= 10

    assert auth_client.get("/api/v1/metrics/tags?measurement=disk").json["mount"] == ["/", "/data"]


def test_metric_query_bad_input(auth_client):
    assert auth_client.get("/api/v1/metrics/query?field=x").json["field"] == "measurement"
    assert auth_client.get("/api/v1/metrics/query?measurement=m").json["field"] == "field"
    bad_time = auth_client.get("/api/v1/metrics/query?measurement=m&field=v&from=yesterday")
    assert bad_time.status_code == 400 and bad_time.json["field"] == "from"
    reversed_range = auth_client.get("/api/v1/metrics/query?measurement=m&field=v&from=-1h&to=-2h")
    assert reversed_range.status_code == 400


def test_logs_newest_first_with_filters_and_paging(auth_client):
    now = int(time.time())
    lines = "\n".join(
        f'app,env=prod message="line {i}",status="{("error" if i % 3 == 0 else "info")}" {now - 100 + i}'
        for i in range(30)
    )
    write(auth_client, "logging", lines)
    page = auth_client.get("/api/v1/logs?limit=10").json
    assert [row["message"] for row in page["logs"]] == [f"line {i}" for i in range(29, 19, -1)]
    assert page["logs"][0]["source"] == "app" and page["logs"][0]["tags"]["env"] == "prod"
    following = auth_client.get(f"/api/v1/logs?limit=10&before_id={page['next_before_id']}").json
    assert following["logs"][0]["message"] == "line 19"
    errors = auth_client.get("/api/v1/logs?status=error&limit=100").json["logs"]
    assert len(errors) == 10 and {r["status"] for r in errors} == {"error"}
    found = auth_client.get("/api/v1/logs?q=LINE 7").json["logs"]
    assert [r["message"] for r in found] == ["line 7"]
    assert auth_client.get("/api/v1/logs?source=other").json["logs"] == []
    assert auth_client.get("/api/v1/logs?limit=0").status_code == 400


def test_read_api_needs_login(client):
    assert client.get("/api/v1/logs").status_code == 401
    assert client.get("/api/v1/metrics/measurements").status_code == 401
