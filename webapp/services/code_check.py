"""Checks for the editor while the user types: pyflakes diagnostics and the function outline."""

from __future__ import annotations

import ast
from typing import Any

from pyflakes import checker, messages

from webapp.services.code_outline import outline

# Names every script has without importing them (see webapp/runner/harness.py).
SCRIPT_BUILTINS = {"DFF", "_DFF_FUNC_ID", "_DFF_ORIGIN", "_DFF_TRIGGER_TIME", "_DFF_CRON_EXPR"}
WARNINGS = (
    messages.UnusedImport,
    messages.UnusedVariable,
    messages.RedefinedWhileUnused,
    messages.ImportShadowedByLoopVar,
    messages.ImportStarUsed,
    messages.UnusedAnnotation,
)


def check(code: str, filename: str = "<script>") -> dict[str, Any]:
    """``{"diagnostics": [...], "funcs": [...]}``; a syntax error is one diagnostic and leaves
    ``funcs`` None (unknown: the editor keeps the list it had while the user is mid-edit)."""
    try:
        tree = ast.parse(code, filename=filename)
    except SyntaxError as exc:
        return {
            "diagnostics": [
                {
                    "line": exc.lineno or 1,
                    "column": max((exc.offset or 1), 1),
                    "end_line": exc.end_lineno,
                    "end_column": exc.end_offset,
                    "severity": "error",
                    "message": f"SyntaxError: {exc.msg}",
                }
            ],
            "funcs": None,
        }
    found = checker.Checker(tree, filename=filename, builtins=SCRIPT_BUILTINS)
    diagnostics = [
        {
            "line": message.lineno,
            "column": (message.col or 0) + 1,
            "end_line": None,
            "end_column": None,
            "severity": "warning" if isinstance(message, WARNINGS) else "error",
            "message": message.message % message.message_args,
        }
        for message in sorted(found.messages, key=lambda m: (m.lineno, m.col))
    ]
    return {"diagnostics": diagnostics, "funcs": [f.to_dict() for f in outline(code)]}
