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
_FLOAT_CHARS = frozenset("0123456789.-eE+")


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
    if type(timestamp) is float and 1e9 <= timestamp < 1e10:
        # The common case, time.time(): seconds whose repr has at most 9 decimals, so the
        # decimal digits are exactly the nanoseconds (no float multiplication, no rounding).
        text = repr(timestamp)
        dot = text.find(".")
        if dot > 0 and len(text) - dot - 1 <= 9 and "e" not in text:
            return int(text[:dot]) * 1_000_000_000 + int(text[dot + 1 :].ljust(9, "0"))
    if isinstance(timestamp, float):
        if not math.isfinite(timestamp):
            raise ValueError("timestamp must be finite")
        text = repr(timestamp)
        unit = guess_unit_ns(timestamp)
        if "e" not in text and "E" not in text and unit in _UNIT_DIGITS:
            # Fast exact path: whole part times the unit, plus the decimal digits it covers.
            whole, _, fraction = text.partition(".")
            digits = _UNIT_DIGITS[unit]
            sign = -1 if whole.startswith("-") else 1
            part = int((fraction + "0" * digits)[:digits]) if digits else 0
            extra = fraction[digits:].rstrip("0")
            if not extra or int(extra[0]) < 5:  # round half up like Decimal's integral value
                return int(whole) * unit + sign * part
        exact = Decimal(repr(timestamp))
    else:
        if not timestamp.is_finite():
            raise ValueError("timestamp must be finite")
        exact = timestamp
    try:
        return int((exact * guess_unit_ns(timestamp)).to_integral_value())
    except InvalidOperation as exc:
        raise ValueError(f"bad timestamp {timestamp!r}") from exc


_UNIT_DIGITS = {10**9: 9, 10**6: 6, 10**3: 3, 1: 0}


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


_SUSPECT = re.compile(r"[\\\n\r]")  # only text with these needs the full check
_MEASUREMENT_TABLE = str.maketrans({",": "\\,", " ": "\\ "})
_KEY_TABLE = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_CACHE_LIMIT = 50_000
_tag_cache: dict[tuple[str, str], str] = {}
_field_key_cache: dict[str, str] = {}
_field_prefix_cache: dict[str, str] = {}  # escaped key followed by "="
_MISSING = object()
_measurement_cache: dict[str, str] = {}
_tagset_cache: dict[tuple, str] = {}
_isfinite = math.isfinite


def _encoded_measurement(measurement: Any) -> str:
    cached = _measurement_cache.get(measurement) if isinstance(measurement, str) else None
    if cached is not None:
        return cached
    if not isinstance(measurement, str) or not measurement:
        raise ValueError("measurement must be a non-empty string")
    if _SUSPECT.search(measurement):
        _check_text("measurement", measurement, measurement)
    if measurement[0] in "#\t\0":  # a leading space is escaped, these cannot be
        raise ValueError(
            f"measurement {measurement!r} starts with {measurement[0]!r}: DataKit would read "
            "the line as a comment or drop that character"
        )
    encoded = measurement.translate(_MEASUREMENT_TABLE)
    if len(_measurement_cache) < _CACHE_LIMIT:
        _measurement_cache[measurement] = encoded
    return encoded


def _encoded_tag(key: str, value: Any) -> str:
    """``,key=value`` escaped, after the checks; cached because tag sets repeat."""
    if not isinstance(value, str):
        raise ValueError(
            f"tag {key!r} has a {type(value).__name__} value; tag values must be strings"
        )
    cached = _tag_cache.get((key, value))
    if cached is not None:
        return cached
    if value == "":
        raise ValueError(f"tag {key!r} is empty; DataKit rejects empty tag values")
    if _SUSPECT.search(key):
        _check_text("tag key", key, key)
    if _SUSPECT.search(value):
        _check_text("tag", key, value)
    encoded = f",{key.translate(_KEY_TABLE)}={value.translate(_KEY_TABLE)}"
    if len(_tag_cache) < _CACHE_LIMIT:
        _tag_cache[(key, value)] = encoded
    return encoded


