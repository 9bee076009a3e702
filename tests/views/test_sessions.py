"""Browser sessions live on the server: logout, a password change and an admin end them for
real — a copied session or remember-me cookie is worth nothing afterwards."""

from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, csrf_token_from

SESSION, REMEMBER = "funcpad_session", "remember_token"


def login(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD, remember=False):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "on"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_form(client, path, **data):
    token = csrf_token_from(client.get("/settings/sessions").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def logged_in(client) -> bool:
    return client.get("/api/v1/scripts").status_code == 200


def copy_cookie(source, target, name) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, name
    target.set_cookie(name, cookie.value)


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    browser, thief = login(app.test_client()), app.test_client()
    copy_cookie(browser, thief, SESSION)
    assert logged_in(thief)  # the copy works while the session lives
    post_form(browser, "/logout")
    assert not logged_in(browser)
    assert thief.get("/api/v1/scripts").status_code == 401
    assert thief.get("/scripts").status_code == 302


def test_a_password_change_ends_every_other_session_and_remember_cookie(app):
    mine = login(app.test_client(), remember=True)
    other = login(app.test_client(), remember=True)
    only_remembered = app.test_client()
    copy_cookie(other, only_remembered, REMEMBER)
    assert logged_in(only_remembered)  # a remember-me cookie alone logs in
    token_response = post_form(mine, "/settings/tokens", name="kept")
    assert token_response.status_code == 200
    api_token = token_response.get_data(as_text=True).split('id="new-token">', 1)[1].split("<")[0]

    changed = post_form(
        mine,
        "/settings/password",
        current_password=ADMIN_PASSWORD,
        new_password="a-new-password-1",
        confirm_password="a-new-password-1",
    )
    assert changed.status_code == 302
    assert logged_in(mine)  # the session that changed it stays
    assert not logged_in(other)
    fresh = app.test_client()
    copy_cookie(other, fresh, REMEMBER)
    assert not logged_in(fresh)
    # API tokens are not sessions: they keep working (documented).
    api = app.test_client()
    assert (
        api.get("/api/v1/scripts", headers={"Authorization": f"Bearer {api_token}"}).status_code
        == 200
    )


def test_an_admin_lists_and_ends_another_users_session(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "bob", "--password", "bob-password"])
    bob = login(app.test_client(), "bob", "bob-password")
    admin = login(app.test_client())
    page = admin.get("/settings/sessions").get_data(as_text=True)
    assert "bob" in page and page.count("data-session=") == 2
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import User, UserSession

        bob_id = db.session.scalar(db.select(User.id).where(User.username == "bob"))
        (session_id,) = db.session.scalars(
            db.select(UserSession.id).where(UserSession.user_id == bob_id)
        ).all()
    # bob sees only his own session and cannot end the admin's
    assert "admin" not in bob.get("/settings/sessions").get_data(as_text=True).split("<tbody>")[1]
    with app.app_context():
        admin_session = db.session.scalar(
            db.select(UserSession.id).where(UserSession.user_id != bob_id)
        )
    assert post_form(bob, f"/settings/sessions/{admin_session}/end").status_code == 404
    assert logged_in(admin)
    ended = post_form(admin, f"/settings/sessions/{session_id}/end")
    assert ended.status_code == 302
    assert not logged_in(bob)
    assert logged_in(admin)


def test_a_cookie_from_before_server_sessions_is_refused(app, client):
    # Flask-Login used to keep just the user id; such a cookie names no live session.
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    assert not logged_in(client)
