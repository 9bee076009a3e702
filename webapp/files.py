"""Files only this process's user may read: the SQLite databases and their WAL/SHM companions."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_sqlite_file(path: str | os.PathLike) -> None:
    """Create ``path`` 0600 if missing and make it (and its companions) 0600 if not.

    SQLite creates its WAL, SHM and journal files with the main file's mode, so creating the
    main file 0600 before SQLite opens it keeps all of them private.
    """
    path = Path(path)
    if str(path) in ("", ":memory:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in SQLITE_COMPANIONS:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", 0o600)
