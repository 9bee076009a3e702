import pytest


def test_fresh_install_has_the_embedded_datakit_connector(auth_client):
    (connector,) = auth_client.get("/api/v1/connectors").json
    assert connector["id"] == "datakit" and connector["type"] == "datakit"
    assert connector["config"]["embedded"] is True
    assert connector["url"] == "http://127.0.0.1:9529"  # the receiver's own listener


def test_create_update_and_hide_the_token(auth_client):
    created = auth_client.post(
        "/api/v1/connectors",
        json={
            "id": "prod_dk",
            "type": "datakit",
            "title": "Prod",
            "config": {
                "host": "dk.internal",
                "port": 9529,
                "protocol": "http",
                "source": "fp",
                "timeout": 5,
                "token": "tkn_secret",
            },
        },
    )
    assert created.status_code == 201
    assert created.json["config"]["token"] == "*****"
    assert created.json["url"] == "http://dk.internal:9529"
    assert "tkn_secret" not in auth_client.get("/api/v1/connectors").get_data(as_text=True)
    # Sending the mask back keeps the stored token.
    updated = auth_client.put(
        "/api/v1/connectors/prod_dk",
        json={"config": {"url": "https://dk.example:9530", "token": "*****"}},
    )
    assert updated.status_code == 200 and updated.json["config"]["token"] == "*****"
    assert updated.json["url"] == "https://dk.example:9530"
    assert auth_client.delete("/api/v1/connectors/prod_dk").status_code == 204


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": "Bad-Id", "config": {"url": "http://a:1"}}, "id"),
        ({"id": "x", "type": "mongodb", "config": {"url": "http://a:1"}}, "type"),
        ({"id": "x", "type": "ftp", "config": {}}, "type"),
        ({"id": "x", "type": "mysql", "config": {"url": "http://a:1"}}, "config.user"),
        ({"id": "x", "type": "mysql", "config": {"user": "u", "port": "x"}}, "config.port"),
        ({"id": "x", "type": "redis", "config": {"useTLS": "maybe"}}, "config.useTLS"),
        ({"id": "x", "type": "postgresql", "config": {"user": "u", "host": "a b"}}, "config.host"),
        ({"id": "x", "config": {"url": "ftp://a"}}, "config.url"),
        ({"id": "x", "config": {"url": "http://a:99999"}}, "config.url"),
        ({"id": "x", "config": {"host": "a", "port": 0}}, "config.port"),
        ({"id": "x", "config": {"host": "a", "protocol": "udp"}}, "config.protocol"),
        ({"id": "x", "config": {"url": "http://a:1", "timeout": -1}}, "config.timeout"),
        ({"id": "x", "config": {}}, "config.host"),
        ({"id": "x", "config": "http://a"}, "config"),
    ],
)
def test_bad_configs_name_the_field(auth_client, payload, field):
    response = auth_client.post("/api/v1/connectors", json=payload)
    assert response.status_code == 400 and response.json["field"] == field


def test_duplicate_and_missing(auth_client):
    dup = auth_client.post(
        "/api/v1/connectors", json={"id": "datakit", "config": {"embedded": True}}
    )
    assert dup.status_code == 409
    assert auth_client.get("/api/v1/connectors/nope").status_code == 404


def test_connection_test_reports_a_readable_reason(auth_client):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    auth_client.post(
        "/api/v1/connectors",
        json={"id": "nowhere", "config": {"url": f"http://127.0.0.1:{free_port}", "timeout": 2}},
    )
    result = auth_client.post("/api/v1/connectors/nowhere/test").json
    assert result["ok"] is False and "refused" in result["detail"]
    assert result["latency_ms"] >= 0


def test_with_the_receiver_listener_off_the_connector_points_at_the_app(data_dir):
    from tests.conftest import app_config, log_in
    from webapp import create_app

    app = create_app(app_config(data_dir, FUNCPAD_RECEIVER_BIND="off"))
    client = app.test_client()
    log_in(client)
    (connector,) = client.get("/api/v1/connectors").json
    assert connector["url"] == "http://127.0.0.1:8088"
