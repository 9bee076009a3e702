from datetime import UTC, datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import ApiToken, LoginFailure
from webapp.services import users as service
from webapp.services.errors import ServiceError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = service.ThrottlePolicy(max_failures=3, window_seconds=600)


def test_lockout_remaining_is_a_pure_window_rule():
    failures = [NOW - timedelta(seconds=s) for s in (500, 300, 100)]
    assert service.lockout_remaining(failures[:2], NOW, 3, 600) == 0
    # Locked until the oldest of the last 3 failures leaves the window: 600 - 500 = 100 s.
    assert service.lockout_remaining(failures, NOW, 3, 600) == 100
    assert service.lockout_remaining(failures, NOW + timedelta(seconds=101), 3, 600) == 0
    old = [NOW - timedelta(seconds=700)] * 5
    assert service.lockout_remaining(old, NOW, 3, 600) == 0


def test_passwords_are_hashed(app_ctx):
    user = service.create_user(db.session, "carol", "correct horse")
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("", "longenough", "username"),
        ("bad name", "longenough", "username"),
        ("ok", "short", "password"),
        ("ok", None, "password"),
    ],
)
def test_create_user_validates(app_ctx, username, password, field):
    with pytest.raises(ServiceError) as info:
        service.create_user(db.session, username, password)
    assert info.value.field == field


def test_duplicate_user_is_409(app_ctx):
    with pytest.raises(ServiceError) as info:
        service.create_user(db.session, "admin", "whatever123")
    assert info.value.status == 409


def test_authenticate_throttles_by_username(app_ctx, admin):
    for _ in range(3):
        assert service.authenticate(db.session, "admin", "wrong", "10.0.0.1", NOW, POLICY) is None
    with pytest.raises(service.LoginThrottled) as info:
        # Even the right password is refused while locked out.
        service.authenticate(db.session, "admin", "admin-password", "10.0.0.2", NOW, POLICY)
    assert info.value.status == 429
    assert 0 < info.value.retry_after <= 600
    later = NOW + timedelta(seconds=601)
    assert service.authenticate(db.session, "admin", "admin-password", "10.0.0.2", later, POLICY)
    # A successful login clears the username's failures.
    assert (
        db.session.scalar(
            db.select(db.func.count(LoginFailure.id)).where(LoginFailure.username == "admin")
        )
        == 0
    )


def test_authenticate_throttles_by_address_across_usernames(app_ctx):
    for n in range(3 * service.ADDRESS_FAILURE_FACTOR):
        service.authenticate(db.session, f"user{n}", "x", "10.9.9.9", NOW, POLICY)
    with pytest.raises(service.LoginThrottled):
        service.authenticate(db.session, "someone", "x", "10.9.9.9", NOW, POLICY)
    # Another address is unaffected.
    assert service.authenticate(db.session, "someone", "x", "10.1.1.1", NOW, POLICY) is None


def test_tokens_store_only_a_hash_and_can_be_revoked(app_ctx, admin):
    token, plaintext = service.create_token(db.session, admin, " deploy ")
    db.session.commit()
    assert token.name == "deploy"
    assert plaintext.startswith("fp_") and len(plaintext) > 40
    stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert plaintext not in stored and service.hash_token(plaintext) in stored
    assert service.user_for_token(db.session, plaintext, NOW) == admin
    assert token.last_used_at == NOW
    assert service.user_for_token(db.session, plaintext + "x", NOW) is None
    assert service.user_for_token(db.session, "not-a-token", NOW) is None
    service.revoke_token(db.session, admin, token.id, NOW)
    assert service.user_for_token(db.session, plaintext, NOW) is None


def test_token_names_are_validated_and_foreign_tokens_hidden(app_ctx, admin, make_user):
    with pytest.raises(ServiceError) as info:
        service.create_token(db.session, admin, "  ")
    assert info.value.field == "name"
    bob = make_user("bob", "bob-password")
    token, _ = service.create_token(db.session, admin, "mine")
    with pytest.raises(ServiceError) as info:
        service.revoke_token(db.session, bob, token.id, NOW)
    assert info.value.status == 404