def _encoded_field_key(key: Any) -> str:
    cached = _field_key_cache.get(key) if isinstance(key, str) else None
    if cached is not None:
        return cached
    if not isinstance(key, str) or not key:
        raise ValueError(f"field key {key!r} must be a non-empty string")
    if _SUSPECT.search(key):
        _check_text("field key", key, key)
    encoded = key.translate(_KEY_TABLE)
    if len(_field_key_cache) < _CACHE_LIMIT:
        _field_key_cache[key] = encoded
        _field_prefix_cache[key] = encoded + "="
    return encoded


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
    shortest_floats: bool = False,
) -> str:
    """One line of line protocol, or ``ValueError`` naming the key at fault.

    ``shortest_floats``: a whole float is written ``1``, not ``1.0`` (DataKit's echo, which
    formats floats as Go does); the default keeps ``repr``, as DataFlux Func's SDK writes."""
    head = _encoded_measurement(measurement)
    if tags:
        try:
            tag_text = _tagset_cache.get(tuple(tags.items()))
        except TypeError:  # an unhashable value: the checks below name it
            tag_text = None
        if tag_text is None:
            tag_text = _encode_tagset(tags)
        head += tag_text
    encoded_fields = []
    key_cache = _field_key_cache
    for key, value in (fields or {}).items():
        kind = type(value)
        if kind is float and _isfinite(value):
            text = repr(value)
            if shortest_floats and text.endswith(".0"):
                text = text[:-2]
        elif kind is int and INT64_MIN <= value <= INT64_MAX:
            text = f"{value}i"
        elif kind is bool:
            text = "true" if value else "false"
        elif value is None:
            if not isinstance(key, str) or not key:
                raise ValueError(f"field key {key!r} must be a non-empty string")
            continue  # None means "no value": the field is left out
        else:
            text = encode_field_value(key, value)
        encoded_key = key_cache.get(key)
        encoded_fields.append(f"{encoded_key or _encoded_field_key(key)}={text}")
    if not encoded_fields:
        raise ValueError(f"point {measurement!r} has no fields (all were missing or None)")
    time_ns = _check_time_range(to_ns(timestamp, now_ns))
    return f"{head} {','.join(encoded_fields)} {time_ns}"


def _encode_tagset(tags: Mapping[str, Any]) -> str:
    for key in tags:  # before sorting: mixed key types cannot be sorted
        if not isinstance(key, str) or not key:
            raise ValueError(f"tag key {key!r} must be a non-empty string")
    text = "".join([_encoded_tag(key, tags[key]) for key in sorted(tags)])
    if len(_tagset_cache) < _CACHE_LIMIT:
        _tagset_cache[tuple(tags.items())] = text
    return text


def _encode_slow(point: Any, now_ns: int | None) -> str:
    if not isinstance(point, Mapping):
        raise ValueError(f"a point must be a dict, not {type(point).__name__}")
    return encode_point(
        point.get("measurement"),
        point.get("tags"),
        point.get("fields"),
        point.get("timestamp", point.get("time")),
        now_ns=now_ns,
    )


class _Unusual(Exception):
    """Raised inside ``encode_lines``' fast loop: this point takes ``encode_point``."""


def encode_lines(points: Iterable[Mapping[str, Any]], *, now_ns: int | None = None) -> list[str]:
    """One line per point (dicts with measurement, tags, fields and time or timestamp).

    The loop handles the common point inline, reading the caches ``encode_point`` fills;
    anything it does not recognise at once (a first-seen name, None or odd values, a datetime)
    goes through ``encode_point``, which also produces the error naming the key at fault.
    """
    if now_ns is None:
        import time

        now_ns = time.time_ns()
    lines: list[str] = []
    append = lines.append
    measurements, tagsets, prefixes = _measurement_cache, _tagset_cache, _field_prefix_cache
    missing = _MISSING
    for point in points:
        try:
            head = measurements[point["measurement"]]
            tags = point.get("tags")
            if tags:
                head += tagsets[tuple(tags.items())]
            parts = []
            for key, value in point["fields"].items():
                kind = type(value)
                if kind is float:
                    if value - value != 0.0:  # NaN or infinity
                        raise _Unusual
                    parts.append(prefixes[key] + repr(value))
                elif kind is int:
                    if not INT64_MIN <= value <= INT64_MAX:
                        raise _Unusual
                    parts.append(f"{prefixes[key]}{value}i")
                elif kind is bool:
                    parts.append(prefixes[key] + ("true" if value else "false"))
                elif kind is str:
                    parts.append(prefixes[key] + escape_string_field(value))
                else:
                    raise _Unusual
            if not parts:
                raise _Unusual
            stamp = point.get("timestamp", missing)
            if stamp is missing:
                stamp = point.get("time")
            kind = type(stamp)
            if kind is float and 1e9 <= stamp < 9e9:
                # time.time(): the decimal digits of its repr are exactly the nanoseconds
                # (below 1e16 a float's repr has no exponent; below 9e9 s, no int64 overflow).
                whole, _dot, decimals = repr(stamp).partition(".")
                if len(decimals) > 9:
                    raise _Unusual
                time_ns = f"{whole}{decimals:0<9}"
            elif kind is int and 10**18 <= stamp <= INT64_MAX:  # already nanoseconds
                time_ns = stamp
            elif stamp is None:
                time_ns = now_ns
            else:
                time_ns = _check_time_range(to_ns(stamp, now_ns))
            append(f"{head} {','.join(parts)} {time_ns}")
        except (_Unusual, KeyError, TypeError, AttributeError):
            append(_encode_slow(point, now_ns))
    return lines


