"""InfluxDB line protocol as DataKit reads it: encode points exactly, parse bodies strictly.

Used inside the sandbox (the DataKit helper encodes) and by the embedded receiver (it parses),
so both sides agree by construction. Standard library only.

A point is ``{"measurement": str, "tags": {str: str}, "fields": {str: value}, "time": int}``
with ``time`` in nanoseconds since the epoch. Field values are ``int`` (``42i``), ``float``,
``bool``, ``str``; the parser also reads unsigned ints (``42u``) as ``int``.

Escaping (DataKit's rules): measurement escapes ``,`` and space; tag keys, tag values and field
keys escape ``,``, ``=`` and space; string field values are quoted and escape ``"`` and ``\\``.
A backslash elsewhere is literal, which is why a key or tag value cannot end with a backslash or
have one right before ``,``/``=``/space: such input is refused (``ValueError``) before anything
is sent, as are NaN/Inf, nested values, non-string tag values, newlines outside string fields,
an empty measurement, a measurement starting with ``#`` (a comment line) or with a tab or NUL
(skipped as leading blanks), a timestamp outside 64-bit nanoseconds and a point without fields.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
BOOL_WORDS = {
    "t": True,
    "T": True,
    "true": True,
    "True": True,
    "TRUE": True,
    "f": False,
    "F": False,
    "false": False,
    "False": False,
    "FALSE": False,
}
PRECISION_NS = {
    "n": 1,
    "ns": 1,
    "u": 1_000,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
# What DataKit skips before a line (a line of nothing else is blank).
_LEADING_BLANKS = " \t\0"
# Numbers as DataKit's scanner takes them: ASCII digits, a sign only in front (``-``) or in the
# exponent; no ``_`` separators, no ``+`` prefix, no spaces, no other Unicode digits.
_FLOAT_RE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_RE = re.compile(r"-?[0-9]+")
_UINT_RE = re.compile(r"[0-9]+")


# --- timestamps ---------------------------------------------------------------------------


def guess_unit_ns(value: float | int) -> int:
    """Nanoseconds per unit of a bare timestamp, by magnitude (DataKit's guess)."""
    try:
        magnitude = abs(float(value))  # float division, as DataKit does it
    except OverflowError:
        return 1
    if magnitude / 1e9 < 10:
        return 10**9  # seconds
    if magnitude / 1e12 < 10:
        return 10**6  # milliseconds
    if magnitude / 1e15 < 10:
        return 10**3  # microseconds
    return 1


def to_ns(timestamp: Any, now_ns: int | None = None) -> int:
    """Nanoseconds since the epoch from s/ms/µs/ns (int or float), a datetime, or None (now).

    Floats are converted through their shortest decimal form, so ``time.time()`` keeps every
    digit it has (microseconds) instead of being truncated to whole seconds.
    """
    if timestamp is None:
        if now_ns is not None:
            return now_ns
        import time

        return time.time_ns()
    if isinstance(timestamp, _dt.datetime):
        moment = timestamp if timestamp.tzinfo else timestamp.astimezone()
        delta = moment - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float | Decimal):
        raise ValueError(
            f"timestamp must be a number or a datetime, not {type(timestamp).__name__}"
        )
    if isinstance(timestamp, int):
        return timestamp * guess_unit_ns(timestamp)
    if isinstance(timestamp, float):
        if not math.isfinite(timestamp):
            raise ValueError("timestamp must be finite")
        exact = Decimal(repr(timestamp))
    else:
        if not timestamp.is_finite():
            raise ValueError("timestamp must be finite")
        exact = timestamp
    try:
        return int((exact * guess_unit_ns(timestamp)).to_integral_value())
    except InvalidOperation as exc:
        raise ValueError(f"bad timestamp {timestamp!r}") from exc


def _check_time_range(ns: int) -> int:
    if not INT64_MIN <= ns <= INT64_MAX:
        raise ValueError(f"timestamp {ns} ns is outside the 64-bit nanosecond range")
    return ns


# --- encoding -----------------------------------------------------------------------------

_KEY_SPECIALS = (",", "=", " ")


def _check_text(kind: str, key: str, text: str) -> None:
    if "\n" in text or "\r" in text:
        raise ValueError(f"{kind} {key!r} contains a newline, which line protocol cannot carry")
    # Literal backslashes are fine, except where DataKit would read them as an escape.
    if text.endswith("\\") or any(f"\\{c}" in text for c in _KEY_SPECIALS):
        raise ValueError(
            f"{kind} {key!r} has a backslash at its end or before ',', '=' or a space, "
            "which line protocol cannot carry"
        )


def escape_measurement(name: str) -> str:
    return name.replace(",", "\\,").replace(" ", "\\ ")


