"""Scripts: create, edit the draft (optimistic concurrency), publish, restore, diff, delete."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.models import Script, ScriptRevision
from webapp.services import code_outline, script_sets
from webapp.services import funcs as funcs_service
from webapp.services.errors import N_, NotFound, ServiceError

# DataFlux Func's ids: <set>__<name>, letters, digits and _ (the older form without __ is
# still accepted and belongs to the set "default").
SCRIPT_ID_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
MAX_CODE_BYTES = 1024 * 1024
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_NOTE_LENGTH = 2000
DRAFT = "draft"
PUBLISHED = "published"  # the latest published revision (empty code when there is none)


def code_md5(code: str) -> str:
    return hashlib.md5(code.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class ScriptSummary:
    script: Script
    published_version: int | None
    published_md5: str | None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.published_md5 != self.script.draft_md5


# --- validation -------------------------------------------------------------------------------


def validate_script_id(script_id: object) -> str:
    head, sep, name = script_id.partition("__") if isinstance(script_id, str) else ("", "", "")
    if (
        not isinstance(script_id, str)
        or not SCRIPT_ID_RE.match(script_id)
        or (sep and (not head or not name or not (name[0].isalpha() or name[0] == "_")))
    ):
        raise ServiceError(
            "invalid_id",
            N_(
                "A script id is <set>__<name>: letters, digits and _, starting with a letter "
                "or _, at most 64 characters."
            ),
            field="id",
        )
    return script_id


def validate_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ServiceError("invalid_title", N_("The title must not be empty."), field="title")
    if len(title) > MAX_TITLE_LENGTH:
        raise ServiceError(
            "invalid_title",
            N_("The title is longer than %(n)s characters."),
            field="title",
            params={"n": MAX_TITLE_LENGTH},
        )
    return title.strip()


def validate_description(description: object) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
        raise ServiceError(
            "invalid_description",
            N_("The description must be text of at most %(n)s characters."),
            field="description",
            params={"n": MAX_DESCRIPTION_LENGTH},
        )
    return description


def validate_code(code: object) -> str:
    if not isinstance(code, str):
        raise ServiceError("invalid_code", N_("The code must be a string."), field="code")
    size = len(code.encode("utf-8", errors="surrogatepass"))
    if size > MAX_CODE_BYTES:
        raise ServiceError(
            "code_too_large",
            N_("The code is %(size)s bytes; the limit is %(limit)s bytes (1 MiB)."),
            status=413,
            field="code",
            params={"size": size, "limit": MAX_CODE_BYTES},
        )
    if "\x00" in code:
        raise ServiceError("invalid_code", N_("The code contains a NUL character."), field="code")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:
        raise ServiceError(
            "invalid_code", N_("The code is not valid Unicode text."), field="code"
        ) from None
    return code


def check_compiles(code: str, script_id: str) -> None:
    """Raise a 400 naming the line and column when ``code`` is not valid Python."""
    try:
        compile(code, f"<{script_id}>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ServiceError(
            "syntax_error",
            N_("Syntax error on line %(line)s: %(detail)s"),
            field="code",
            params={"line": exc.lineno, "detail": exc.msg},
            extra={"line": exc.lineno, "column": exc.offset, "detail": exc.msg},
        ) from None
    except ValueError as exc:  # e.g. source code string cannot contain null bytes
        raise ServiceError(
            "syntax_error",
            N_("The code cannot be compiled: %(detail)s"),
            field="code",
            params={"detail": str(exc)},
        ) from None


# --- reading ----------------------------------------------------------------------------------


def get_script(session: Session, script_id: str) -> Script:
    script = session.get(Script, script_id) if SCRIPT_ID_RE.match(script_id or "") else None
    if script is None:
        raise NotFound(N_("Script %(id)s does not exist."), id=script_id)
    return script


def latest_revision(session: Session, script_id: str) -> ScriptRevision | None:
    return session.scalar(
        select(ScriptRevision)
        .where(ScriptRevision.script_id == script_id)
        .order_by(ScriptRevision.version.desc())
        .limit(1)
    )


def list_scripts(session: Session) -> list[ScriptSummary]:
    """Every script with its latest published version, in one query."""
    latest = (
        select(ScriptRevision.script_id, func.max(ScriptRevision.version).label("version"))
        .group_by(ScriptRevision.script_id)
        .subquery()
    )
    rows = session.execute(
        select(Script, ScriptRevision.version, ScriptRevision.md5)
        .outerjoin(latest, latest.c.script_id == Script.id)
        .outerjoin(
            ScriptRevision,
            (ScriptRevision.script_id == latest.c.script_id)
            & (ScriptRevision.version == latest.c.version),
        )
        .order_by(Script.id)
    ).all()
    return [ScriptSummary(script, version, md5) for script, version, md5 in rows]


def summarize(session: Session, script: Script) -> ScriptSummary:
    revision = latest_revision(session, script.id)
    return ScriptSummary(
        script, revision.version if revision else None, revision.md5 if revision else None
    )


def list_revisions(session: Session, script_id: str) -> list[ScriptRevision]:
    get_script(session, script_id)
    return list(
        session.scalars(
            select(ScriptRevision)
            .where(ScriptRevision.script_id == script_id)
            .order_by(ScriptRevision.version.desc())
        )
    )


def get_revision(session: Session, script_id: str, version: int) -> ScriptRevision:
    get_script(session, script_id)
    revision = session.scalar(
        select(ScriptRevision).where(
            ScriptRevision.script_id == script_id, ScriptRevision.version == version
        )
    )
    if revision is None:
        raise NotFound(
            N_("Script %(id)s has no version %(version)s."), id=script_id, version=version
        )
    return revision


def revision_code(session: Session, script_id: str, version: int) -> str:
    """The code of one published revision, in one query (the hot path of function calls)."""
    code = session.scalar(
        select(ScriptRevision.code).where(
            ScriptRevision.script_id == script_id, ScriptRevision.version == version
        )
    )
    if code is None:
        raise NotFound(
            N_("Script %(id)s has no version %(version)s."), id=script_id, version=version
        )
    return code


# --- writing ----------------------------------------------------------------------------------


def create_script(
    session: Session,
    script_id: object,
    title: object,
    *,
    description: object = "",
    code: object = "",
    username: str | None,
    now: datetime,
) -> Script:
    script_id = validate_script_id(script_id)
    title = validate_title(title)
    description = validate_description(description)
    code = validate_code(code)
    if session.get(Script, script_id) is not None:
        raise ServiceError(
            "script_exists",
            N_("Script %(id)s already exists."),
            status=409,
            field="id",
            params={"id": script_id},
        )
    set_id = script_sets.set_of(script_id)
    script_sets.ensure_set(session, set_id, username=username, now=now)
    script = Script(
        id=script_id,
        set_id=set_id,
        title=title,
        description=description,
        draft_code=code,
        draft_md5=code_md5(code),
        draft_updated_at=now,
        draft_updated_by=username,
        created_at=now,
        created_by=username,
        updated_at=now,
    )
    session.add(script)
    try:
        session.flush()
    except IntegrityError:  # created by someone else between our check and insert
        session.rollback()
        raise ServiceError(
            "script_exists",
            N_("Script %(id)s already exists."),
            status=409,
            field="id",
            params={"id": script_id},
        ) from None
    return script


def update_script(
    session: Session,
    script: Script,
    *,
    title: object = None,
    description: object = None,
    now: datetime,
) -> Script:
    if title is not None:
        script.title = validate_title(title)
    if description is not None:
        script.description = validate_description(description)
    script.updated_at = now
    session.flush()
    return script


def save_draft(
    session: Session,
    script: Script,
    code: object,
    base_md5: object,
    *,
    username: str | None,
    now: datetime,
) -> Script:
    """Replace the draft, but only if the caller edited the draft that is current.

    ``base_md5`` is the md5 of the draft the caller started from; if somebody saved in between,
    nothing is written and a 409 ``draft_conflict`` carries the current draft so the caller can
    merge. Saving identical code is a no-op that still succeeds.
    """
    code = validate_code(code)
    if not isinstance(base_md5, str) or not base_md5:
        raise ServiceError(
            "missing_base_md5",
            N_("base_md5 (the md5 of the draft you edited) is required."),
            field="base_md5",
        )
    new_md5 = code_md5(code)
    if new_md5 == script.draft_md5:
        return script
    # Compare-and-set in SQL so two concurrent writers cannot both pass the check.
    updated = session.execute(
        Script.__table__.update()
        .where(Script.id == script.id, Script.draft_md5 == base_md5)
        .values(
            draft_code=code,
            draft_md5=new_md5,
            draft_updated_at=now,
            draft_updated_by=username,
            updated_at=now,
        )
    ).rowcount
    session.expire(script)
    if updated != 1:
        raise ServiceError(
            "draft_conflict",
            N_("The draft was changed by %(who)s since you loaded it."),
            status=409,
            field="base_md5",
            params={"who": script.draft_updated_by or "someone"},
            extra={
                "current_md5": script.draft_md5,
                "current_code": script.draft_code,
                "updated_at": script.draft_updated_at.isoformat(),
                "updated_by": script.draft_updated_by,
            },
        )
    return script


def static_extract(code: str, _script_id: str) -> list[dict]:
    """``@DFF.API`` functions found by reading the code (no execution): for tests and tools."""
    return [
        {
            "name": f.name,
            "title": f.title or f.name,
            "args": f.args,
            "doc": f.doc,
            "accepts_var_kwargs": f.accepts_var_kwargs,
            "line": f.line,
        }
        for f in code_outline.outline(code)
        if f.is_api
    ]


def publish(
    session: Session,
    script: Script,
    note: object,
    *,
    username: str | None,
    now: datetime,
    extract: Callable[[str, str], list[dict]] = static_extract,
) -> tuple[ScriptRevision, list[dict]]:
    """Copy the draft into a new immutable revision and replace the script's published functions.

    The draft must compile and ``extract`` (normally: run the top level in the sandbox and
    collect the ``@DFF.API`` functions) must succeed; otherwise nothing changes.
    """
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        raise ServiceError(
            "invalid_note",
            N_("The note must be text of at most %(n)s characters."),
            field="note",
            params={"n": MAX_NOTE_LENGTH},
        )
    code = script.draft_code
    check_compiles(code, script.id)
    funcs = extract(code, script.id)
    current = latest_revision(session, script.id)
    revision = ScriptRevision(
        script_id=script.id,
        version=(current.version + 1) if current else 1,
        code=code,
        md5=script.draft_md5,
        note=note.strip(),
        published_at=now,
        published_by=username,
    )
    session.add(revision)
    try:
        session.flush()
    except IntegrityError:  # another publish took this version number first
        session.rollback()
        raise ServiceError(
            "publish_conflict",
            N_("Someone else published this script at the same moment; try again."),
            status=409,
        ) from None
    funcs_service.replace_for_script(session, script.id, revision.version, funcs, now)
    script.updated_at = now
    return revision, funcs


def restore(
    session: Session,
    script: Script,
    version: int,
    *,
    base_md5: object = None,
    username: str | None,
    now: datetime,
) -> Script:
    """Put revision ``version``'s code into the draft (conflict-checked when base_md5 is given)."""
    revision = get_revision(session, script.id, version)
    return save_draft(
        session,
        script,
        revision.code,
        base_md5 if base_md5 is not None else script.draft_md5,
        username=username,
        now=now,
    )


