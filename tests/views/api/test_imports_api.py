"""Imports through the API: an editor run and a publish both get the published code of the
scripts they import; the imported script's draft is not used."""


def test_run_and_publish_a_script_that_imports_another(auth_client):
    def post(path, **body):
        response = auth_client.post(path, json=body)
        assert response.status_code in (200, 201), response.json
        return response.json

    post(
        "/api/v1/scripts", id="kit__utils", title="Utils", code="def twice(x):\n    return 2 * x\n"
    )
    post("/api/v1/scripts/kit__utils/publish")
    draft = auth_client.get("/api/v1/scripts/kit__utils").json["draft_md5"]
    changed = auth_client.put(
        "/api/v1/scripts/kit__utils/draft",
        json={"code": "def twice(x):\n    return 'draft'\n", "base_md5": draft},
    )
    assert changed.status_code == 200
    code = (
        "from kit__utils import twice\nimport __utils\n\n"
        "@DFF.API('Use')\ndef use(n=3):\n    return [twice(n), __utils.twice(1)]\n"
    )
    post("/api/v1/scripts", id="kit__main", title="Main", code=code)
    run = post("/api/v1/scripts/kit__main/run", func="use", kwargs={"n": 4})
    assert run["status"] == "success", run["error"]
    assert run["return_value"] == [8, 2]  # the published twice, not the draft's
    published = post("/api/v1/scripts/kit__main/publish")
    assert [f["name"] for f in published["funcs"]] == ["use"]
    called = post("/api/v1/funcs/kit__main.use/call", kwargs={"n": 5})
    assert called["return_value"] == [10, 2]


def test_importing_an_unpublished_script_says_so(auth_client):
    auth_client.post("/api/v1/scripts", json={"id": "kit__wip", "title": "Wip", "code": "X = 1\n"})
    code = "import kit__wip\ndef main():\n    return kit__wip.X\n"
    auth_client.post("/api/v1/scripts", json={"id": "kit__user", "title": "User", "code": code})
    run = auth_client.post("/api/v1/scripts/kit__user/run", json={"func": "main"}).json
    assert run["status"] == "failure"
    assert run["error"]["type"] == "ModuleNotFoundError" and "kit__wip" in run["error"]["message"]
