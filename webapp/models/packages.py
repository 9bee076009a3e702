from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class PackageJob(db.Model):
    """One pip install or uninstall from the Packages page: what was asked, pip's output as it
    comes (any worker process can show it), and how it ended."""

    __tablename__ = "package_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # install | uninstall
    requested: Mapped[str] = mapped_column(Text)  # one requirement per line
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|success|failure
    output: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
