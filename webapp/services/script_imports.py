"""Script-to-script imports, resolved on the host before a run (the sandbox has no database).

DataFlux Func's rules: a name with ``__`` is a script id (``import demo__utils``,
``from demo__utils import f``, ``import demo__utils as u``), ``import __utils`` means the same
set as the importing script, and imports load the **published** code (only the entry script of
an editor run uses its draft). ``modules_for`` follows the import statements from the entry
code through every script it reaches and returns their published code, which travels with the
job; the harness serves imports from it. A name computed at run time cannot be followed: the
harness then says the script was not sent.
"""

from __future__ import annotations

import ast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import ScriptRevision

MAX_MODULES = 100  # scripts one run may import, directly or not
MAX_TOTAL_BYTES = 8 * 1024 * 1024


def set_of(script_id: str) -> str | None:
    """The set part of ``<set>__<name>``; None for an id without ``__``."""
    return script_id.split("__", 1)[0] if "__" in script_id else None


def resolve(name: str, importer_id: str) -> str | None:
    """The script id an import names, or None when it is not a script import."""
    top = name.split(".", 1)[0]
    if top == "__future__" or (top.startswith("__") and top.endswith("__")):
        return None
    if top.startswith("__"):  # same set: import __utils
        importer_set = set_of(importer_id)
        return f"{importer_set}{top}" if importer_set else None
    return top if "__" in top.strip("_") else None


def imported_names(code: str) -> set[str]:
    """Module names of the code's import statements (anywhere: functions too)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _published(session: Session, script_ids: set[str]) -> dict[str, str]:
    if not script_ids:
        return {}
    latest = (
        select(ScriptRevision.script_id, func.max(ScriptRevision.version).label("version"))
        .where(ScriptRevision.script_id.in_(sorted(script_ids)))
        .group_by(ScriptRevision.script_id)
        .subquery()
    )
    rows = session.execute(
        select(ScriptRevision.script_id, ScriptRevision.code).join(
            latest,
            (ScriptRevision.script_id == latest.c.script_id)
            & (ScriptRevision.version == latest.c.version),
        )
    )
    return dict(rows.all())


def modules_for(session: Session, entry_id: str, code: str) -> dict[str, str]:
    """``{script_id: published code}`` of every script the entry code imports, transitively.

    Scripts that do not exist or were never published are left out (the import then fails
    in the run with ``ModuleNotFoundError`` naming them); the entry script itself is not
    included (its own code is the job's).
    """
    modules: dict[str, str] = {}
    pending = {(entry_id, code)}
    total = 0
    while pending and len(modules) < MAX_MODULES:
        wanted: set[str] = set()
        for importer, text in pending:
            for name in imported_names(text):
                target = resolve(name, importer)
                if target and target != entry_id and target not in modules:
                    wanted.add(target)
        found = _published(session, wanted)
        pending = set()
        for script_id, text in sorted(found.items()):
            total += len(text)
            if len(modules) >= MAX_MODULES or total > MAX_TOTAL_BYTES:
                break
            modules[script_id] = text
            pending.add((script_id, text))
    return modules
