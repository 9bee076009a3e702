"""Users, passwords, API tokens and login throttling."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import ApiToken, LoginFailure, User
from webapp.services.errors import N_, NotFound, ServiceError

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "fp_"
# Writing last_used_at on every API call would turn reads into writes; once a minute is enough.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
# An address may try more usernames than one username may be tried.
ADDRESS_FAILURE_FACTOR = 4


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    window_seconds: int = 900


class LoginThrottled(ServiceError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "login_throttled",
            N_("Too many failed attempts. Try again in %(minutes)s minutes."),
            status=429,
            params={"minutes": max(1, -(-retry_after // 60))},
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def validate_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise ServiceError(
            "invalid_username",
            N_("A username is 1-64 letters, digits or . _ @ -"),
            field="username",
        )
    return username


def validate_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            "weak_password",
            N_("A password needs at least %(n)s characters."),
            field="password",
            params={"n": MIN_PASSWORD_LENGTH},
        )
    return password


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False) -> User:
    validate_username(username)
    validate_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ServiceError(
            "user_exists",
            N_("User %(username)s already exists."),
            status=409,
            field="username",
            params={"username": username},
        )
    user = User(
        username=username, password_hash=generate_password_hash(password), is_admin=is_admin
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError(
            "wrong_password", N_("The current password is wrong."), field="current_password"
        )
    validate_password(new)
    user.password_hash = generate_password_hash(new)
    session.flush()


def lockout_remaining(
    failure_times: list[datetime], now: datetime, max_failures: int, window_seconds: int
) -> int:
    """Seconds until another attempt is allowed, 0 when not locked out.

    Locked out when ``max_failures`` or more failures happened within the window; the lock lifts
    a full window after the oldest of the most recent ``max_failures`` failures.
    """
    window = timedelta(seconds=window_seconds)
    recent = sorted(t for t in failure_times if now - t < window)
    if len(recent) < max_failures:
        return 0
    unlock_at = recent[-max_failures] + window
    return max(1, int((unlock_at - now).total_seconds() + 0.999))


def authenticate(
    session: Session,
    username: str,
    password: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
) -> User | None:
    """Check a login. Returns the user, or None for a wrong name/password (recorded).

    Raises ``LoginThrottled`` while the username or the address is locked out, before the
    password is even checked, so a locked account cannot be brute-forced.
    """
    since = now - timedelta(seconds=policy.window_seconds)
    rows = session.execute(
        select(LoginFailure.username, LoginFailure.address, LoginFailure.at).where(
            LoginFailure.at > since,
            or_(LoginFailure.username == username, LoginFailure.address == address),
        )
    ).all()
    by_user = [at for name, _addr, at in rows if name == username]
    by_address = [at for _name, addr, at in rows if addr == address]
    wait = max(
        lockout_remaining(by_user, now, policy.max_failures, policy.window_seconds),
        lockout_remaining(
            by_address,
            now,
            policy.max_failures * ADDRESS_FAILURE_FACTOR,
            policy.window_seconds,
        ),
    )
    if wait:
        raise LoginThrottled(wait)

    user = session.scalar(select(User).where(User.username == username))
    if user is None or not check_password_hash(user.password_hash, password):
        session.add(LoginFailure(username=username[:64], address=address[:64], at=now))
        session.flush()
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = now
    session.flush()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: object) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plaintext, which is never stored or shown again."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise ServiceError(
            "invalid_name", N_("Give the token a name of 1-100 characters."), field="name"
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        token_hash=hash_token(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
    )
    session.add(token)
    session.flush()
    return token, plaintext


def user_for_token(session: Session, plaintext: str, now: datetime) -> User | None:
    """The active token's user, or None. Touches ``last_used_at`` at most once a minute."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(plaintext))
    )
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        session.commit()
    return token.user


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise NotFound(N_("Token %(id)s does not exist."), id=token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
