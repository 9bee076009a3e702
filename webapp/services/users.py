"""Users, passwords, API tokens and login throttling."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import ApiToken, LoginAttempt, User, UserSession
from webapp.services.errors import N_, NotFound, ServiceError

log = logging.getLogger(__name__)
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


SESSION_TOUCH_INTERVAL = timedelta(minutes=1)


def start_session(
    session: Session, user: User, address: str, user_agent: str, now: datetime
) -> UserSession:
    """A new browser session for ``user``; its id goes into the cookies through ``get_id``."""
    row = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        address=(address or "")[:64],
        user_agent=(user_agent or "")[:200],
    )
    session.add(row)
    session.flush()
    user.login_session_id = row.id
    return row


def user_for_session(session: Session, cookie_id: str, now: datetime) -> User | None:
    """The user of a live session named by a cookie's ``<user id>:<session id>``; None once
    the session was ended (logout, a password change, an admin) or for an old cookie."""
    user_id, _, session_id = cookie_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19 and session_id):
        return None
    row = session.scalar(
        select(UserSession)
        .options(joinedload(UserSession.user))
        .where(
            UserSession.id == session_id[:64],
            UserSession.user_id == int(user_id),
            UserSession.ended_at.is_(None),
        )
    )
    if row is None:
        return None
    if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
        session.commit()
    row.user.login_session_id = row.id
    return row.user


def active_sessions(session: Session, user: User | None = None) -> list[UserSession]:
    """Live sessions, newest first: of ``user``, or of everyone."""
    query = (
        select(UserSession)
        .options(joinedload(UserSession.user))
        .where(UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    )
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(session.scalars(query))


def _end_sessions(session: Session, now: datetime, *where) -> int:
    return session.execute(
        update(UserSession).where(UserSession.ended_at.is_(None), *where).values(ended_at=now)
    ).rowcount


def end_session(session: Session, session_id: str | None, now: datetime) -> int:
    """Logout: the session ends on the server, so a copy of its cookies is worth nothing."""
    return _end_sessions(session, now, UserSession.id == session_id) if session_id else 0


def end_user_session(session: Session, actor: User, session_id: str, now: datetime) -> UserSession:
    """End a session of the actor's own, or anyone's for an admin; 404 otherwise."""
    row = session.get(UserSession, session_id[:64])
    if row is None or row.ended_at is not None or (row.user_id != actor.id and not actor.is_admin):
        raise NotFound(N_("Session %(id)s does not exist."), id=session_id[:8])
    row.ended_at = now
    session.flush()
    return row


def end_other_sessions(session: Session, user: User, keep: str | None, now: datetime) -> int:
    """After a password change: every session of ``user`` but ``keep`` ends (their remember-me
    cookies name them, so those end too). API tokens are not sessions and stay."""
    return _end_sessions(
        session, now, UserSession.user_id == user.id, UserSession.id != (keep or "")
    )


def attempt_keys(username: str, address: str) -> list[tuple[str, int]]:
    """(key, limit) pairs an attempt counts against; see ``LoginAttempt``."""
    return [
        (f"pair:{username[:64]}|{address[:64]}", 1),
        (f"address:{address[:64]}", ADDRESS_FAILURE_FACTOR),
    ]


def _count_attempt(
    session: Session, key: str, now: datetime, since: datetime
) -> tuple[int, datetime]:
    """Add one attempt to ``key`` in one atomic statement; (count, window start) after it.

    An INSERT … ON CONFLICT DO UPDATE … RETURNING: two requests at the same moment can never
    both see the count before either's increment (SQLite ≥ 3.35 and PostgreSQL alike).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = LoginAttempt.__table__
    stale = table.c.window_start <= since
    statement = (
        insert(table)
        .values(key=key, window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((stale, 1), else_=table.c.count + 1),
                "window_start": case((stale, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.count, table.c.window_start)
    )
    count, window_start = session.execute(statement).one()
    return count, window_start


def reserve_login_attempt(
    session: Session, username: str, address: str, now: datetime, policy: ThrottlePolicy
) -> None:
    """Count this attempt before its password is checked; ``LoginThrottled`` over the limit.

    Counted per (username, address) and per address, so a correct password from an address
    that has not failed still works while another address is locked out. The caller commits
    at once, so parallel attempts see each other.
    """
    window = timedelta(seconds=policy.window_seconds)
    since = now - window
    wait = 0
    for key, factor in attempt_keys(username, address):
        count, window_start = _count_attempt(session, key, now, since)
        limit = policy.max_failures * factor
        if count > limit:
            wait = max(wait, max(1, int((window_start + window - now).total_seconds() + 0.999)))
            if count == limit + 1:
                log.warning("login lockout: %s after %d attempts (for %d s)", key, limit, wait)
    if wait:
        raise LoginThrottled(wait)


def authenticate(
    session: Session, username: str, password: str, address: str, now: datetime
) -> User | None:
    """Check a login reserved with ``reserve_login_attempt``: the user, or None when wrong.

    A success clears its (username, address) count and takes itself back from the address's
    count, whose failures stay: one valid account cannot reset the attempts on others.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    (pair_key, _), (address_key, _) = attempt_keys(username, address)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == pair_key))
    # The address counts failures: take back this attempt, which succeeded.
    session.execute(
        update(LoginAttempt)
        .where(LoginAttempt.key == address_key, LoginAttempt.count > 0)
        .values(count=LoginAttempt.count - 1)
    )
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
