"""Column types shared by the models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC.

    SQLite has no timezone type and hands back naive values; this type refuses naive input
    (it would be ambiguous) and always returns aware UTC datetimes, so the rest of the code never
    meets a naive datetime whatever the database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


UNREADABLE = "$unreadable"  # the key of the dict an undecryptable value reads back as


class EncryptedJSON(TypeDecorator):
    """A JSON object stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with the instance's
    key (``FUNCPAD_SECRETS_KEY``, generated into the data directory): a copy of the database
    alone does not give the passwords away.

    A value that the key cannot decrypt (the data directory's key was replaced) reads back as
    ``{"$unreadable": True}``, so a page still opens and says to enter the secrets again.
    """

    impl = Text
    cache_ok = True

    @staticmethod
    def _fernet():
        from cryptography.fernet import Fernet
        from flask import current_app

        return Fernet(current_app.config["FUNCPAD_SECRETS_KEY"].encode())

    def process_bind_param(self, value: dict | None, dialect) -> str | None:
        if not value:
            return None
        if value.get(UNREADABLE):
            raise ValueError("an unreadable secret cannot be written back")
        return self._fernet().encrypt(json.dumps(value).encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> dict:
        if not value:
            return {}
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet().decrypt(value.encode()))
        except (InvalidToken, ValueError):
            return {UNREADABLE: True}
