"""The Script API reference, read from the SDK itself: signatures by ``inspect``, the words
from docstrings (summary, paragraphs, Args/Returns/Raises/Example sections).

The Script API page, the editor's completions and the translation catalogue all come from
here, so none can drift from the code: ``tests/views/test_script_docs.py`` fails when a public
SDK member has no entry (or no example), and when ``script_reference_texts.py`` (the docs'
prose, marked for translation; regenerate with ``python -m webapp.views.script_reference``)
is not current.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

from webapp.sdk import (
    conn_influxdb,
    conn_memcached,
    conn_mqtt,
    conn_prometheus,
    conn_redis,
    conn_sql,
    datakit,
    dataway,
    dff,
    dff_cache,
    dff_entities,
    dff_errors,
    dff_store,
    dff_thread,
    dff_toolkit,
)

SECTION_NAMES = ("Args", "Returns", "Raises", "Example")


@dataclass
class Entry:
    anchor: str
    name: str
    kind: str  # function, method, variable, error
    signature: str = ""
    summary: str = ""
    paragraphs: list[str] = field(default_factory=list)
    args: list[tuple[str, str]] = field(default_factory=list)
    returns: str = ""
    raises: list[tuple[str, str]] = field(default_factory=list)
    example: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    entries: list[Entry]


def _joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    """``name: text`` items, continuation lines indented under them."""
    pairs: list[tuple[str, list[str]]] = []
    for line in lines:
        match = re.match(r"^(\w[\w.]*):\s*(.*)$", line.strip())
        if match and not line.startswith(" " * 4):
            pairs.append((match.group(1), [match.group(2)]))
        elif pairs:
            pairs[-1][1].append(line)
    return [(name, _joined(text)) for name, text in pairs]


def parse_docstring(doc: str | None) -> dict:
    """Summary, paragraphs and sections of a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    parts: dict[str, list[str]] = {"": []}
    current = ""
    for line in lines:
        heading = line.strip().rstrip(":")
        if line.strip().endswith(":") and heading in SECTION_NAMES and not line.startswith(" "):
            current = heading
            parts[current] = []
            continue
        parts[current].append(line[4:] if current and line.startswith("    ") else line)
    paragraphs = [_joined(p.splitlines()) for p in "\n".join(parts[""]).split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    return {
        "summary": paragraphs[0] if paragraphs else "",
        "paragraphs": paragraphs[1:],
        "args": _pairs(parts.get("Args", [])),
        "returns": _joined(parts.get("Returns", [])),
        "raises": _pairs(parts.get("Raises", [])),
        "example": "\n".join(parts.get("Example", [])).strip("\n"),
    }


def _signature(func) -> str:
    """``(measurement, tags=None, ...)``: without self and annotations, as users call it."""
    signature = inspect.signature(func)
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for name, p in signature.parameters.items()
        if name not in ("self", "cls")
    ]
    return str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))


def _entry(anchor: str, name: str, kind: str, obj, aliases: list[str]) -> Entry:
    parsed = parse_docstring(inspect.getdoc(obj))
    signature = _signature(obj) if callable(obj) and kind != "error" else ""
    return Entry(anchor, name, kind, signature, aliases=aliases, **parsed)


def public_members(cls) -> dict[str, object]:
    """The public callables of a class (aliases included), in source order."""
    members = {}
    for name, value in vars(cls).items():
        if isinstance(value, classmethod | staticmethod):
            value = value.__func__
        if not name.startswith("_") and callable(value) and name not in dff.INTERNAL_MEMBERS:
            members[name] = value
    return members


def _with_aliases(members: dict[str, object]) -> list[tuple[str, object, list[str]]]:
    """One (name, function, aliases) per distinct function: ``CONN = SRC`` is SRC's alias."""
    seen: dict[int, tuple[str, object, list[str]]] = {}
    for name, value in members.items():
        if id(value) in seen:
            seen[id(value)][2].append(name)
        else:
            seen[id(value)] = (name, value, [])
    return list(seen.values())