def escape_key(text: str) -> str:
    return text.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def escape_string_field(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_field_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"field {key!r} = {value} does not fit in a 64-bit integer")
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"field {key!r} is {value}: NaN and infinity are rejected by DataKit")
        return repr(value)
    if isinstance(value, str):
        return escape_string_field(value)  # newlines and CRs travel raw inside the quotes
    if isinstance(value, Decimal):
        return encode_field_value(key, float(value))
    raise ValueError(
        f"field {key!r} has a {type(value).__name__} value; use int, float, bool or str "
        "(json.dumps it to send a structure)"
    )


def encode_point(
    measurement: Any,
    tags: Mapping[str, Any] | None,
    fields: Mapping[str, Any] | None,
    timestamp: Any = None,
    *,
    now_ns: int | None = None,
) -> str:
    """One line of line protocol, or ``ValueError`` naming the key at fault."""
    if not isinstance(measurement, str) or not measurement:
        raise ValueError("measurement must be a non-empty string")
    _check_text("measurement", measurement, measurement)
    if measurement[0] in "#\t\0":  # a leading space is escaped, these cannot be
        raise ValueError(
            f"measurement {measurement!r} starts with {measurement[0]!r}: DataKit would read "
            "the line as a comment or drop that character"
        )
    parts = [escape_measurement(measurement)]
    tag_items = list((tags or {}).items())
    for key, _value in tag_items:  # before sorting: mixed key types cannot be sorted
        if not isinstance(key, str) or not key:
            raise ValueError(f"tag key {key!r} must be a non-empty string")
    for key, value in sorted(tag_items):
        if not isinstance(value, str):
            raise ValueError(
                f"tag {key!r} has a {type(value).__name__} value; tag values must be strings"
            )
        if value == "":
            raise ValueError(f"tag {key!r} is empty; DataKit rejects empty tag values")
        _check_text("tag key", key, key)
        _check_text("tag", key, value)
        parts.append(f",{escape_key(key)}={escape_key(value)}")
    encoded_fields = []
    for key, value in (fields or {}).items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"field key {key!r} must be a non-empty string")
        if value is None:
            continue  # None means "no value": the field is left out
        _check_text("field key", key, key)
        encoded_fields.append(f"{escape_key(key)}={encode_field_value(key, value)}")
    if not encoded_fields:
        raise ValueError(f"point {measurement!r} has no fields (all were missing or None)")
    time_ns = _check_time_range(to_ns(timestamp, now_ns))
    return f"{''.join(parts)} {','.join(encoded_fields)} {time_ns}"


def encode(points: Iterable[Mapping[str, Any]], *, now_ns: int | None = None) -> str:
    """Lines for many points (dicts with measurement, tags, fields and time or timestamp)."""
    return "\n".join(
        encode_point(
            p.get("measurement"),
            p.get("tags"),
            p.get("fields"),
            p.get("timestamp", p.get("time")),
            now_ns=now_ns,
        )
        for p in points
    )


# --- parsing ------------------------------------------------------------------------------


