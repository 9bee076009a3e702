from tests.conftest import csrf_token_from, log_in


def form_token(client, url="/env-vars"):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_env_var_page_create_edit_delete(auth_client):
    token = form_token(auth_client)
    created = auth_client.post(
        "/env-vars",
        data={"csrf_token": token, "name": "db_pw", "type": "password", "value": "hunter2"},
    )
    assert created.status_code == 302
    page = auth_client.get("/env-vars").get_data(as_text=True)
    assert "db_pw" in page and "hunter2" not in page
    edit_page = auth_client.get("/env-vars?edit=db_pw").get_data(as_text=True)
    assert "hunter2" not in edit_page
    # Saving with an empty password box keeps the password.
    kept = auth_client.post(
        "/env-vars/db_pw",
        data={"csrf_token": token, "type": "password", "value": "", "description": "main db"},
    )
    assert kept.status_code == 302
    assert auth_client.get("/api/v1/env-vars/db_pw").json["has_value"] is True
    bad = auth_client.post(
        "/env-vars", data={"csrf_token": token, "name": "n", "type": "integer", "value": "ten"}
    )
    assert bad.status_code == 400 and "must be a whole number" in bad.get_data(as_text=True)
    deleted = auth_client.post("/env-vars/db_pw/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert auth_client.get("/api/v1/env-vars/db_pw").status_code == 404


def test_sandbox_page_is_for_admins(auth_client, app):
    page = auth_client.get("/admin/sandbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "bubblewrap" in html and "seccomp" in html
    # The network policy and what it opens: the default connector's endpoint, the receiver's
    # own listener (not the app's port).
    assert 'id="network-policy">internet<' in html
    assert "<code>127.0.0.1:9529</code>" in html
    assert "Private /tmp" in html
    # DataFlux Func's package set, with the pinned versions.
    assert 'id="packages"' in html
    assert '<code translate="no">arrow</code></td><td class="data" translate="no">1.4.0<' in html
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "viewer", "--password", "viewer-password"])
    other = app.test_client()
    log_in(other, "viewer", "viewer-password")
    assert other.get("/admin/sandbox").status_code == 403


def test_the_host_network_policy_is_a_warning_on_the_page_and_in_healthz(data_dir):
    from tests.conftest import app_config
    from webapp import create_app

    app = create_app(app_config(data_dir, FUNCPAD_SANDBOX_NETWORK="host"))
    client = app.test_client()
    sandbox = client.get("/healthz").json["sandbox"]
    assert sandbox["network"] == "host"
    assert any(w.startswith("network: scripts share the host") for w in sandbox["warnings"])
    log_in(client)
    html = client.get("/admin/sandbox").get_data(as_text=True)
    assert 'id="network-policy">host<' in html
    assert "network: scripts share the host" in html  # drawn as an alert
