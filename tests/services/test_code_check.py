from webapp.services.code_check import check


def test_pyflakes_diagnostics_know_the_script_builtins():
    result = check(
        "import os\nimport json\n\ndef f():\n    print(DFF.ENV('a'), _DFF_ORIGIN)\n    return json.dumps(nope)\n"
    )
    assert [(d["line"], d["severity"], d["message"]) for d in result["diagnostics"]] == [
        (1, "warning", "'os' imported but unused"),
        (6, "error", "undefined name 'nope'"),
    ]
    assert result["diagnostics"][1]["column"] == 23
    assert [f["name"] for f in result["funcs"]] == ["f"]


def test_syntax_error_is_one_diagnostic_and_no_outline():
    result = check("def f(:\n    pass\n")
    (diagnostic,) = result["diagnostics"]
    assert diagnostic["line"] == 1 and diagnostic["severity"] == "error"
    assert diagnostic["message"].startswith("SyntaxError")
    assert result["funcs"] is None
