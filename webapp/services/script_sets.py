"""Script sets: DataFlux Func's folders of scripts.

A script ``<set>__<name>`` belongs to ``<set>``; an id without ``__`` (the form before sets,
still accepted by the v1 API) belongs to ``default``. Set ids follow DFF: a letter or ``_``,
then letters, digits or ``_``, at most 60, never ``__``. A set comes into being with its first
script if nobody created it before; deleting a set deletes its scripts (and their revisions
and functions).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.models import Func, Script, ScriptRevision, ScriptSet
from webapp.services import packages
from webapp.services.errors import N_, NotFound, ServiceError

SET_ID_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,59}$")
DEFAULT_SET = "default"
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000


def set_of(script_id: str) -> str:
    """The set a script id names: the part before the first ``__`` (``default`` if none)."""
    head, sep, _name = script_id.partition("__")
    return head if sep and head else DEFAULT_SET


def validate_set_id(set_id: object) -> str:
    if not isinstance(set_id, str) or not SET_ID_RE.match(set_id) or "__" in set_id:
        raise ServiceError(
            "invalid_id",
            N_("A script set id is a letter or _, then up to 59 letters, digits or _, without __."),
            field="id",
        )
    return set_id


def _title(title: object, fallback: str) -> str:
    if title is None or (isinstance(title, str) and not title.strip()):
        return fallback
    if not isinstance(title, str) or len(title) > MAX_TITLE_LENGTH:
        raise ServiceError(
            "invalid_title",
            N_("The title must be text of at most %(n)s characters."),
            field="title",
            params={"n": MAX_TITLE_LENGTH},
        )
    return title.strip()


def _description(description: object) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
        raise ServiceError(
            "invalid_description",
            N_("The description must be text of at most %(n)s characters."),
            field="description",
            params={"n": MAX_DESCRIPTION_LENGTH},
        )
    return description


def list_sets(session: Session) -> list[tuple[ScriptSet, int]]:
    """Every set with its number of scripts, by id."""
    counts = dict(
        session.execute(select(Script.set_id, func.count()).group_by(Script.set_id)).all()
    )
    return [
        (s, counts.get(s.id, 0)) for s in session.scalars(select(ScriptSet).order_by(ScriptSet.id))
    ]


def get_set(session: Session, set_id: str) -> ScriptSet:
    found = session.get(ScriptSet, set_id) if SET_ID_RE.match(set_id or "") else None
    if found is None:
        raise NotFound(N_("Script set %(id)s does not exist."), id=set_id)
    return found


def create_set(
    session: Session,
    set_id: object,
    title: object = None,
    description: object = "",
    *,
    username: str | None,
    now: datetime,
) -> ScriptSet:
    set_id = validate_set_id(set_id)
    if session.get(ScriptSet, set_id) is not None:
        raise ServiceError(
            "script_set_exists",
            N_("Script set %(id)s already exists."),
            status=409,
            field="id",
            params={"id": set_id},
        )
    script_set = ScriptSet(
        id=set_id,
        title=_title(title, set_id),
        description=_description(description or ""),
        created_at=now,
        created_by=username,
        updated_at=now,
    )
    session.add(script_set)
    session.flush()
    return script_set


def ensure_set(session: Session, set_id: str, *, username: str | None, now: datetime) -> ScriptSet:
    """The set a new script goes into, made now if it does not exist yet."""
    found = session.get(ScriptSet, set_id)
    return found or create_set(session, set_id, username=username, now=now)


def update_set(
    session: Session,
    script_set: ScriptSet,
    *,
    title: object = None,
    description: object = None,
    requirements: object = None,
    now: datetime,
) -> ScriptSet:
    """Change what is given; ``requirements`` (DataFlux Func's text) must parse, or be empty."""
    if title is not None:
        script_set.title = _title(title, script_set.id)
    if description is not None:
        script_set.description = _description(description)
    if requirements is not None:
        text = requirements if isinstance(requirements, str) else None
        if text is None or text.strip():
            packages.parse_requested(text, "requirements")  # 400 naming the field
        script_set.requirements = text
    script_set.updated_at = now
    session.flush()
    return script_set


def delete_set(session: Session, script_set: ScriptSet) -> list[str]:
    """Delete the set with its scripts, their revisions and functions; returns the script ids.
    (Task records stay: they are history.)"""
    script_ids = list(session.scalars(select(Script.id).where(Script.set_id == script_set.id)))
    if script_ids:
        session.execute(delete(Func).where(Func.script_id.in_(script_ids)))
        session.execute(delete(ScriptRevision).where(ScriptRevision.script_id.in_(script_ids)))
        session.execute(delete(Script).where(Script.id.in_(script_ids)))
    session.delete(script_set)
    session.flush()
    return script_ids