def encode(points: Iterable[Mapping[str, Any]], *, now_ns: int | None = None) -> str:
    """Line-protocol text for many points (see ``encode_lines``)."""
    return "\n".join(encode_lines(points, now_ns=now_ns))


# --- parsing ------------------------------------------------------------------------------


class LineError(ValueError):
    def __init__(self, line_no: int, line: str, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.line = line
        self.reason = reason


def _split_lines(body: str) -> list[tuple[int, str]]:
    """Physical lines joined where a newline sits inside a quoted string field value."""
    if '"' not in body and "\\" not in body:  # nothing can join lines: plain split
        return list(enumerate(body.split("\n"), start=1))
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
    """Index of the first unescaped char of ``stops`` from ``pos`` (or len).

    As DataKit's scanner reads it: a char is escaped when the char before it is a backslash,
    whatever comes before that one, so ``a\\\\ b`` is one tag value (``a\\ b`` once
    unescaped), not ``a\\`` followed by a space."""
    end = len(text)
    while pos < end:
        if text[pos] in stops and (pos == 0 or text[pos - 1] != "\\"):
            return pos
        pos += 1
    return end


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


def _parse_plain_line(line: str, precision: str | None, now_ns: int | None) -> dict | None:
    """The common case, a line with no backslash and no quote, with str.split; None when the
    line needs the general parser (which then also produces the precise error)."""
    parts = line.split(" ")
    if len(parts) not in (2, 3) or not all(parts):
        return None
    head = parts[0].split(",")
    measurement = head[0]
    if not measurement:
        return None
    tags: dict[str, str] = {}
    for pair in head[1:]:
        key, eq, value = pair.partition("=")
        if not eq or not key or not value or "=" in value or key in tags:
            return None
        tags[key] = value
    fields: dict[str, Any] = {}
    for pair in parts[1].split(","):
        key, eq, raw = pair.partition("=")
        if not eq or not key or not raw or key in fields:
            return None
        last = raw[-1]
        if last == "i" or last == "u" or raw in BOOL_WORDS:
            fields[key] = _parse_value(raw, key)
        else:
            # Only ASCII digits, sign, dot and exponent reach float(): it would also take
            # "1_000", "nan", "+5" or non-ASCII digits, which DataKit rejects.
            if raw[0] == "+" or not _FLOAT_CHARS.issuperset(raw):
                return None
            try:
                value = float(raw)
            except ValueError:
                return None
            if not _isfinite(value):
                return None
            fields[key] = value
    if len(parts) == 2:
        timestamp = now_ns if now_ns is not None else to_ns(None)
    else:
        rest = parts[2]
        if not _INT_RE.fullmatch(rest):
            return None
        raw_time = int(rest)
        unit = PRECISION_NS.get(precision) if precision else guess_unit_ns(raw_time)
        if unit is None or not INT64_MIN <= raw_time * unit <= INT64_MAX:
            return None
        timestamp = raw_time * unit
    return {"measurement": measurement, "tags": tags, "fields": fields, "time": timestamp}


def parse_line(line: str, *, precision: str | None = None, now_ns: int | None = None) -> dict:
    """One point from one line; ``ValueError`` says what is wrong with it."""
    if '"' not in line and "\\" not in line:
        point = _parse_plain_line(line, precision, now_ns)
        if point is not None:
            return point
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


_LINE_STARTS_TO_SKIP = frozenset(_LEADING_BLANKS + "#")
_head_cache: dict[str, tuple[str, tuple[tuple[str, str], ...]] | None] = {}
_NS_FOR_SURE = 10**17  # a bare timestamp this large is nanoseconds whatever the guess


def _plain_head(head: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """(measurement, tag pairs) of an escape-free ``measurement,k=v,...``, or None when the
    general parser has to look at it; remembered, since a body repeats few series."""
    measurement, *pairs = head.split(",")
    tags: dict[str, str] = {}
    parsed: tuple[str, tuple[tuple[str, str], ...]] | None = None
    for pair in pairs:
        key, _eq, value = pair.partition("=")
        if not key or not value or "=" in value or key in tags:
            break
        tags[key] = value
    else:
        if measurement:
            parsed = (measurement, tuple(tags.items()))
    if len(_head_cache) < _CACHE_LIMIT:
        _head_cache[head] = parsed
    return parsed


def parse(
    body: str, *, precision: str | None = None, now_ns: int | None = None
) -> tuple[list[dict], list[LineError]]:
    """(points, errors) of a whole body; blank lines and ``#`` comments are skipped.

    Lines without quotes or backslashes (nearly all of them) are read by an inline loop over
    ``str.split``; a line it does not accept at once goes to ``parse_line``, which reads
    every form and words the error.
    """
    if now_ns is None:
        now_ns = to_ns(None)
    unit = PRECISION_NS.get(precision) if precision else None
    points: list[dict] = []
    errors: list[LineError] = []
    append = points.append
    heads, bools, float_chars = _head_cache, BOOL_WORDS, _FLOAT_CHARS
    # An unknown precision is reported by parse_line, on every line.
    plain = '"' not in body and "\\" not in body and (unit is not None or not precision)
    lines = enumerate(body.split("\n"), start=1) if plain else _split_lines(body)
    for line_no, line in lines:
        if plain and line and line[0] not in _LINE_STARTS_TO_SKIP and line[-1] != "\r":
            parts = line.split(" ")
            count = len(parts)
            if (count == 3 or count == 2) and parts[1]:
                head = heads.get(parts[0], False)
                if head is False:
                    head = _plain_head(parts[0])
                fields: dict[str, Any] | None = {} if head else None
                for pair in parts[1].split(",") if head else ():
                    key, _eq, raw = pair.partition("=")
                    if not key or not raw or key in fields:
                        fields = None
                        break
                    if raw[-1] == "i":
                        digits = raw[1:-1] if raw[0] == "-" else raw[:-1]
                        if not (digits.isdigit() and digits.isascii()):
                            fields = None
                            break
                        value = int(raw[:-1])
                        if not INT64_MIN <= value <= INT64_MAX:
                            fields = None
                            break
                        fields[key] = value
                    elif raw in bools:
                        fields[key] = bools[raw]
                    elif raw[0] != "+" and float_chars.issuperset(raw):
                        try:
                            value = float(raw)
                        except ValueError:
                            fields = None
                            break
                        if value - value != 0.0:  # overflowed to infinity
                            fields = None
                            break
                        fields[key] = value
                    else:
                        fields = None
                        break
                if fields is not None:
                    if count == 2:
                        append(
                            {
                                "measurement": head[0],
                                "tags": dict(head[1]),
                                "fields": fields,
                                "time": now_ns,
                            }
                        )
                        continue
                    stamp = parts[2]
                    if stamp.isdigit() and stamp.isascii():
                        raw_time = int(stamp)
                        if unit:
                            raw_time *= unit
                        elif raw_time < _NS_FOR_SURE:
                            raw_time *= guess_unit_ns(raw_time)
                        if raw_time <= INT64_MAX:
                            append(
                                {
                                    "measurement": head[0],
                                    "tags": dict(head[1]),
                                    "fields": fields,
                                    "time": raw_time,
                                }
                            )
                            continue
        line = line.rstrip("\r")
        # Skip only what DataKit skips: other Unicode whitespace can begin a measurement.
        stripped = line.lstrip(_LEADING_BLANKS)
        if not stripped or stripped.startswith("#"):
            continue
        try:
            append(parse_line(stripped, precision=precision, now_ns=now_ns))
        except ValueError as exc:
            errors.append(LineError(line_no, line, str(exc)))
    return points, errors
