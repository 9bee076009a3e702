"""Published functions: the ``@DFF.API`` functions of each script's latest revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class Func(db.Model):
    __tablename__ = "funcs"

    id: Mapped[str] = mapped_column(String(130), primary_key=True)  # "<script>.<func>"
    script_id: Mapped[str] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), default="general")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    args: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accepts_var_kwargs: Mapped[bool] = mapped_column(default=False)
    doc: Mapped[str | None] = mapped_column(Text)
    timeout: Mapped[int | None]
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    line: Mapped[int | None]
    version: Mapped[int]  # the script revision this was extracted from
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
