from webapp.extensions import db
from webapp.models import ApiToken, User
from webapp.services.users import hash_token


def test_create_user_and_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "ops", "--admin", "--password", "ops-password"])
    assert result.exit_code == 0, result.output
    assert "created user ops (admin)" in result.output

    duplicate = runner.invoke(args=["create-user", "ops", "--password", "ops-password"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    weak = runner.invoke(args=["create-user", "weak", "--password", "short"])
    assert weak.exit_code != 0 and "at least 8" in weak.output

    result = runner.invoke(args=["create-token", "deploy", "--user", "ops"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip()
    assert plaintext.startswith("fp_")
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "deploy"))
        assert token.token_hash == hash_token(plaintext)
        assert db.session.get(User, token.user_id).username == "ops"

    client = app.test_client()
    assert (
        client.get("/api/v1/scripts", headers={"Authorization": f"Bearer {plaintext}"}).status_code
        == 200
    )

    missing = runner.invoke(args=["create-token", "x", "--user", "nobody"])
    assert missing.exit_code != 0 and "no such user" in missing.output
