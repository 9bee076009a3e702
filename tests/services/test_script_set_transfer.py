"""Export and import in DataFlux Func's format: the zip's layout, secrets blanked, a round trip
into a fresh instance, zips laid out as DataFlux Func writes them (v2, a wrapping folder, the
older one-file-per-kind layout, v1), replace by id with history kept, and bad zips."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import timedelta

import pytest
import yaml

from tests.conftest import app_config
from webapp import create_app
from webapp.extensions import db
from webapp.models import CrontabConfig, EnvVar, Func, FuncApi, Script, ScriptRevision
from webapp.models.types import utcnow
from webapp.services import connectors as connectors_service
from webapp.services import crontab as crontab_service
from webapp.services import env_vars as env_service
from webapp.services import func_apis as func_apis_service
from webapp.services import import_staging
from webapp.services import script_set_transfer as transfer
from webapp.services import scripts as scripts_service
from webapp.services.errors import ServiceError

UTILS = "def double(n):\n    return n * 2\n"
MAIN = (
    "import ops__utils\n\n@DFF.API('Report')\ndef report(n=1):\n    return ops__utils.double(n)\n"
)


def publish_static(script):
    scripts_service.publish(db.session, script, "", username="admin", now=utcnow())


@pytest.fixture
def populated(app_ctx, make_script):
    make_script("ops__utils", UTILS, publish=1)
    main = make_script("ops__main", MAIN, publish=1)
    main.draft_code = MAIN + "# an unpublished edit\n"
    now = utcnow()
    env_service.create_var(db.session, "REGION", "string", "cn", username="admin", now=now)
    env_service.create_var(db.session, "DB_PASS", "password", "hunter2", username="admin", now=now)
    connectors_service.create_connector(
        db.session, "agent", "datakit", "Agent", {"url": "http://10.0.0.5:9529", "token": "tkn-1"},
        username="admin", now=now,
    )  # fmt: skip
    func_apis_service.save_api(
        db.session, "sync", {"id": "report-api", "func_id": "ops__main.report",
                             "auth": {"type": "httpBasic", "users": [{"username": "u", "password": "p"}]}},
        api=None, username="admin", now=now,
    )  # fmt: skip
    func_apis_service.save_api(
        db.session, "async", {"id": "report-later", "func_id": "ops__main.report"},
        api=None, username="admin", now=now,
    )  # fmt: skip
    crontab_service.create_config(
        db.session, {"id": "nightly", "func_id": "ops__main.report", "crontab": "0 3 * * *",
                     "kwargs": {"n": 2}},
        username="admin", now=now, default_timezone="UTC",
    )  # fmt: skip
    db.session.commit()


def everything() -> transfer.ExportRequest:
    return transfer.ExportRequest(
        script_set_ids=["ops"],
        connector_ids=["agent"],
        env_variable_ids=["REGION", "DB_PASS"],
        include_sync_apis=True,
        include_async_apis=True,
        include_cron_jobs=True,
        note="moving ops",
    )


def test_the_export_is_dataflux_funcs_layout_with_secrets_blanked(populated):
    name, content = transfer.export_zip(db.session, everything(), username="admin", now=utcnow())
    assert name.startswith("dataflux-func-") and name.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == [
        "META.yaml",
        "NOTE.txt",
        "script-sets/ops/main.py",
        "script-sets/ops/utils.py",
    ]
    assert archive.read("script-sets/ops/main.py").decode() == MAIN  # published, not the draft
    meta = yaml.safe_load(archive.read("META.yaml"))
    assert meta["version"] == 2
    (ops,) = meta["scriptSets"]
    assert [s["id"] for s in ops["scripts"]] == ["ops__main", "ops__utils"]
    report = ops["scripts"][0]["funcs"][0]
    assert report["id"] == "ops__main.report" and report["kwargsJSON"] == {"n": {"default": 1}}
    assert meta["connectors"][0]["configJSON"] == {
        "url": "http://10.0.0.5:9529",
        "timeout": 10,
        "token": "",
    }
    variables = {v["id"]: v for v in meta["envVariables"]}
    assert variables["DB_PASS"] == {
        **variables["DB_PASS"],
        "autoTypeCasting": "string",
        "valueTEXT": "",
    }
    assert variables["REGION"]["valueTEXT"] == "cn"
    assert "hunter2" not in content.decode("latin-1") and "tkn-1" not in content.decode("latin-1")
    assert meta["syncAPIs"][0]["apiAuthId"] == "httpBasic"
    assert meta["authLinks"] == meta["syncAPIs"] and meta["batches"] == meta["asyncAPIs"]
    assert meta["crontabConfigs"] == meta["cronJobs"]
    assert meta["cronJobs"][0]["cronExpr"] == "0 3 * * *"
    assert archive.read("NOTE.txt").decode() == "moving ops"


def test_round_trip_into_a_fresh_instance(populated, tmp_path, template_db):
    _name, content = transfer.export_zip(db.session, everything(), username="admin", now=utcnow())
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    shutil.copy(template_db, other_dir / "funcpad.db")
    # Another instance: its own database (SQLite), whichever back-end this test runs on.
    other = create_app(
        app_config(other_dir, FUNCPAD_DATABASE_URL=f"sqlite:///{other_dir / 'funcpad.db'}")
    )
    with other.app_context():
        bundle = transfer.read_zip(content)
        diff = transfer.diff(db.session, bundle)
        assert {e["diffType"] for kind in diff.values() for e in kind} == {"add"}
        result = transfer.apply(
            db.session, bundle, publish=publish_static, username="admin", now=utcnow(),
            default_timezone="UTC",
        )  # fmt: skip
        db.session.commit()
        assert result.failed_scripts == [] and result.skipped == []
        assert db.session.get(Script, "ops__main").draft_code == MAIN
        assert db.session.get(Func, "ops__main.report") is not None
        assert db.session.get(CrontabConfig, "nightly").kwargs == {"n": 2}
        assert db.session.get(EnvVar, "DB_PASS").value == ""  # the secret did not travel
        protected = db.session.get(FuncApi, "report-api")
        assert protected.disabled is True and "without its API auth" in protected.note
        assert db.session.get(FuncApi, "report-later").disabled is False
        assert (
            connectors_service.get_connector(db.session, "agent").config["url"]
            == "http://10.0.0.5:9529"
        )
        db.session.remove()
        db.engine.dispose()


def dff_zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in members.items():
            archive.writestr(path, text)
    return buffer.getvalue()


def test_zips_laid_out_by_dataflux_func(app_ctx):
    """A v2 export inside a wrapping folder, as DataFlux Func writes it (JSON columns as
    text, a markdown script, old key names only)."""
    meta = {
        "version": 2,
        "scriptSets": [{"id": "demo", "title": "Demo", "requirements": "arrow==1.3.0\nsimplejson",
                        "scripts": [{"id": "demo__hello", "title": "Hello", "type": "python"},
                                    {"id": "demo__readme", "type": "markdown"}]}],
        "crontabConfigs": [{"id": "cron-1", "funcId": "demo__hello.hi",
                            "funcCallKwargsJSON": '{"who": "dff"}', "crontab": "*/5 * * * *"}],
        "authLinks": [{"id": "al-1", "funcId": "demo__hello.hi", "funcCallKwargsJSON": "{}"}],
        "extra": {"note": "from DataFlux Func"},
    }  # fmt: skip
    content = dff_zip({
        "export/META.yaml": yaml.safe_dump(meta),
        "export/script-sets/demo/hello.py": "@DFF.API('Hi')\ndef hi(who='x'):\n    return who\n",
        "export/script-sets/demo/readme.md": "# notes",
    })  # fmt: skip
    bundle = transfer.read_zip(content)
    assert [s["id"] for s in bundle.script_sets[0]["scripts"]] == ["demo__hello"]
    assert transfer.requirements(bundle) == {"arrow": "1.3.0", "simplejson": None}
    assert bundle.note == "from DataFlux Func"
    result = transfer.apply(
        db.session, bundle, publish=publish_static, username="admin", now=utcnow(),
        default_timezone="UTC",
    )  # fmt: skip
    db.session.commit()
    assert result.skipped == []
    assert db.session.get(CrontabConfig, "cron-1").kwargs == {"who": "dff"}
    assert db.session.get(FuncApi, "al-1").kind == "sync"


def test_the_older_layouts(app_ctx):
    old = dff_zip({
        "scriptSets.yaml": yaml.safe_dump([{"id": "legacy", "scripts": [
            {"id": "legacy__one", "code": "@DFF.API('One')\ndef one():\n    return 1\n"}]}]),
        "crontabConfigs.yaml": yaml.safe_dump([{"id": "c1", "funcId": "legacy__one.one", "cronExpr": "0 * * * *"}]),
        "envVariables.yaml": yaml.safe_dump([{"id": "MODE", "autoTypeCasting": "integer", "valueTEXT": "3"}]),
    })  # fmt: skip
    bundle = transfer.read_zip(old)
    transfer.apply(
        db.session, bundle, publish=publish_static, username="admin", now=utcnow(),
        default_timezone="UTC",
    )  # fmt: skip
    db.session.commit()
    assert db.session.get(Script, "legacy__one").draft_code.startswith("@DFF.API")
    assert db.session.get(EnvVar, "MODE").type == "integer"
    assert db.session.get(CrontabConfig, "c1").crontab == "0 * * * *"


def test_replace_by_id_keeps_history_and_drops_scripts_not_imported(populated, make_script):
    make_script("ops__extra", "x = 1\n", publish=1)
    db.session.commit()
    _name, content = transfer.export_zip(
        db.session, transfer.ExportRequest(script_set_ids=["ops"]), username="admin", now=utcnow()
    )
    members = dict(
        (n, zipfile.ZipFile(io.BytesIO(content)).read(n))
        for n in zipfile.ZipFile(io.BytesIO(content)).namelist()
    )
    meta = yaml.safe_load(members["META.yaml"])
    meta["scriptSets"][0]["scripts"] = [
        s for s in meta["scriptSets"][0]["scripts"] if s["id"] != "ops__extra"
    ]
    members["META.yaml"] = yaml.safe_dump(meta).encode()
    members["script-sets/ops/main.py"] = (MAIN + "# v2\n").encode()
    bundle = transfer.read_zip(dff_zip({k: v.decode() for k, v in members.items()}))
    diff = transfer.diff(db.session, bundle)
    assert diff["scriptSets"] == [
        {"id": "ops", "title": "ops", "diffType": "replace", "scripts": 2}
    ]
    transfer.apply(
        db.session, bundle, publish=publish_static, username="admin", now=utcnow(),
        default_timezone="UTC",
    )  # fmt: skip
    db.session.commit()
    versions = db.session.scalars(
        db.select(ScriptRevision.version).where(ScriptRevision.script_id == "ops__main")
    ).all()
    assert sorted(versions) == [1, 2]  # the earlier version is still there
    assert db.session.get(Script, "ops__extra") is None


def test_staging_expires_and_restore_points_are_files(tmp_path, app_ctx):
    now = utcnow()
    bundle = transfer.Bundle(note="n")
    confirm_id = import_staging.stage(tmp_path, bundle, now)
    assert import_staging.take(tmp_path, confirm_id, now).note == "n"
    with pytest.raises(ServiceError) as taken_twice:
        import_staging.take(tmp_path, confirm_id, now)
    assert taken_twice.value.code == "ConfirmingImportTimeout"
    late = import_staging.stage(tmp_path, bundle, now)
    with pytest.raises(ServiceError):
        import_staging.take(tmp_path, late, now + timedelta(minutes=31))
    with pytest.raises(ServiceError) as forged:
        import_staging.take(tmp_path, "../../etc/passwd", now)
    assert forged.value.field == "confirm_id"
    name = import_staging.save_restore_point(tmp_path, b"zip", now)
    assert import_staging.restore_points(tmp_path) == [(name, 3)]
    assert import_staging.restore_point_path(tmp_path, "../funcpad.db") is None


def test_bad_zips_are_refused_naming_the_file(app_ctx):
    for content, words in (
        (b"not a zip", "not a zip archive"),
        (dff_zip({"readme.txt": "hi"}), "no META.yaml"),
        (dff_zip({"META.yaml": "a: [unclosed"}), "not valid YAML"),
        (dff_zip({"META.yaml": "version: 2\nscriptSets: 5\n"}), "must be a list"),
    ):
        with pytest.raises(ServiceError) as refused:
            transfer.read_zip(content)
        assert refused.value.field == "file" and words in refused.value.message


def test_a_zip_bomb_stops_at_the_member_limit(app_ctx):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META.yaml", "version: 2\n")
        archive.writestr("script-sets/x/big.py", b"\0" * (transfer.MAX_MEMBER_BYTES + 1))
    assert len(buffer.getvalue()) < 1024 * 1024  # 64 MiB of zeros packs into well under 1 MiB
    with pytest.raises(ServiceError, match="too large"):
        transfer.read_zip(buffer.getvalue())


def test_an_entry_the_services_refuse_is_skipped_not_counted(app_ctx):
    content = dff_zip({
        "META.yaml": yaml.safe_dump({"version": 2, "scriptSets": [], "cronJobs": [
            {"id": "bad-cron", "funcId": "nowhere.f", "cronExpr": "not cron"}],
            "envVariables": [{"id": "OK_VAR", "autoTypeCasting": "string", "valueTEXT": "v"}]}),
    })  # fmt: skip
    result = transfer.apply(
        db.session, transfer.read_zip(content), publish=publish_static, username="admin",
        now=utcnow(), default_timezone="UTC",
    )  # fmt: skip
    assert (result.added, result.replaced) == (1, 0)
    assert len(result.skipped) == 1 and result.skipped[0].startswith("cron job bad-cron: ")
    assert db.session.get(CrontabConfig, "bad-cron") is None
