"""What scripts keep between runs: ``DFF.STORE`` (JSON values) and, in the embedded default,
``DFF.CACHE`` (Redis-style values). Both are keyed by (scope, key); a scope is a script id
unless the script names another."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class FuncStoreEntry(db.Model):
    """One ``DFF.STORE`` key. ``id`` is DataFlux Func's ``fnst-`` + md5(key + '-' + scope)."""

    __tablename__ = "func_store"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(256))
    key: Mapped[str] = mapped_column(String(256))
    value_json: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)  # bytes of value_json (the quota counts these)
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_func_store_scope_key", "scope", "key", unique=True),)


class FuncCacheEntry(db.Model):
    """One ``DFF.CACHE`` key of the embedded back-end: its Redis type and its value as JSON
    (a string, or the hash/list/set/sorted set as a JSON object or array)."""

    __tablename__ = "func_cache"

    scope: Mapped[str] = mapped_column(String(256), primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # string, hash, list, set, zset
    value_json: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    expire_at_ms: Mapped[int | None] = mapped_column(BigInteger, index=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)  # bumped to lock the row