class LineError(ValueError):
    def __init__(self, line_no: int, line: str, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.line = line
        self.reason = reason


def _split_lines(body: str) -> list[tuple[int, str]]:
    """Physical lines joined where a newline sits inside a quoted string field value."""
    lines: list[tuple[int, str]] = []
    start, quoted, escaped, in_fields, line_no, start_no = 0, False, False, False, 1, 1
    after_eq = False  # the previous char is an unescaped '=': a field value may start here
    for index, char in enumerate(body):
        if escaped:
            escaped = after_eq = False
            if char == "\n":
                line_no += 1  # joined, as DataKit does, but still a physical line
            continue
        if char == "\\":
            escaped = True
        elif char == " " and not quoted:
            in_fields = True
        elif char == '"' and in_fields and (quoted or after_eq):
            quoted = not quoted
        elif char == "\n":
            line_no += 1
            if not quoted:
                lines.append((start_no, body[start:index]))
                start, start_no, in_fields = index + 1, line_no, False
        after_eq = char == "="
    lines.append((start_no, body[start:]))
    return lines


def _scan(text: str, pos: int, stops: str) -> int:
    """Index of the first unescaped char of ``stops`` from ``pos`` (or len)."""
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char in stops:
            return pos
        pos += 1
    return len(text)


def _unescape(text: str, specials: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in specials:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_value(raw: str, key: str) -> Any:
    if not raw:
        raise ValueError(f"field {key!r} has no value")
    if raw[0] == '"':
        if len(raw) < 2 or raw[-1] != '"':
            raise ValueError(f"field {key!r}: unterminated string")
        return _unescape(raw[1:-1], '"\\')
    if raw in BOOL_WORDS:
        return BOOL_WORDS[raw]
    if raw[-1] == "i":
        if not _INT_RE.fullmatch(raw[:-1]):
            raise ValueError(f"field {key!r}: bad integer {raw!r}")
        value = int(raw[:-1])
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"field {key!r}: integer out of range")
        return value
    if raw[-1] == "u":
        if not _UINT_RE.fullmatch(raw[:-1]):
            raise ValueError(f"field {key!r}: bad unsigned integer {raw!r}")
        value = int(raw[:-1])
        if value > UINT64_MAX:
            raise ValueError(f"field {key!r}: unsigned integer out of range")
        return value
    if raw.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise ValueError(f"field {key!r}: NaN and infinity are not allowed")
    if not _FLOAT_RE.fullmatch(raw):
        raise ValueError(f"field {key!r}: invalid value {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"field {key!r}: {raw} overflows a 64-bit float")
    return value


def _parse_fields(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    pos = 0
    while pos < len(text):
        eq = _scan(text, pos, "=")
        if eq >= len(text):
            raise ValueError(f"field {text[pos:]!r} has no '='")
        key = _unescape(text[pos:eq], ",= ")
        if not key:
            raise ValueError("empty field key")
        pos = eq + 1
        if pos < len(text) and text[pos] == '"':
            end = pos + 1
            while end < len(text):
                if text[end] == "\\":
                    end += 2
                    continue
                if text[end] == '"':
                    break
                end += 1
            if end >= len(text):
                raise ValueError(f"field {key!r}: unterminated string")
            raw, pos = text[pos : end + 1], end + 1
        else:
            end = _scan(text, pos, ",")
            raw, pos = text[pos:end], end
        fields[key] = _parse_value(raw, key)
        if pos < len(text):
            if text[pos] != ",":
                raise ValueError(f"unexpected {text[pos]!r} after field {key!r}")
            pos += 1
            if pos >= len(text):
                raise ValueError("trailing comma after the fields")
    if not fields:
        raise ValueError("no fields")
    return fields


def parse_line(line: str, *, precision: str | None = None, now_ns: int | None = None) -> dict:
    """One point from one line; ``ValueError`` says what is wrong with it."""
    measure_end = _scan(line, 0, ", ")
    measurement = _unescape(line[:measure_end], ", ")
    if not measurement:
        raise ValueError("empty measurement")
    tags: dict[str, str] = {}
    pos = measure_end
    while pos < len(line) and line[pos] == ",":
        end = _scan(line, pos + 1, ", ")
        pair = line[pos + 1 : end]
        eq = _scan(pair, 0, "=")
        if eq >= len(pair):
            raise ValueError(f"tag {pair!r} has no '='")
        key, value = _unescape(pair[:eq], ",= "), _unescape(pair[eq + 1 :], ",= ")
        if not key:
            raise ValueError("empty tag key")
        if not value:
            raise ValueError(f"tag {key!r} has no value")
        if key in tags:
            raise ValueError(f"duplicate tag {key!r}")
        tags[key] = value
        pos = end
    if pos >= len(line) or line[pos] != " ":
        raise ValueError("missing fields")
    fields_start = pos + 1
    # The field set ends at the first unquoted, unescaped space.
    pos, quoted, after_eq = fields_start, False, False
    while pos < len(line):
        char = line[pos]
        if char == "\\":
            pos += 2
            after_eq = False  # an escaped '=' belongs to a key and opens no string
            continue
        if char == '"' and (quoted or after_eq):
            quoted = not quoted
        elif char == " " and not quoted:
            break
        after_eq = char == "="
        pos += 1
    fields = _parse_fields(line[fields_start:pos])
    rest = line[pos:].strip(_LEADING_BLANKS)
    if not rest:
        timestamp = now_ns if now_ns is not None else to_ns(None)
    else:
        if not _INT_RE.fullmatch(rest):
            raise ValueError(f"bad timestamp {rest!r}")
        raw = int(rest)
        unit = PRECISION_NS.get(precision) if precision else guess_unit_ns(raw)
        if unit is None:
            raise ValueError(f"unknown precision {precision!r}")
        if not INT64_MIN <= raw * unit <= INT64_MAX:
            raise ValueError(f"timestamp {rest} is outside the 64-bit nanosecond range")
        timestamp = raw * unit
    return {"measurement": measurement, "tags": tags, "fields": fields, "time": timestamp}


def parse(
    body: str, *, precision: str | None = None, now_ns: int | None = None
) -> tuple[list[dict], list[LineError]]:
    """(points, errors) of a whole body; blank lines and ``#`` comments are skipped."""
    points, errors = [], []
    for line_no, raw in _split_lines(body):
        line = raw.rstrip("\r")
        # Skip only what DataKit skips: other Unicode whitespace can begin a measurement.
        stripped = line.lstrip(_LEADING_BLANKS)
        if not stripped or stripped.startswith("#"):
            continue
        try:
            points.append(parse_line(stripped, precision=precision, now_ns=now_ns))
        except ValueError as exc:
            errors.append(LineError(line_no, line, str(exc)))
    return points, errors
