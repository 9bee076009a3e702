"""Imports waiting for their confirmation, and the restore points made before one is applied.

Both are files in the data directory (``imports/`` and ``restore-points/``): every process of
the app on this host sees them, and a staged import is nothing but a JSON file that expires.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from webapp.services.errors import N_, ServiceError
from webapp.services.script_set_transfer import Bundle

STAGED_MINUTES = 30
CONFIRM_ID = re.compile(r"^[a-f0-9]{32}$")
NOT_WAITING = N_(
    "This import is no longer waiting (it was confirmed, or 30 minutes passed): upload it again."
)
RESTORE_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[a-f0-9]{8}\.zip$")


def stage(data_dir: Path, bundle: Bundle, now: datetime) -> str:
    folder = data_dir / "imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    for old in folder.glob("*.json"):  # forget what expired long ago
        if now.timestamp() - old.stat().st_mtime > STAGED_MINUTES * 60 * 4:
            old.unlink(missing_ok=True)
    confirm_id = secrets.token_hex(16)
    body = {
        "expires": (now + timedelta(minutes=STAGED_MINUTES)).timestamp(),
        "bundle": bundle.to_json(),
    }
    path = folder / f"{confirm_id}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    os.chmod(path, 0o600)
    return confirm_id


def take(data_dir: Path, confirm_id: object, now: datetime) -> Bundle:
    """The staged import (removed from staging), or a 400 when it is unknown or expired."""
    if not isinstance(confirm_id, str) or not CONFIRM_ID.match(confirm_id):
        raise ServiceError(
            "invalid_confirm_id",
            N_("confirm_id is not an import waiting here."),
            field="confirm_id",
        )
    path = data_dir / "imports" / f"{confirm_id}.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ServiceError(
            "ConfirmingImportTimeout",
            NOT_WAITING,
            field="confirm_id",
        ) from None
    path.unlink(missing_ok=True)
    if body.get("expires", 0) < now.timestamp():
        raise ServiceError(
            "ConfirmingImportTimeout",
            NOT_WAITING,
            field="confirm_id",
        )
    return Bundle.from_json(body["bundle"])


def save_restore_point(data_dir: Path, content: bytes, now: datetime) -> str:
    folder = data_dir / "restore-points"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}.zip"
    path = folder / name
    path.write_bytes(content)
    os.chmod(path, 0o600)
    return name


def restore_points(data_dir: Path) -> list[tuple[str, int]]:
    """(name, bytes) of each restore point, newest first."""
    folder = data_dir / "restore-points"
    if not folder.is_dir():
        return []
    found = [(p.name, p.stat().st_size) for p in folder.iterdir() if RESTORE_NAME.match(p.name)]
    return sorted(found, reverse=True)


def restore_point_path(data_dir: Path, name: str) -> Path | None:
    if not RESTORE_NAME.match(name or ""):
        return None
    path = data_dir / "restore-points" / name
    return path if path.is_file() else None
