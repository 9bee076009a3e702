from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class WorkerHeartbeat(db.Model):
    """A process that executes runs (``funcpad worker``), as it last said it was alive.

    Its ``id`` is the ``worker`` its runs' task records carry (``process_identity``): a run whose
    worker stopped beating is lost, even when that worker was on another host.
    """

    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    queues: Mapped[list[int]] = mapped_column(JSON, default=list)
    slots: Mapped[int] = mapped_column(default=0)
    busy: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
