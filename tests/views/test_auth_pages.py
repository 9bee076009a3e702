"""Login, logout, throttling, cookies, CSRF on forms, and pages requiring auth."""

from pathlib import Path

import pytest

from tests.conftest import csrf_token_from, log_in


def test_pages_redirect_to_login_and_back(client):
    response = client.get("/scripts/demo")
    assert response.status_code == 302
    assert response.location == "/login?next=/scripts/demo"
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/scripts/demo",
        data={"username": "admin", "password": "admin-password", "csrf_token": token},
    )
    assert response.status_code == 302 and response.location == "/scripts/demo"
    assert client.get("/scripts/demo").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_redirects_off_site(client, target):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        f"/login?next={target}",
        data={"username": "admin", "password": "admin-password", "csrf_token": token},
    )
    assert response.status_code == 302 and response.location == "/"


def test_wrong_password_shows_an_error(client):
    response = log_in(client, password="wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/scripts").status_code == 302


def test_empty_form_is_400(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token})
    assert response.status_code == 400


def test_login_is_throttled_after_repeated_failures(client):
    for _ in range(5):
        assert log_in(client, password="nope-nope").status_code == 401
    response = log_in(client)  # the right password, but locked out now
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/scripts").status_code == 302


def test_login_form_requires_csrf(client):
    response = client.post("/login", data={"username": "admin", "password": "admin-password"})
    assert response.status_code == 400
    assert client.get("/scripts").status_code == 302


def test_session_cookie_flags(client):
    response = log_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "funcpad_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_flag_when_configured(tmp_path, template_db):
    import shutil

    from tests.conftest import app_config
    from webapp import create_app

    shutil.copy(template_db, tmp_path / "funcpad.db")
    app = create_app(app_config(tmp_path, FUNCPAD_SECURE_COOKIES="on"))
    client = app.test_client()
    response = log_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "funcpad_session=" in c)
    assert "Secure" in cookie


def test_logout_needs_post_with_csrf(auth_client):
    assert auth_client.get("/logout").status_code == 405
    response = auth_client.post("/logout")  # the X-CSRFToken header counts like the form field
    assert response.status_code == 302
    assert auth_client.get("/scripts").status_code == 302


def test_logout_without_token_is_refused(auth_client):
    del auth_client.environ_base["HTTP_X_CSRFTOKEN"]
    assert auth_client.post("/logout").status_code == 400
    assert auth_client.get("/scripts").status_code == 200


def test_healthz_and_static_need_no_login(client):
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["status"] == "ok" and health.json["database"] == "ok"
    assert "scheduler" in health.json and "sandbox" in health.json
    assert client.get("/static/css/app.css").status_code == 200


def test_first_start_creates_admin_with_random_password(tmp_path):
    from webapp import create_app

    app = create_app({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_SCHEDULER": "off"})
    password_file = Path(tmp_path) / "initial_admin_password"
    password = password_file.read_text().strip()
    assert len(password) >= 12
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    client = app.test_client()
    assert "initial_admin_password" in client.get("/login").get_data(as_text=True)
    assert log_in(client, "admin", password).status_code == 302
    # A second start does not create another admin or a new password.
    create_app({"FUNCPAD_DATA_DIR": str(tmp_path), "FUNCPAD_SCHEDULER": "off"})
    assert password_file.read_text().strip() == password


def test_a_weak_configured_admin_password_stops_the_start(tmp_path):
    from webapp import create_app
    from webapp.config import ConfigError

    with pytest.raises(ConfigError, match="at least 8"):
        create_app(
            {
                "FUNCPAD_DATA_DIR": str(tmp_path),
                "FUNCPAD_ADMIN_USERNAME": "root",
                "FUNCPAD_ADMIN_PASSWORD": "short",
            }
        )


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(tmp_path):
    """40 wrong passwords at once against a real gunicorn (16 threads): the attempts are
    counted atomically before any password is checked, so at most 5 are checked at all."""
    import concurrent.futures

    import requests

    from tests.conftest import running_server

    with running_server(tmp_path) as base:

        def wrong_login(_n: int) -> int:
            session = requests.Session()
            token = csrf_token_from(session.get(f"{base}/login", timeout=10).text)
            response = session.post(
                f"{base}/login",
                data={"username": "admin", "password": "wrong-guess", "csrf_token": token},
                timeout=30,
            )
            return response.status_code

        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(wrong_login, range(40)))
    assert statuses.count(401) <= 5, statuses  # checked (and wrong)
    assert statuses.count(429) >= 35, statuses  # refused before any check
