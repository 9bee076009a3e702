def test_task_pages_filter_and_404(auth_client):
    auth_client.post(
        "/api/v1/scripts",
        json={"id": "tp", "title": "T", "code": "def f():\n    raise ValueError('x')\n"},
    )
    run = auth_client.post("/api/v1/scripts/tp/run", json={"func": "f"}).json
    listing = auth_client.get("/tasks?origin=debug&status=failure").get_data(as_text=True)
    assert run["task_id"] in listing and "tp.f" in listing
    assert run["task_id"] not in auth_client.get("/tasks?status=success").get_data(as_text=True)
    detail = auth_client.get(f"/tasks/{run['task_id']}").get_data(as_text=True)
    assert "ValueError: x" in detail
    assert auth_client.get("/tasks/nope").status_code == 404


def test_task_pages_filter_by_time(auth_client):
    auth_client.post(
        "/api/v1/scripts", json={"id": "tt", "title": "T", "code": "def f():\n    return 1\n"}
    )
    run = auth_client.post("/api/v1/scripts/tt/run", json={"func": "f"}).json
    day = run["created_at"][:10]
    assert run["task_id"] in auth_client.get(f"/tasks?from={day}T00:00").get_data(as_text=True)
    assert run["task_id"] not in auth_client.get(
        f"/tasks?to={day}T00:00&from=2000-01-01T00:00"
    ).get_data(as_text=True)
    assert auth_client.get("/tasks?from=garbage").status_code == 200  # ignored, not a 500
