"""The Packages page's rules: what may be asked of pip, one job at a time, its output kept as it
comes, and what is installed. DataFlux Func's PIP tool, with pip in a sandbox of its own
(``runner.installer``).

Packages go to one folder (``FUNCPAD_USER_PACKAGES``) that every run appends to ``sys.path``
after the runtime's own packages, so these never shadow the platform's pinned set.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import PackageJob
from webapp.runner import installer
from webapp.runner.packages import installed
from webapp.services.errors import N_, NotFound, ServiceError

MAX_REQUIREMENTS = 50
MAX_OUTPUT_CHARS = 200_000  # the head and the tail of pip's output are kept
FLUSH_SECONDS = 0.4
STALE_AFTER = timedelta(seconds=installer.TIMEOUT_SECONDS + 120)  # its process died

InSession = Callable[[Callable[[Session], Any]], Any]  # runs fn(session) and commits


def _bad(message: str, at: str = "packages", **params: Any) -> ServiceError:
    return ServiceError("invalid_packages", message, field=at, params=params)


def parse_requested(raw: object, field: str = "packages") -> list[str]:
    """Requirements from a requirements text or a list: ``name``, ``name==1.2``, ``name>=1,<2``,
    extras and markers; comments and blank lines dropped. pip options (``-r``,
    ``--index-url``...), URLs and paths are refused: the registry is the machine's."""
    if isinstance(raw, str):
        parts = raw.replace(",\n", "\n").splitlines()
    elif isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        parts = raw
    else:
        raise _bad(
            N_("%(field)s must be a requirements text or a list of them."), field, field=field
        )
    wanted: list[str] = []
    for line in parts:
        text = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not text:
            continue
        if text.startswith("-"):
            raise _bad(N_("pip options are not accepted: %(line)s"), field, line=text[:80])
        if len(text) > 200:
            raise _bad(N_("A requirement is longer than 200 characters."), field)
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise _bad(
                N_("%(line)s is not a package name with an optional version (like arrow==1.3)."),
                field,
                line=text[:80],
            ) from None
        if requirement.url:
            raise _bad(N_("URLs and paths are not accepted: %(line)s"), field, line=text[:80])
        wanted.append(str(requirement))
    if not wanted:
        raise _bad(N_("Name at least one package to install."), field)
    if len(wanted) > MAX_REQUIREMENTS:
        raise _bad(N_("At most %(n)s packages at a time."), field, n=MAX_REQUIREMENTS)
    return wanted


def parse_installed_names(raw: object, folder: Path) -> list[str]:
    """The package names to uninstall, each one that is installed in ``folder``."""
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise _bad(N_("names must be a list of installed package names."), "names")
    present = {canonicalize_name(name): name for name, _ in installed(str(folder))}
    names = []
    for name in raw:
        if canonicalize_name(name) not in present:
            raise _bad(N_("%(name)s is not installed here."), "names", name=name[:80])
        names.append(present[canonicalize_name(name)])
    return names


def listing(folder: Path) -> list[dict[str, str]]:
    return [{"name": name, "version": version} for name, version in installed(str(folder))]


def overview(session: Session, folder: str | None, runtime_dir: str | None) -> dict[str, Any]:
    """What the Packages page and ``GET /api/v1/packages`` show: the folder's packages, the
    runtime's own, the job running (one long dead is marked failed) and the recent ones."""
    running = running_job(session)
    return {
        "folder": folder,
        "installed": listing(Path(folder)) if folder else [],
        "runtime": [{"name": n, "version": v} for n, v in installed(runtime_dir)],
        "running_job": running.id if running else None,
        "recent_jobs": [job_view(job, offset=10**9) for job in recent_jobs(session)],
        "running": job_view(running) if running else None,
    }


# --- jobs ---------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def running_job(session: Session, now: datetime | None = None) -> PackageJob | None:
    """The job still running, if any (one whose process died long ago is marked failed)."""
    now = now or _now()
    job = session.scalars(
        select(PackageJob).where(PackageJob.status == "running").order_by(PackageJob.started_at)
    ).first()
    if job is not None and job.started_at < now - STALE_AFTER:
        job.status, job.finished_at = "failure", now
        job.summary = "interrupted: the process running it ended"
        return None
    return job


def start(session: Session, action: str, requested: list[str], user: str | None) -> PackageJob:
    """A new running job; 409 while another one runs (pip shares one folder)."""
    busy = running_job(session)
    if busy is not None:
        raise ServiceError(
            "package_job_running",
            N_("Another package job is running (%(id)s): wait for it to end."),
            status=409,
            params={"id": busy.id},
            extra={"job_id": busy.id},
        )
    job = PackageJob(
        id=uuid.uuid4().hex,
        action=action,
        requested="\n".join(requested),
        status="running",
        output="",
        summary="",
        started_by=user,
        started_at=_now(),
    )
    session.add(job)
    return job


