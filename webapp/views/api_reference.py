"""The readable API page's content, read from the OpenAPI document (so the two cannot differ).

``sections(document)`` turns the document into plain rows for the template: operations grouped
by tag, their parameters and body fields with a one-line type (``string, at most 200``), and
their answers. No Flask here: it is a pure function of the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldRow:
    name: str
    where: str  # path, query, body
    type: str
    required: bool
    description: str = ""


@dataclass
class ResponseRow:
    status: str
    description: str
    schema: str


@dataclass
class OperationRow:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    fields: list[FieldRow] = field(default_factory=list)
    responses: list[ResponseRow] = field(default_factory=list)
    example_body: dict[str, Any] | None = None
    streams: bool = False


@dataclass
class Section:
    tag: str
    operations: list[OperationRow] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(schema: dict[str, Any]) -> str:
    """A short reading of a JSON schema: ``string (≤ 200)``, ``integer (1..1000)``, ``Tag[]``..."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "anyOf" in schema:
        parts = [type_text(s) for s in schema["anyOf"] if s.get("type") != "null"]
        parts = [p for p in parts if p != '""']
        nullable = any(s.get("type") == "null" for s in schema["anyOf"])
        return " | ".join(parts) + (" | null" if nullable else "")
    if "const" in schema:
        return f'"{schema["const"]}"'
    if "enum" in schema:
        return " | ".join(f'"{v}"' for v in schema["enum"])
    # Written with symbols, not words, so that it reads the same in every language.
    kind = schema.get("type")
    if kind == "array":
        text = f"{type_text(schema.get('items', {}))}[]"
        if "maxItems" in schema:
            text += f" (≤ {schema['maxItems']})"
        return text
    if kind == "string":
        text = "string"
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if high is not None:
            text += f" ({low}..{high})" if low else f" (≤ {high})"
        elif low:
            text += f" (≥ {low})"
        if "pattern" in schema:
            text += f" /{schema['pattern']}/"
        return text
    if kind == "integer" and "minimum" in schema and "maximum" in schema:
        return f"integer ({schema['minimum']}..{schema['maximum']})"
    if kind == "object" or (kind is None and "properties" in schema):
        return "object"
    return kind or "JSON"


def _body_fields(schema_ref: dict[str, Any], components: dict[str, Any]) -> list[FieldRow]:
    model = components.get(_ref_name(schema_ref.get("$ref", "")), {})
    required = set(model.get("required", []))
    return [
        FieldRow(
            name,
            "body",
            type_text(prop),
            name in required,
            prop.get("description", "") or _inner_description(prop),
        )
        for name, prop in model.get("properties", {}).items()
    ]


def _inner_description(prop: dict[str, Any]) -> str:
    for variant in prop.get("anyOf", []):
        if variant.get("description"):
            return variant["description"]
    return ""


def _example(schema_ref: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A body with every required field, from the schema's examples where it has them."""
    model = components.get(_ref_name(schema_ref.get("$ref", "")), {})
    body: dict[str, Any] = {}
    for name in model.get("required", []):
        prop = model["properties"][name]
        examples = prop.get("examples") or [
            e for v in prop.get("anyOf", []) for e in v.get("examples", [])
        ]
        body[name] = examples[0] if examples else _placeholder(prop)
    return body


def _placeholder(prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    return {"integer": 1, "boolean": True, "array": [], "object": {}}.get(kind, "…")


def sections(document: dict[str, Any]) -> list[Section]:
    components = document.get("components", {}).get("schemas", {})
    by_tag: dict[str, Section] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            row = OperationRow(
                method=method.upper(),
                path=path,
                anchor=op["operationId"],
                summary=op.get("summary", ""),
                description=op.get("description", ""),
            )
            for param in op.get("parameters", []):
                schema = param["schema"]
                description = param.get("description") or schema.get("description", "")
                row.fields.append(
                    FieldRow(
                        param["name"],
                        param["in"],
                        type_text(schema),
                        param["required"],
                        description,
                    )
                )
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                row.fields.extend(_body_fields(body["schema"], components))
                row.example_body = _example(body["schema"], components)
            for status, answer in op["responses"].items():
                content = answer.get("content", {})
                schema = content.get("application/json", {}).get("schema")
                row.streams = row.streams or "text/event-stream" in content
                row.responses.append(
                    ResponseRow(status, answer["description"], type_text(schema) if schema else "")
                )
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, Section(tag)).operations.append(row)
    return list(by_tag.values())


def schema_rows(document: dict[str, Any]) -> list[tuple[str, list[FieldRow]]]:
    """Every named schema with its fields, for the answers' reference at the end."""
    out = []
    for name, model in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(model.get("required", []))
        rows = [
            FieldRow(p, "", type_text(s), p in required, s.get("description", ""))
            for p, s in model.get("properties", {}).items()
        ]
        out.append((name, rows))
    return out
