"""Scripts: an editable draft plus an append-only list of immutable published revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class ScriptSet(db.Model):
    """A folder of scripts, as in DataFlux Func: a script ``<set>__<name>`` belongs to ``<set>``
    (an id without ``__``, from before sets, belongs to ``default``)."""

    __tablename__ = "script_sets"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # DataFlux Func's requirements text (from an import): installable from the set's page.
    requirements: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Script(db.Model):
    __tablename__ = "scripts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No database-level foreign key: adding one to an existing SQLite table means rebuilding
    # it, and dropping the old table would cascade into the revisions. services.script_sets
    # keeps the two consistent (a set's scripts go with it).
    # Nullable in the schema (SQLite adds a NOT NULL column only by rebuilding the table);
    # services.scripts always sets it.
    set_id: Mapped[str] = mapped_column(String(60), index=True, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    draft_code: Mapped[str] = mapped_column(Text, default="")
    draft_md5: Mapped[str] = mapped_column(String(32))
    draft_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    draft_updated_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revisions: Mapped[list[ScriptRevision]] = relationship(
        back_populates="script",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ScriptRevision.version",
        lazy="raise_on_sql",
    )


class ScriptRevision(db.Model):
    """A published version of a script. Rows are never updated once written."""

    __tablename__ = "script_revisions"
    __table_args__ = (UniqueConstraint("script_id", "version", name="uq_script_revisions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[str] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    code: Mapped[str] = mapped_column(Text)
    md5: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(64))

    script: Mapped[Script] = relationship(back_populates="revisions")


class ImmutableRevisionError(RuntimeError):
    pass


@event.listens_for(ScriptRevision, "before_update")
def _refuse_revision_update(_mapper, _connection, target: ScriptRevision) -> None:
    raise ImmutableRevisionError(f"revision {target.script_id} v{target.version} is immutable")
