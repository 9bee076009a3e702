"""The Script API reference cannot drift from the SDK: every public member is documented with
an example, the built-in variables are the harness's, the prose is in the catalogue and
translated, and the page shows all of it."""

from __future__ import annotations

from babel.messages.pofile import read_po

from tests.conftest import ROOT, log_in
from webapp.runner import harness
from webapp.sdk import datakit, dff
from webapp.views import script_reference, script_reference_texts


def test_every_public_sdk_member_has_a_summary_and_an_example():
    assert script_reference.undocumented() == []
    entries = {e.anchor for s in script_reference.reference() for e in s.entries}
    for name in script_reference.public_members(dff.DFFNamespace):
        assert f"DFF.{name}" in entries or any(
            f"DFF.{name}" in e.aliases for s in script_reference.reference() for e in s.entries
        ), name
    for name in script_reference.public_members(datakit.DataKit):
        assert f"datakit.{name}" in entries or any(
            f".{name}" in e.aliases for s in script_reference.reference() for e in s.entries
        ), name


def test_a_member_without_docs_is_reported():
    class Helper:
        def documented(self):
            """Does a thing.

            Example:
                Helper().documented()
            """

        def bare(self):
            pass

        def no_example(self):
            """Does another thing."""

    assert script_reference.undocumented(Helper) == ["Helper.bare", "Helper.no_example"]


def test_aliases_are_shown_with_their_function_not_twice():
    sections = {s.key: s for s in script_reference.reference()}
    src = next(e for e in sections["dff"].entries if e.anchor == "DFF.SRC")
    assert src.aliases == ["DFF.CONN"]
    assert not any(e.anchor == "DFF.CONN" for e in sections["dff"].entries)
    write_metric = next(
        e for e in sections["datakit"].entries if e.anchor == "datakit.write_metric"
    )
    assert write_metric.aliases == [".write_point"]
    assert (
        write_metric.signature
        == "(measurement, tags=None, fields=None, timestamp=None, headers=None)"
    )
    assert write_metric.example.startswith("datakit = DFF.SRC")


def test_the_built_in_variables_are_the_ones_the_harness_sets():
    names = {
        k
        for k in harness.build_globals({"context": {}}, dff.DFFNamespace(), "<x>")
        if k.startswith("_DFF_")
    }
    assert names == set(dff.BUILTIN_VARIABLES)


def test_the_prose_is_marked_for_translation_and_translated():
    assert list(script_reference_texts.TEXTS) == script_reference.texts(), (
        "run: python -m webapp.views.script_reference"
    )
    with open(ROOT / "translations/zh/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        t for t in script_reference.texts() if not (catalog.get(t) and catalog.get(t).string)
    ]
    assert untranslated == []


def test_the_page_shows_every_entry_in_both_languages(client):
    log_in(client)
    html = client.get("/docs/scripts").get_data(as_text=True)
    for section in script_reference.reference():
        for entry in section.entries:
            assert f'id="{entry.anchor}"' in html, entry.anchor
    assert "write_metric" in html and "/docs/scripts" not in html.split("<main")[0][:0]
    client.get("/lang/zh")
    chinese = client.get("/docs/scripts").get_data(as_text=True)
    assert "写入一个指标数据点" in chinese
