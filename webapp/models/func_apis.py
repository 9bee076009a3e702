"""Sync APIs and Async APIs: a published function callable over HTTP at its own address
(DataFlux Func's "Auth Links" and "Batches"), with fixed kwargs, auth, throttling and expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

KINDS = ("sync", "async")


class FuncApi(db.Model):
    __tablename__ = "func_apis"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # sync or async
    func_id: Mapped[str] = mapped_column(String(130), index=True)
    # Fixed kwargs; a value INPUT_BY_CALLER or FROM_PARAMETER is the caller's to give.
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"type": "none" | "fixedField" | "httpBasic" | "httpDigest" | "func", ...}
    auth: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    throttling: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # sync only
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(default=False)
    show_in_docs: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