def reference() -> list[Section]:
    dff_entries = [
        _entry(f"DFF.{name}", f"DFF.{name}", "function", value, [f"DFF.{a}" for a in aliases])
        for name, value, aliases in _with_aliases(public_members(dff.DFFNamespace))
    ]
    variables = [
        Entry(name, name, "variable", summary=text) for name, text in dff.BUILTIN_VARIABLES.items()
    ]
    helper = [_entry("datakit", "DataKit", "class", datakit.DataKit, [])]
    helper[0].signature = ""
    helper += [
        _entry(f"datakit.{name}", f".{name}", "method", value, [f".{a}" for a in aliases])
        for name, value, aliases in _with_aliases(public_members(datakit.DataKit))
    ]
    store = [
        _entry(f"store.{name}", f"DFF.STORE.{name}", "method", value, [])
        for name, value, _aliases in _with_aliases(public_members(dff_store.Store))
    ]
    cache = [
        _entry(
            f"cache.{name}",
            f"DFF.CACHE.{name}",
            "method",
            value,
            [f"DFF.CACHE.{a}" for a in aliases],
        )
        for name, value, aliases in _with_aliases(public_members(dff_cache.Cache))
    ]
    more = {
        "conn": ("DFF.CONN", dff.Connectors),
        "config": ("DFF.CONFIG", dff.ConfigReader),
        "cron_job": ("DFF.CRON_JOB", dff_entities.CronJobHelper),
        "sync_api": ("DFF.SYNC_API", dff_entities.EntityHelper),
        "thread": ("DFF.THREAD", dff_thread.ThreadPool),
        "toolkit": ("DFF.TOOLKIT", dff_toolkit.Toolkit),
    }
    extra_sections = [
        Section(
            key,
            [
                _entry(f"{key}.{name}", f"{prefix}.{name}", "method", value, [])
                for name, value, _aliases in _with_aliases(public_members(cls))
            ],
        )
        for key, (prefix, cls) in more.items()
    ]
    errors = [
        _entry(cls.__name__, cls.__name__, "error", cls, [])
        for cls in (
            dff.ConnectorNotFound,
            datakit.DataKitError,
            dff_cache.DataError,
            dff_errors.ResponseError,
            dff_errors.LimitExceeded,
            dff_errors.EntityNotFound,
            dff_errors.FuncCallChainTooLong,
            dff_errors.FuncCircularCall,
            dff_errors.ConnectorNotSupport,
            dff_errors.InvalidConnectorConfig,
            dff_errors.BadEntityCall,
        )
    ]
    unavailable = [
        Entry(f"DFF.{name}", f"DFF.{name}", "unavailable", summary=reason)
        for name, reason in dff.UNAVAILABLE_MEMBERS.items()
    ]
    return [
        Section("dff", dff_entries),
        Section("variables", variables),
        Section("store", store),
        Section("cache", cache),
        *extra_sections,
        Section("datakit", helper),
        *connector_sections(),
        Section("errors", errors),
        Section("unavailable", unavailable),
    ]


# Connector helpers (DFF.CONN(id) of each type): section key → (type label, classes). Methods
# the platform calls itself (close) or that only say "not here" are left out.
CONNECTOR_HELPERS = {
    "conn_sql": ("mysql, postgresql, clickhouse", (conn_sql.SQLHelper,)),
    "conn_mysql": ("mysql", (conn_sql.MySQLHelper,)),
    "conn_postgresql": ("postgresql", (conn_sql.PostgreSQLHelper,)),
    "conn_clickhouse": ("clickhouse", (conn_sql.ClickHouseHelper,)),
    "conn_redis": ("redis", (conn_redis.RedisHelper,)),
    "conn_memcached": ("memcached", (conn_memcached.MemcachedHelper,)),
    "conn_influxdb": ("influxdb", (conn_influxdb.InfluxDBHelper,)),
    "conn_mqtt": ("mqtt", (conn_mqtt.MQTTHelper,)),
    "conn_prometheus": ("prometheus", (conn_prometheus.PrometheusHelper,)),
    "conn_dataway": ("df_dataway", (dataway.DataWay,)),
}
HELPER_SKIPPED = {"close", "literal", "from_connector"}


