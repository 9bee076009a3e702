"""Script sets over the API: made with their first script or on purpose, listed with counts,
renamed, deleted with their scripts; DFF's id rules."""


def test_a_script_lands_in_the_set_its_id_names(auth_client):
    made = auth_client.post("/api/v1/scripts", json={"id": "ops__disk", "title": "Disk"})
    assert made.status_code == 201 and made.json["set_id"] == "ops"
    legacy = auth_client.post("/api/v1/scripts", json={"id": "plain", "title": "Plain"})
    assert legacy.json["set_id"] == "default"
    sets = {s["id"]: s for s in auth_client.get("/api/v1/script-sets").json}
    assert sets["ops"]["scripts"] == 1 and sets["ops"]["title"] == "ops"
    assert sets["default"]["scripts"] == 1


def test_create_rename_and_delete_a_set_with_its_scripts(auth_client):
    created = auth_client.post("/api/v1/script-sets", json={"id": "tools", "title": "Tools"})
    assert created.status_code == 201 and created.json["scripts"] == 0
    duplicate = auth_client.post("/api/v1/script-sets", json={"id": "tools"})
    assert duplicate.status_code == 409 and duplicate.json["field"] == "id"
    for name in ("a", "b"):
        assert (
            auth_client.post(
                "/api/v1/scripts", json={"id": f"tools__{name}", "title": name, "code": "X = 1\n"}
            ).status_code
            == 201
        )
    assert auth_client.post("/api/v1/scripts/tools__a/publish", json={}).status_code == 201
    renamed = auth_client.patch("/api/v1/script-sets/tools", json={"title": "Ops tools"})
    assert renamed.json["title"] == "Ops tools"
    assert auth_client.delete("/api/v1/script-sets/tools").status_code == 204
    assert auth_client.get("/api/v1/scripts/tools__a").status_code == 404
    assert auth_client.get("/api/v1/scripts/tools__a/revisions").status_code == 404
    assert auth_client.get("/api/v1/script-sets/tools").status_code in (404, 405)
    assert "tools" not in {s["id"] for s in auth_client.get("/api/v1/script-sets").json}


def test_set_and_script_ids_follow_dff(auth_client):
    for bad in ("a__b", "__x", "1set", "with-dash", "x" * 61):
        response = auth_client.post("/api/v1/script-sets", json={"id": bad})
        assert response.status_code == 400 and response.json["field"] == "id", bad
    for bad in ("__utils", "set__1x", "a-b__c"):
        response = auth_client.post("/api/v1/scripts", json={"id": bad, "title": "t"})
        assert response.status_code == 400 and response.json["field"] == "id", bad
    upper = auth_client.post("/api/v1/scripts", json={"id": "Demo__Hello", "title": "t"})
    assert upper.status_code == 201 and upper.json["set_id"] == "Demo"