def delete_script(session: Session, script: Script) -> None:
    session.delete(script)
    session.flush()


# --- diff -------------------------------------------------------------------------------------


MAX_VERSION = 2**62  # versions are counted from 1; nothing near this is ever real


def parse_version_ref(value: object, field: str) -> int | str:
    """``"draft"``, ``"published"`` or a version number; anything else is a 400 naming ``field``."""
    if value in (DRAFT, PUBLISHED):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_VERSION:
        return value
    raise ServiceError(
        "invalid_version",
        N_("%(field)s must be 'draft', 'published' or a version number."),
        field=field,
        params={"field": field},
    )


def code_at(session: Session, script: Script, ref: int | str) -> tuple[str, str]:
    """(label, code) of a version reference."""
    if ref == DRAFT:
        return DRAFT, script.draft_code
    if ref == PUBLISHED:
        latest = latest_revision(session, script.id)
        return (f"v{latest.version}", latest.code) if latest else ("(unpublished)", "")
    revision = get_revision(session, script.id, int(ref))
    return f"v{revision.version}", revision.code


def unified_diff(old: str, new: str, old_label: str, new_label: str, context: int = 3) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
            n=context,
        )
    )


def diff(session: Session, script: Script, from_ref: int | str, to_ref: int | str) -> dict:
    from_label, from_code = code_at(session, script, from_ref)
    to_label, to_code = code_at(session, script, to_ref)
    return {
        "from": from_label,
        "to": to_label,
        "from_code": from_code,
        "to_code": to_code,
        "diff": unified_diff(from_code, to_code, from_label, to_label),
    }
