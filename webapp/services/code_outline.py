"""Static outline of a script: its top-level functions, read with ``ast`` (nothing is executed)."""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FuncOutline:
    name: str
    line: int
    args: list[dict[str, Any]] = field(default_factory=list)
    accepts_var_kwargs: bool = False
    doc: str | None = None
    is_api: bool = False
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _literal(node: ast.AST | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.unparse(node)


def _is_dff_api(decorator: ast.expr) -> ast.Call | None:
    """Return the call node of ``@DFF.API(...)`` (the only decorator that publishes)."""
    if isinstance(decorator, ast.Call):
        target = decorator.func
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "API"
            and isinstance(target.value, ast.Name)
            and target.value.id == "DFF"
        ):
            return decorator
    return None


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[dict[str, Any]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out = [
        {"name": a.arg, "has_default": d is not None, "default": _literal(d)}
        for a, d in zip(positional, defaults, strict=True)
    ]
    out += [
        {"name": a.arg, "has_default": d is not None, "default": _literal(d)}
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return out


def outline(code: str) -> list[FuncOutline]:
    """Top-level function definitions of ``code``; raises ``SyntaxError`` if it does not parse."""
    tree = ast.parse(code)
    funcs: list[FuncOutline] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        api_call = next(filter(None, map(_is_dff_api, node.decorator_list)), None)
        title = None
        if api_call is not None:
            title_node = api_call.args[0] if api_call.args else None
            title_node = title_node or next(
                (k.value for k in api_call.keywords if k.arg == "title"), None
            )
            title = _literal(title_node) if title_node is not None else None
        funcs.append(
            FuncOutline(
                name=node.name,
                line=node.lineno,
                args=_signature(node),
                accepts_var_kwargs=node.args.kwarg is not None,
                doc=ast.get_docstring(node),
                is_api=api_call is not None,
                title=title if isinstance(title, str) else None,
            )
        )
    return funcs
