from datetime import UTC, datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import ApiToken, LoginAttempt
from webapp.services import users as service
from webapp.services.errors import ServiceError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = service.ThrottlePolicy(max_failures=3, window_seconds=600)


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


def attempt(username, password, address, now=NOW):
    service.reserve_login_attempt(db.session, username, address, now, POLICY)
    db.session.commit()
    return service.authenticate(db.session, username, password, address, now)


def test_an_account_is_throttled_per_address_not_everywhere(app_ctx, admin):
    for _ in range(3):
        assert attempt("admin", "wrong", "10.0.0.1") is None
    with pytest.raises(service.LoginThrottled) as info:
        # Even the right password is refused from the address that failed...
        attempt("admin", "admin-password", "10.0.0.1")
    assert info.value.status == 429
    assert 0 < info.value.retry_after <= 600
    # ...but not from another: failures elsewhere cannot lock the owner out.
    assert attempt("admin", "admin-password", "10.0.0.2") == admin
    # The window passes, and the first address may try again.
    later = NOW + timedelta(seconds=601)
    assert attempt("admin", "admin-password", "10.0.0.1", later) == admin


def test_a_success_clears_its_pair_and_takes_itself_back_from_the_address(app_ctx, admin):
    assert attempt("admin", "wrong", "10.0.0.3") is None
    assert attempt("admin", "admin-password", "10.0.0.3") == admin
    db.session.commit()
    counts = dict(db.session.execute(db.select(LoginAttempt.key, LoginAttempt.count)).all())
    assert "pair:admin|10.0.0.3" not in counts
    assert counts["address:10.0.0.3"] == 1  # the one failure


def test_every_lockout_is_logged(app_ctx, admin, caplog):
    for _ in range(3):
        attempt("admin", "wrong", "10.0.0.4")
    with (
        caplog.at_level("WARNING", logger="webapp.services.users"),
        pytest.raises(service.LoginThrottled),
    ):
        attempt("admin", "wrong", "10.0.0.4")
    assert "login lockout: pair:admin|10.0.0.4" in caplog.text


def test_an_address_is_throttled_across_usernames(app_ctx):
    for n in range(3 * service.ADDRESS_FAILURE_FACTOR):
        attempt(f"user{n}", "x", "10.9.9.9")
    with pytest.raises(service.LoginThrottled):
        attempt("someone", "x", "10.9.9.9")
    # Another address is unaffected.
    assert attempt("someone", "x", "10.1.1.1") is None


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