def _helper_members(cls) -> dict[str, object]:
    members = public_members(cls)
    if cls is conn_sql.ClickHouseHelper:
        members.pop("start_trans", None)  # says "no transactions": in the section's intro
    return {name: value for name, value in members.items() if name not in HELPER_SKIPPED}


def connector_sections() -> list[Section]:
    return [
        Section(
            key,
            [
                _entry(f"{key}.{name}", f".{name}", "method", value, [f".{a}" for a in aliases])
                for cls in classes
                for name, value, aliases in _with_aliases(_helper_members(cls))
            ],
        )
        for key, (_label, classes) in CONNECTOR_HELPERS.items()
    ]


def undocumented(*classes) -> list[str]:
    """Public members of ``classes`` (default: DFF and the DataKit helper) that lack a summary
    or an example: the page would have nothing useful to say about them (DFF, the DataKit
    helper, DFF.STORE and DFF.CACHE by default)."""
    missing = []
    default = (
        dff.DFFNamespace,
        datakit.DataKit,
        dff_store.Store,
        dff_cache.Cache,
        dff.Connectors,
        dff.ConfigReader,
        dff_thread.ThreadPool,
        dff_toolkit.Toolkit,
        dff_entities.EntityHelper,
        dff_entities.CronJobHelper,
        *(cls for _label, group in CONNECTOR_HELPERS.values() for cls in group),
    )
    for cls in classes or default:
        members = public_members(cls)
        if cls in {c for _label, group in CONNECTOR_HELPERS.values() for c in group}:
            members = _helper_members(cls)
        for name, value in members.items():
            parsed = parse_docstring(inspect.getdoc(value))
            if not parsed["summary"] or not parsed["example"]:
                missing.append(f"{cls.__name__}.{name}")
    return missing


def texts() -> list[str]:
    """Every piece of prose on the page (names, signatures and examples are code)."""
    out: list[str] = []
    for section in reference():
        for entry in section.entries:
            out += [entry.summary, *entry.paragraphs, entry.returns]
            out += [text for _name, text in entry.args + entry.raises]
    return list(dict.fromkeys(t for t in out if t))


@functools.cache
def completions() -> dict[str, list[dict[str, str]]]:
    """What the editor completes after ``DFF.`` and after a DataKit helper, with the docs'
    anchor of each. Read once per process (the SDK's code does not change while it runs; reading
    it was a fifth of the web process's time under load): callers must not change it."""
    sections = {s.key: s for s in reference()}

    def items(section: str, prefix: str) -> list[dict[str, str]]:
        out = []
        for entry in sections[section].entries:
            if entry.kind in ("class", "unavailable"):
                continue
            for name in [entry.name, *entry.aliases]:
                out.append(
                    {
                        "label": name.removeprefix(prefix),
                        "detail": entry.signature,
                        "info": entry.summary,
                        "docs": entry.anchor,
                    }
                )
        return out

    return {"dff": items("dff", "DFF."), "datakit": items("datakit", ".")}


TEXTS_FILE = Path(__file__).with_name("script_reference_texts.py")


def texts_module() -> str:
    lines = [
        '"""The Script API page\'s prose, marked for translation. Generated from the SDK\'s',
        "docstrings by ``python -m webapp.views.script_reference``: do not edit by hand.",
        '"""',
        "",
        "from webapp.messages import N_",
        "",
        "TEXTS = (",
    ]
    lines += [f"    N_({text!r})," for text in texts()]
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import subprocess
    import sys

    TEXTS_FILE.write_text(texts_module(), encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "-q", str(TEXTS_FILE)], check=False)
    print(f"wrote {TEXTS_FILE} ({len(texts())} texts)")
