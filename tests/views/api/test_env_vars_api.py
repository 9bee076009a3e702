import pytest


def test_typed_values_round_trip_and_passwords_stay_hidden(auth_client):
    cases = [
        ("s", "string", "text", "text"),
        ("i", "integer", "42", 42),
        ("f", "float", 2.5, 2.5),
        ("b", "boolean", "yes", True),
        ("j", "json", {"a": [1]}, {"a": [1]}),
    ]
    for name, type_, value, expected in cases:
        response = auth_client.post(
            "/api/v1/env-vars", json={"name": name, "type": type_, "value": value}
        )
        assert response.status_code == 201, response.json
        assert response.json["value"] == expected
    secret = auth_client.post(
        "/api/v1/env-vars", json={"name": "pw", "type": "password", "value": "hunter2"}
    )
    assert secret.json["value"] is None and secret.json["has_value"] is True
    listing = auth_client.get("/api/v1/env-vars")
    assert "hunter2" not in listing.get_data(as_text=True)
    # Updating other fields keeps the password when no new value is sent.
    kept = auth_client.put("/api/v1/env-vars/pw", json={"description": "db password"})
    assert kept.status_code == 200 and kept.json["has_value"] is True


def test_scripts_see_typed_values_and_mask_passwords(auth_client):
    auth_client.post("/api/v1/env-vars", json={"name": "limit", "type": "integer", "value": "7"})
    auth_client.post(
        "/api/v1/env-vars", json={"name": "pw", "type": "password", "value": "hunter2"}
    )
    code = "def main():\n    print('pw is', DFF.ENV('pw'))\n    return [DFF.ENV('limit') + 1, len(DFF.ENV('pw'))]\n"
    auth_client.post("/api/v1/scripts", json={"id": "envs", "title": "E", "code": code})
    body = auth_client.post("/api/v1/scripts/envs/run", json={"func": "main"}).json
    assert body["return_value"] == [8, 7]
    assert body["logs"][0]["message"] == "pw is *****"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "1x", "type": "string", "value": "v"}, "name"),
        ({"name": "x", "type": "date", "value": "v"}, "type"),
        ({"name": "x", "type": "integer", "value": "4.5"}, "value"),
        ({"name": "x", "type": "float", "value": "nan"}, "value"),
        ({"name": "x", "type": "boolean", "value": "maybe"}, "value"),
        ({"name": "x", "type": "json", "value": "{bad"}, "value"),
        ({"name": "x", "type": "string"}, "value"),
    ],
)
def test_invalid_values_are_400_naming_the_field(auth_client, payload, field):
    response = auth_client.post("/api/v1/env-vars", json=payload)
    assert response.status_code == 400 and response.json["field"] == field


def test_duplicate_update_delete(auth_client):
    auth_client.post("/api/v1/env-vars", json={"name": "x", "type": "string", "value": "1"})
    assert (
        auth_client.post(
            "/api/v1/env-vars", json={"name": "x", "type": "string", "value": "1"}
        ).status_code
        == 409
    )
    updated = auth_client.put("/api/v1/env-vars/x", json={"type": "integer", "value": "3"})
    assert updated.json["value"] == 3
    bad = auth_client.put("/api/v1/env-vars/x", json={"type": "integer", "value": "three"})
    assert bad.status_code == 400
    assert auth_client.delete("/api/v1/env-vars/x").status_code == 204
    assert auth_client.get("/api/v1/env-vars/x").status_code == 404
