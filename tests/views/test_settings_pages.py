import re

from tests.conftest import csrf_token_from, log_in


def test_create_use_and_revoke_a_token(auth_client):
    page = auth_client.get("/settings/tokens")
    token = csrf_token_from(page.get_data(as_text=True))
    created = auth_client.post("/settings/tokens", data={"name": "ci", "csrf_token": token})
    html = created.get_data(as_text=True)
    plaintext = re.search(r'id="new-token">(fp_[^<]+)<', html).group(1)

    # Shown once only.
    assert plaintext not in auth_client.get("/settings/tokens").get_data(as_text=True)

    anonymous = auth_client.application.test_client()
    ok = anonymous.get("/api/v1/scripts", headers={"Authorization": f"Bearer {plaintext}"})
    assert ok.status_code == 200

    token_id = re.search(r"/settings/tokens/(\d+)/revoke", html).group(1)
    revoked = auth_client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    denied = anonymous.get("/api/v1/scripts", headers={"Authorization": f"Bearer {plaintext}"})
    assert denied.status_code == 401


def test_token_without_name_is_refused(auth_client):
    token = csrf_token_from(auth_client.get("/settings/tokens").get_data(as_text=True))
    response = auth_client.post(
        "/settings/tokens", data={"name": " ", "csrf_token": token}, follow_redirects=True
    )
    assert "Give the token a name" in response.get_data(as_text=True)


def test_revoking_an_unknown_token_is_404(auth_client):
    token = csrf_token_from(auth_client.get("/settings/tokens").get_data(as_text=True))
    assert (
        auth_client.post("/settings/tokens/999/revoke", data={"csrf_token": token}).status_code
        == 404
    )


def test_change_password(auth_client, client):
    token = csrf_token_from(auth_client.get("/settings/password").get_data(as_text=True))
    wrong = auth_client.post(
        "/settings/password",
        data={
            "current_password": "nope",
            "new_password": "new-password-1",
            "confirm_password": "new-password-1",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    mismatch = auth_client.post(
        "/settings/password",
        data={
            "current_password": "admin-password",
            "new_password": "new-password-1",
            "confirm_password": "other",
            "csrf_token": token,
        },
    )
    assert mismatch.status_code == 400
    ok = auth_client.post(
        "/settings/password",
        data={
            "current_password": "admin-password",
            "new_password": "new-password-1",
            "confirm_password": "new-password-1",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    fresh = auth_client.application.test_client()
    assert log_in(fresh, "admin", "admin-password").status_code == 401
    assert log_in(fresh, "admin", "new-password-1").status_code == 302