def get_job(session: Session, job_id: str) -> PackageJob:
    job = session.get(PackageJob, job_id)
    if job is None:
        raise NotFound(N_("No package job %(id)s."), id=job_id)
    return job


def recent_jobs(session: Session, limit: int = 10) -> list[PackageJob]:
    return list(
        session.scalars(select(PackageJob).order_by(PackageJob.started_at.desc()).limit(limit))
    )


def job_view(job: PackageJob, offset: int = 0) -> dict[str, Any]:
    """The job, with its output from character ``offset`` on (for polling)."""
    return {
        "id": job.id,
        "action": job.action,
        "requested": job.requested.splitlines(),
        "status": job.status,
        "summary": job.summary,
        "started_by": job.started_by,
        "started_at": job.started_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "output": job.output[offset:],
        "output_length": len(job.output),
    }


class _Output:
    """pip's lines, written to the job row at most every FLUSH_SECONDS."""

    def __init__(self, job_id: str, in_session: InSession) -> None:
        self.job_id, self.in_session = job_id, in_session
        self.pending: list[str] = []
        self.length = 0
        self.flushed_at = time.monotonic()

    def line(self, text: str) -> None:
        self.pending.append(text + "\n")
        if time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        chunk, self.pending = "".join(self.pending), []
        self.flushed_at = time.monotonic()

        def write(session: Session) -> None:
            job = session.get(PackageJob, self.job_id)
            text = job.output + chunk
            if len(text) > MAX_OUTPUT_CHARS:  # keep the start (what was asked) and the end
                head = MAX_OUTPUT_CHARS // 4
                text = text[:head] + "\n[...]\n" + text[-(MAX_OUTPUT_CHARS - head) :]
            job.output = text

        self.in_session(write)


def execute(
    job_id: str,
    action: str,
    requested: list[str],
    folder: Path,
    sandbox: Any,
    in_session: InSession,
) -> None:
    """Run the job to its end and record the outcome; never raises."""
    output = _Output(job_id, in_session)
    status, summary = "failure", ""
    try:
        installer.prepare_folder(folder, sandbox)
        if action == "install":
            output.line("$ pip install " + " ".join(requested))
            code = installer.pip(
                sandbox,
                folder,
                ["install", "--target", installer.INSTALL_MOUNT, "--upgrade", *requested],
                output.line,
            )
            status = "success" if code == 0 else "failure"
            summary = (
                "installed: " + ", ".join(requested)
                if code == 0
                else ("pip ran out of time" if code == -9 else f"pip failed (exit status {code})")
            )
        else:
            for name in requested:
                removed = remove_distribution(folder, name)
                output.line(f"removed {name}: {removed} files")
            status, summary = "success", "uninstalled: " + ", ".join(requested)
    except Exception as error:  # recorded, not raised: the thread has no one to tell
        output.line(f"error: {type(error).__name__}: {error}")
        summary = f"failed: {error}"
    finally:
        output.flush()

        def finish(session: Session) -> None:
            job = session.get(PackageJob, job_id)
            job.status, job.summary, job.finished_at = status, summary[:2000], _now()

        with contextlib.suppress(Exception):
            in_session(finish)


def start_in_background(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, name="package-job", daemon=True)
    thread.start()
    return thread


# --- uninstall ------------------------------------------------------------------------------


def remove_distribution(folder: Path, name: str) -> int:
    """Delete an installed distribution's files (its RECORD) and its ``.dist-info``; only
    paths inside ``folder`` are touched, whatever RECORD says. Returns the files removed."""
    root = folder.resolve()
    wanted = canonicalize_name(name)
    infos = [
        info
        for info in folder.glob("*.dist-info")
        if canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0]) == wanted
    ]
    if not infos:
        raise _bad(N_("%(name)s is not installed here."), "names", name=name)
    removed, dirs = 0, set()
    for info in infos:
        record = info / "RECORD"
        text = record.read_text(encoding="utf-8") if record.is_file() else ""
        for row in csv.reader(text.splitlines()):  # RECORD is CSV: path, hash, size
            if not row or not row[0]:
                continue
            path = folder / row[0]
            parent = path.parent.resolve()
            if parent != root and root not in parent.parents:
                continue  # RECORD names a path outside the folder: never followed
            target = parent / path.name
            if target.is_symlink() or target.is_file():
                target.unlink()
                removed += 1
                dirs.add(parent)
        shutil.rmtree(info)
    for directory in sorted(dirs, key=lambda d: len(d.parts), reverse=True):
        while directory != root and root in directory.parents:  # empty folders, upwards
            try:
                directory.rmdir()
            except OSError:
                break
            directory = directory.parent
    return removed
