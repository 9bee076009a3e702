"""The Packages page's API: what is installed, pip jobs (install, uninstall) and their output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from flask import Flask, current_app, jsonify
from flask_login import current_user
from pydantic import Field

from webapp.extensions import db
from webapp.models import ScriptSet
from webapp.runner.service import get_runner
from webapp.services import packages as service
from webapp.services.errors import N_, NotFound, ServiceError
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, Query, operation

TAG = "packages"
JOB = {"job_id": fields.text(32, N_("A package job id."), pattern=r"^[0-9a-f]{32}$")}
Requirement = Annotated[str, Field(max_length=200)]


class InstallBody(Body):
    packages: fields.text(
        20_000,
        N_(
            "What to install: a requirements text, one per line, each a package name with an "
            "optional version, like arrow==1.3 or requests>=2.31."
        ),
    )


class UninstallBody(Body):
    names: list[Requirement] = Field(
        max_length=service.MAX_REQUIREMENTS, description=N_("Installed package names.")
    )


class JobQuery(Query):
    offset: int = Field(0, ge=0, description=N_("Send pip's output from this character on."))


def _admin_only() -> None:
    if not getattr(current_user, "is_admin", False):
        raise ServiceError(
            "forbidden", N_("Only administrators may install or remove packages."), status=403
        )


def packages_folder() -> Path:
    folder = current_app.config.get("FUNCPAD_USER_PACKAGES")
    if not folder:
        raise ServiceError(
            "packages_off",
            N_("Installing packages is turned off here (FUNCPAD_USER_PACKAGES=off)."),
            status=409,
        )
    return Path(folder)


def _in_session(app: Flask) -> service.InSession:
    def in_session(work):
        with app.app_context():
            try:
                result = work(db.session)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return in_session


def start_job(action: str, requested: list[str]):
    """Record a running job, commit it, then run it in a thread of this process."""
    folder = packages_folder()
    job = service.start(db.session, action, requested, current_user.username)
    db.session.commit()
    sandbox = get_runner().sandbox
    app = current_app._get_current_object()
    job_id = job.id
    service.start_in_background(
        lambda: service.execute(job_id, action, requested, folder, sandbox, _in_session(app))
    )
    return jsonify(service.job_view(job)), 202


@api.get("/packages")
@operation(N_("Installed packages"), tag=TAG, responses={200: shapes.Packages})
def list_packages():
    """The Packages folder's packages and the runtime's own (which win on a conflict)."""
    shown = service.overview(
        db.session,
        current_app.config.get("FUNCPAD_USER_PACKAGES"),
        current_app.config["FUNCPAD_SANDBOX_PACKAGES"],
    )
    db.session.commit()  # a job found dead is recorded as such
    shown.pop("running")
    return jsonify(shown)


@api.post("/packages/install")
@operation(
    N_("Install packages"),
    tag=TAG,
    body=InstallBody,
    responses={202: shapes.PackageJob, 403: shapes.Error, 409: shapes.Error},
)
def install_packages(body: InstallBody):
    """Start pip (sandboxed, as its own uid, with network) on the requirements; poll the job."""
    _admin_only()
    return start_job("install", service.parse_requested(body.packages))


@api.post("/packages/uninstall")
@operation(
    N_("Uninstall packages"),
    tag=TAG,
    body=UninstallBody,
    responses={202: shapes.PackageJob, 403: shapes.Error, 409: shapes.Error},
)
def uninstall_packages(body: UninstallBody):
    _admin_only()
    names = service.parse_installed_names(body.names, packages_folder())
    return start_job("uninstall", names)


@api.post("/script-sets/<set_id>/install-requirements")
@operation(
    N_("Install a script set's requirements"),
    tag=TAG,
    path={"set_id": fields.ScriptSetId},
    responses={202: shapes.PackageJob, 403: shapes.Error, 404: shapes.Error, 409: shapes.Error},
)
def install_set_requirements(set_id: str):
    """The requirements text a DataFlux Func export gave the set, installed in one job."""
    _admin_only()
    script_set = db.session.get(ScriptSet, set_id)
    if script_set is None:
        raise NotFound(N_("No script set %(id)s."), id=set_id)
    if not (script_set.requirements or "").strip():
        raise ServiceError(
            "no_requirements", N_("This script set lists no requirements."), field="requirements"
        )
    return start_job("install", service.parse_requested(script_set.requirements, "requirements"))


@api.get("/packages/jobs/<job_id>")
@operation(
    N_("A package job"),
    tag=TAG,
    path=JOB,
    query=JobQuery,
    responses={200: shapes.PackageJob, 404: shapes.Error},
)
def get_package_job(job_id: str, query: JobQuery):
    """The job and pip's output from ``offset`` on: poll until status is not running."""
    return jsonify(service.job_view(service.get_job(db.session, job_id), query.offset))
