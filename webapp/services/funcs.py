"""Published functions: replaced on each publish, listed and looked up for calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from webapp.models import Func, ScriptRevision
from webapp.services.errors import N_, NotFound


def replace_for_script(
    session: Session, script_id: str, version: int, metas: list[dict[str, Any]], now: datetime
) -> list[Func]:
    session.execute(delete(Func).where(Func.script_id == script_id))
    funcs = [
        Func(
            id=f"{script_id}.{meta['name']}",
            script_id=script_id,
            name=meta["name"],
            title=meta.get("title") or meta["name"],
            category=meta.get("category") or "general",
            tags=list(meta.get("tags") or []),
            args=list(meta.get("args") or []),
            accepts_var_kwargs=bool(meta.get("accepts_var_kwargs")),
            doc=meta.get("doc"),
            timeout=meta.get("timeout"),
            options=dict(meta.get("options") or {}),
            line=meta.get("line"),
            version=version,
            updated_at=now,
        )
        for meta in metas
    ]
    session.add_all(funcs)
    session.flush()
    return funcs


def list_funcs(session: Session, include_hidden: bool = False) -> list[Func]:
    funcs = list(session.scalars(select(Func).order_by(Func.script_id, Func.name)))
    if not include_hidden:
        funcs = [f for f in funcs if not f.options.get("is_hidden")]
    return funcs


def get_func(session: Session, func_id: str) -> Func:
    func = session.get(Func, func_id) if isinstance(func_id, str) and len(func_id) < 130 else None
    if func is None:
        raise NotFound(N_("Function %(id)s is not published."), id=func_id)
    return func


# Built once (the call path runs it on every call): the function and its revision's code.
_FUNC_AND_CODE = (
    select(Func, ScriptRevision.code)
    .join(
        ScriptRevision,
        (ScriptRevision.script_id == Func.script_id) & (ScriptRevision.version == Func.version),
    )
    .where(Func.id == bindparam("func_id"))
)


def get_func_and_code(session: Session, func_id: str) -> tuple[Func, str]:
    """The published function and the code of its revision, in one query (the call path)."""
    row = None
    if isinstance(func_id, str) and len(func_id) < 130:
        row = session.execute(_FUNC_AND_CODE, {"func_id": func_id}).first()
    if row is None:
        raise NotFound(N_("Function %(id)s is not published."), id=func_id)
    return row[0], row[1]


def to_json(func: Func) -> dict[str, Any]:
    return {
        "id": func.id,
        "script_id": func.script_id,
        "name": func.name,
        "title": func.title,
        "category": func.category,
        "tags": func.tags,
        "args": func.args,
        "accepts_var_kwargs": func.accepts_var_kwargs,
        "doc": func.doc,
        "timeout": func.timeout,
        "options": func.options,
        "version": func.version,
        "is_hidden": bool(func.options.get("is_hidden")),
    }
