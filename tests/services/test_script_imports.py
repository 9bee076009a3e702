"""Which published scripts travel with a run: followed from the import statements, the
same-set form resolved, drafts and unpublished scripts never sent."""

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import script_imports
from webapp.services import scripts as script_service


def test_resolving_import_names():
    assert script_imports.resolve("demo__utils", "demo__main") == "demo__utils"
    assert script_imports.resolve("__utils", "demo__main") == "demo__utils"
    assert script_imports.resolve("other__x.sub", "demo__main") == "other__x"
    assert script_imports.resolve("__utils", "plain") is None  # no set to be the same as
    for name in ("json", "__future__", "__main__", "requests"):
        assert script_imports.resolve(name, "demo__main") is None


def test_the_published_code_of_every_script_reached_and_nothing_else(app_ctx, make_script):
    make_script("lib__base", code="BASE = 'published base'\n", publish=1)
    make_script("lib__mid", code="import __base\nMID = 1\n", publish=1)
    make_script("lib__draft_only", code="SECRET = 'never published'\n")
    make_script("lib__loop", code="import lib__mid\nimport lib__loop\n", publish=1)
    # A later draft of a published script is not what imports get.
    base = script_service.get_script(db.session, "lib__base")
    script_service.save_draft(
        db.session, base, "BASE = 'draft secret'\n", base.draft_md5, username="bob", now=utcnow()
    )
    db.session.commit()
    code = (
        "import lib__mid\nimport lib__loop\nimport lib__draft_only\nimport lib__missing\n"
        "def f():\n    from lib__base import BASE\n"
    )
    modules = script_imports.modules_for(db.session, "lib__main", code)
    assert sorted(modules) == ["lib__base", "lib__loop", "lib__mid"]
    assert modules["lib__base"] == "BASE = 'published base'\n"
    assert "draft secret" not in "".join(modules.values())


def test_an_import_cycle_through_the_entry_script_terminates(app_ctx, make_script):
    make_script("ring__a", code="import ring__b\n", publish=1)
    make_script("ring__b", code="import ring__a\n", publish=1)
    assert sorted(script_imports.modules_for(db.session, "ring__a", "import ring__b\n")) == [
        "ring__b"
    ]
