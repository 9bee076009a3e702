"""API tokens: a token checked moments ago is not looked up again; revocation still bites."""

import time

from sqlalchemy import event, update

from webapp.extensions import db
from webapp.models import ApiToken


def token_lookups(app, fn) -> int:
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM api_tokens" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_token_is_looked_up_once_then_remembered_for_a_few_seconds(app, client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}

    def three_calls():
        for _ in range(3):
            response = client.get("/api/v1/scripts", headers=headers)
            assert response.status_code == 200

    assert token_lookups(app, three_calls) == 1


def test_a_token_revoked_elsewhere_stops_working_within_the_ttl(app, client, api_token):
    app.extensions["funcpad.token_cache"].ttl = 0.2
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/scripts", headers=headers).status_code == 200
    with app.app_context():  # as another worker process would: straight in the database
        db.session.execute(update(ApiToken).values(revoked_at=db.func.current_timestamp()))
        db.session.commit()
    time.sleep(0.25)
    assert client.get("/api/v1/scripts", headers=headers).status_code == 401


def test_the_remembered_user_acts_like_the_real_one(client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    client.get("/api/v1/scripts", headers=headers)  # remembered from here on
    created = client.post(
        "/api/v1/scripts",
        json={"id": "cached_user", "title": "T", "code": "def f():\n    return 1\n"},
        headers=headers,
    )
    assert created.status_code in (200, 201), created.json
    run = client.post("/api/v1/scripts/cached_user/run", json={"func": "f"}, headers=headers)
    assert run.json["triggered_by"] == "admin"
