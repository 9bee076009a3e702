"""Connectors scripts open with ``DFF.SRC(id)`` / ``DFF.CONN(id)``: a type, its settings, and
its passwords and tokens apart, encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import EncryptedJSON, UTCDateTime, utcnow


class Connector(db.Model):
    __tablename__ = "connectors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), default="datakit")
    title: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The type's secret fields (password, token, secretKey...): never in ``config``.
    secrets: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
