"""The scripts service alone: no HTTP, a real SQLite session."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import ScriptRevision
from webapp.services import funcs as funcs_service
from webapp.services import scripts as service
from webapp.services.errors import ServiceError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def create(script_id="demo", code="x = 1\n", **kw):
    script = service.create_script(
        db.session, script_id, kw.pop("title", "Demo"), code=code, username="admin", now=NOW, **kw
    )
    db.session.commit()
    return script


@pytest.mark.parametrize(
    "bad", ["", "__utils", "demo__1x", "1abc", "a-b", "a b", "x" * 65, "é", None, 5]
)
def test_create_rejects_bad_ids(app_ctx, bad):
    with pytest.raises(ServiceError) as info:
        create(bad)
    assert info.value.field == "id"
    assert info.value.status == 400


def test_create_accepts_identifier_slugs(app_ctx):
    for script_id in ["a", "_private", "collector_2", "x" * 64]:
        assert create(script_id).id == script_id


def test_duplicate_id_is_a_conflict(app_ctx):
    create("demo")
    with pytest.raises(ServiceError) as info:
        create("demo")
    assert info.value.status == 409
    assert info.value.code == "script_exists"


def test_code_over_one_mebibyte_is_413(app_ctx):
    with pytest.raises(ServiceError) as info:
        create(code="#" * (service.MAX_CODE_BYTES + 1))
    assert info.value.status == 413
    assert info.value.field == "code"
    # Exactly the limit is fine; multi-byte characters count as bytes.
    assert create("ok", code="#" * service.MAX_CODE_BYTES).draft_md5
    with pytest.raises(ServiceError):
        create("cjk", code="中" * (service.MAX_CODE_BYTES // 3 + 1))


def test_save_draft_requires_the_current_md5(app_ctx):
    script = create(code="a = 1\n")
    first_md5 = script.draft_md5
    service.save_draft(db.session, script, "a = 2\n", first_md5, username="bob", now=NOW)
    db.session.commit()
    assert script.draft_code == "a = 2\n"
    assert script.draft_md5 == service.code_md5("a = 2\n")

    # A second tab still holding the first md5 must not overwrite bob's save.
    with pytest.raises(ServiceError) as info:
        service.save_draft(db.session, script, "a = 3\n", first_md5, username="eve", now=NOW)
    assert info.value.status == 409
    assert info.value.code == "draft_conflict"
    assert info.value.extra["current_md5"] == service.code_md5("a = 2\n")
    assert info.value.extra["current_code"] == "a = 2\n"
    assert info.value.extra["updated_by"] == "bob"
    db.session.rollback()
    assert db.session.get(type(script), "demo").draft_code == "a = 2\n"


def test_saving_identical_code_is_a_no_op_even_with_stale_md5(app_ctx):
    script = create(code="a = 1\n")
    service.save_draft(db.session, script, "a = 1\n", "stale", username="x", now=NOW)
    assert script.draft_code == "a = 1\n"


def test_publish_appends_immutable_revisions(app_ctx):
    script = create(code="a = 1\n")
    rev1, _ = service.publish(db.session, script, "first", username="admin", now=NOW)
    service.save_draft(db.session, script, "a = 2\n", script.draft_md5, username="a", now=NOW)
    rev2, _ = service.publish(
        db.session, script, "second", username="admin", now=NOW + timedelta(minutes=1)
    )
    db.session.commit()
    assert (rev1.version, rev2.version) == (1, 2)
    assert rev1.code == "a = 1\n" and rev2.code == "a = 2\n"
    assert [r.version for r in service.list_revisions(db.session, "demo")] == [2, 1]

    rev1.code = "tampered"
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    assert (
        db.session.scalar(db.select(ScriptRevision.code).where(ScriptRevision.version == 1))
        == "a = 1\n"
    )


def test_publish_with_syntax_error_reports_line_and_changes_nothing(app_ctx):
    script = create(code="def f():\n    return 1\n\ndef g(:\n    pass\n")
    with pytest.raises(ServiceError) as info:
        service.publish(db.session, script, "", username="admin", now=NOW)
    assert info.value.code == "syntax_error"
    assert info.value.extra["line"] == 4
    assert info.value.extra["column"] >= 1
    db.session.rollback()
    assert service.list_revisions(db.session, "demo") == []


def test_publish_lists_dff_api_functions(app_ctx):
    code = (
        "@DFF.API('Say hi', category='demo')\n"
        "def hi(name, greeting='hello'):\n"
        "    '''Greets.'''\n"
        "    return greeting + name\n\n"
        "def helper():\n    pass\n"
    )
    script = create(code=code)
    _rev, funcs = service.publish(db.session, script, None, username="admin", now=NOW)
    assert [(f["name"], f["title"]) for f in funcs] == [("hi", "Say hi")]
    assert funcs[0]["args"] == [
        {"name": "name", "has_default": False, "default": None},
        {"name": "greeting", "has_default": True, "default": "hello"},
    ]
    assert funcs[0]["doc"] == "Greets."
    assert [f.id for f in funcs_service.list_funcs(db.session)] == ["demo.hi"]


def test_publish_rejects_an_oversized_note(app_ctx):
    script = create()
    with pytest.raises(ServiceError) as info:
        service.publish(db.session, script, "n" * 2001, username="a", now=NOW)
    assert info.value.field == "note"


def test_restore_puts_old_code_into_the_draft(app_ctx):
    script = create(code="v1\n")
    service.publish(db.session, script, "", username="a", now=NOW)
    service.save_draft(db.session, script, "v2\n", script.draft_md5, username="a", now=NOW)
    service.publish(db.session, script, "", username="a", now=NOW)
    service.restore(db.session, script, 1, username="a", now=NOW)
    db.session.commit()
    assert script.draft_code == "v1\n"
    assert len(service.list_revisions(db.session, "demo")) == 2  # restoring publishes nothing
    with pytest.raises(ServiceError) as info:
        service.restore(db.session, script, 9, username="a", now=NOW)
    assert info.value.status == 404


def test_restore_with_stale_base_is_a_conflict(app_ctx):
    script = create(code="v1\n")
    service.publish(db.session, script, "", username="a", now=NOW)
    old_md5 = script.draft_md5
    service.save_draft(db.session, script, "v2\n", old_md5, username="a", now=NOW)
    service.save_draft(db.session, script, "v3\n", script.draft_md5, username="a", now=NOW)
    with pytest.raises(ServiceError) as info:
        service.restore(db.session, script, 1, base_md5=old_md5, username="a", now=NOW)
    assert info.value.code == "draft_conflict"


def test_list_scripts_marks_unpublished_changes(app_ctx):
    never = create("never")
    clean = create("clean")
    service.publish(db.session, clean, "", username="a", now=NOW)
    dirty = create("dirty", code="a\n")
    service.publish(db.session, dirty, "", username="a", now=NOW)
    service.publish(db.session, dirty, "", username="a", now=NOW)
    service.save_draft(db.session, dirty, "b\n", dirty.draft_md5, username="a", now=NOW)
    db.session.commit()
    rows = {s.script.id: s for s in service.list_scripts(db.session)}
    assert rows["never"].published_version is None and rows["never"].has_unpublished_changes
    assert rows["clean"].published_version == 1 and not rows["clean"].has_unpublished_changes
    assert rows["dirty"].published_version == 2 and rows["dirty"].has_unpublished_changes
    assert never.id == "never"


def test_diff_between_versions_and_draft(app_ctx):
    script = create(code="a = 1\nb = 2\n")
    service.publish(db.session, script, "", username="a", now=NOW)
    service.save_draft(
        db.session, script, "a = 1\nb = 3\n", script.draft_md5, username="a", now=NOW
    )
    result = service.diff(db.session, script, 1, service.DRAFT)
    assert result["diff"].splitlines() == [
        "--- v1",
        "+++ draft",
        "@@ -1,2 +1,2 @@",
        " a = 1",
        "-b = 2",
        "+b = 3",
    ]
    published = service.diff(db.session, script, service.PUBLISHED, service.DRAFT)
    assert published["from"] == "v1"
    assert service.diff(db.session, script, 1, 1)["diff"] == ""


@pytest.mark.parametrize("bad", ["0", "-1", "v1", "", "latest", 0, True, 1.5])
def test_version_refs_are_validated(bad):
    with pytest.raises(ServiceError) as info:
        service.parse_version_ref(bad, "from")
    assert info.value.field == "from"


def test_update_and_delete(app_ctx):
    script = create()
    service.publish(db.session, script, "", username="a", now=NOW)
    service.update_script(db.session, script, title="  New title ", description="d", now=NOW)
    assert script.title == "New title"
    with pytest.raises(ServiceError) as info:
        service.update_script(db.session, script, title="   ", now=NOW)
    assert info.value.field == "title"
    db.session.rollback()
    service.delete_script(db.session, service.get_script(db.session, "demo"))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(ScriptRevision.id))) == 0
