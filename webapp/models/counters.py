from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class PlatformCounter(db.Model):
    """A monotonic count of the whole platform (every process and host adds to it): runs by
    origin and status, run duration buckets, sandbox failures. ``/metrics`` reads them."""

    __tablename__ = "platform_counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True)  # k=v,k=v sorted
    value: Mapped[float] = mapped_column(default=0.0)
