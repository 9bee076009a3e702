"""The write rules of DataKit's HTTP API, as pure functions (no Flask, no storage).

``ingest(category, body, content_type, content_encoding, params, now_ns, hostname)`` returns the
points to store or raises ``IngestError`` carrying DataKit's error code and message.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from webapp.sdk import lineprotocol
from webapp.sdk.datakit import CATEGORIES  # one list of categories, shared with the helper

MAX_TAGS, MAX_FIELDS = 256, 1024
MAX_KEY_BYTES, MAX_TAG_VALUE_BYTES, MAX_MEASUREMENT_BYTES = 256, 1024, 1024
MAX_STRING_FIELD_BYTES = 32 * 1024 * 1024


class IngestError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Params:
    precision: str | None = None
    input: str | None = None
    echo: str | None = None
    dry: bool = False
    strict: bool = False
    ignore_global_host_tags: bool = False


@dataclass
class Result:
    points: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    echoed: list[dict[str, Any]] | None = None  # as parsed, before the global host tag


# The units DataKit knows; any other precision (us, bogus) is nanoseconds, without an error.
PRECISIONS = ("n", "u", "ms", "s", "m", "h")


MAX_BODY_BYTES = 32 * 1024 * 1024  # the default cap on a decompressed body


def decode_body(body: bytes, encoding: str | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body as sent, decompressed (gzip, deflate, raw deflate) to at most ``limit`` bytes.

    Decompression is incremental and stops one byte past the cap, so a small compressed body
    can never turn into gigabytes: over the cap is a 413 after reading at most ``limit`` bytes.
    """
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise too_large(limit)
        return body
    if encoding in ("gzip", "x-gzip"):
        modes = (16 + zlib.MAX_WBITS,)
    elif encoding == "deflate":
        modes = (zlib.MAX_WBITS, -zlib.MAX_WBITS)  # zlib-wrapped, or raw as some clients send
    else:
        raise IngestError("datakit.decodeBodyFailed", f"unsupported Content-Encoding {encoding!r}")
    for attempt, wbits in enumerate(modes):
        try:
            return _inflate(body, wbits, limit)
        except zlib.error as exc:
            if attempt == len(modes) - 1:
                raise IngestError(
                    "datakit.decodeBodyFailed", f"decode {encoding} body failed: {exc}"
                ) from None
    raise AssertionError("unreachable")


INFLATE_CHUNK = 1024 * 1024


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """Decompress in 1 MiB steps, so that memory never holds much more than ``limit`` bytes."""
    out = bytearray()
    data = body
    while True:  # a gzip body may hold several members, one after the other
        inflater = zlib.decompressobj(wbits)
        pending = data
        while True:
            chunk = inflater.decompress(pending, min(INFLATE_CHUNK, limit + 1 - len(out)))
            out += chunk
            if len(out) > limit:
                raise too_large(limit)
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and not chunk):
                break
        if not inflater.eof:
            raise zlib.error("the compressed body is truncated")
        data = inflater.unused_data
        if not data or wbits != 16 + zlib.MAX_WBITS:
            return bytes(out)


def too_large(limit: int) -> IngestError:
    return IngestError(
        "datakit.bodyTooLarge",
        f"the decompressed body is larger than {limit // (1024 * 1024)} MiB "
        "(FUNCPAD_RECEIVER_MAX_BODY_MB)",
        status=413,
    )


def _utf8_trim(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def _within_limits(point: dict[str, Any], string_fields: bool = True) -> bool:
    """Cheap test that no limit can be exceeded (a UTF-8 char is at most 4 bytes).

    ``string_fields=False`` skips the string-field check, for bodies that cannot hold any.
    """
    tags, fields = point["tags"], point["fields"]
    if (
        len(point["measurement"]) * 4 > MAX_MEASUREMENT_BYTES
        or len(tags) > MAX_TAGS
        or len(fields) > MAX_FIELDS
        or (tags and max(map(len, tags.values())) * 4 > MAX_TAG_VALUE_BYTES)
    ):
        return False
    if string_fields:
        for value in fields.values():
            if isinstance(value, str) and len(value) * 4 > MAX_STRING_FIELD_BYTES:
                return False
    return True


def _apply_limits(point: dict[str, Any], warnings: list[str], strict: bool) -> None:
    if _within_limits(point):
        return

    def fix(message: str) -> None:
        if strict:
            raise IngestError("datakit.pointGotWarning", message)
        warnings.append(message)

    def trim(message: str) -> None:  # DataKit trims with or without strict
        warnings.append(message)

    measurement = point["measurement"]
    if len(measurement.encode()) > MAX_MEASUREMENT_BYTES:
        trim(f"measurement {measurement[:40]!r}… over {MAX_MEASUREMENT_BYTES} bytes: trimmed")
        point["measurement"] = _utf8_trim(measurement, MAX_MEASUREMENT_BYTES)
    tags, fields = point["tags"], point["fields"]
    if len(tags) > MAX_TAGS:
        fix(f"{len(tags)} tags, more than {MAX_TAGS}: extra tags dropped")
        point["tags"] = tags = dict(list(tags.items())[:MAX_TAGS])
    if len(fields) > MAX_FIELDS:
        fix(f"{len(fields)} fields, more than {MAX_FIELDS}: extra fields dropped")
        point["fields"] = fields = dict(list(fields.items())[:MAX_FIELDS])
    for key in list(tags):
        value = tags[key]
        if len(value.encode()) > MAX_TAG_VALUE_BYTES:
            trim(f"tag {key!r} value longer than {MAX_TAG_VALUE_BYTES} bytes: trimmed")
            tags[key] = _utf8_trim(value, MAX_TAG_VALUE_BYTES)
    for key, value in list(fields.items()):
        if isinstance(value, str) and len(value.encode()) > MAX_STRING_FIELD_BYTES:
            trim(f"field {key!r} longer than 32 MiB: trimmed")
            fields[key] = _utf8_trim(value, MAX_STRING_FIELD_BYTES)


def apply_category_rules(
    category: str, point: dict[str, Any], warnings: list[str], strict: bool
) -> None:
    if category == "metric":
        strings = [k for k, v in point["fields"].items() if isinstance(v, str)]
        for key in strings:
            del point["fields"][key]
        if strings:
            if strict:
                raise IngestError(
                    "datakit.pointGotWarning",
                    f"metric {point['measurement']!r} has string fields {strings}",
                )
            warnings.append(f"string fields {strings} dropped from metric {point['measurement']!r}")
        if not point["fields"]:
            raise IngestError(
                "datakit.invalidLinePoint", f"metric {point['measurement']!r} has no numeric field"
            )
    elif category == "logging":
        for key in ("source", "date"):
            point["tags"].pop(key, None)
            point["fields"].pop(key, None)
        point["tags"] = {k.replace(".", "_"): v for k, v in point["tags"].items()}
        point["fields"] = {k.replace(".", "_"): v for k, v in point["fields"].items()}
        # status is a field, kept as sent; a status tag stays a tag (the Logs view reads the
        # level from either, and maps odd forms for display only).
        if "status" not in point["tags"] and "status" not in point["fields"]:
            point["fields"]["status"] = "info"
    elif category in ("object", "custom_object") and not (
        "name" in point["tags"] or "name" in point["fields"]
    ):
        point["fields"]["name"] = "default"
        point["tags"].pop("class", None)


def parse_json_points(text: str, now_ns: int, precision: str | None) -> list[dict[str, Any]]:
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise IngestError("datakit.invalidJsonPoint", f"invalid JSON: {exc}") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise IngestError("datakit.invalidJsonPoint", "expected an array of points")
    points = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValueError("a point must be an object")
            fields = item.get("fields")
            if isinstance(fields, dict):  # DataKit drops a nested value, keeps the point
                fields = {k: v for k, v in fields.items() if not isinstance(v, dict | list)}
            stamp = item.get("time")
            if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp < 0:
                stamp = None  # a negative time is the receive time, as for line protocol
            line = lineprotocol.encode_point(
                item.get("measurement"), item.get("tags"), fields, stamp, now_ns=now_ns
            )
            points.append(lineprotocol.parse_line(line, precision="n"))
        except ValueError as exc:
            raise IngestError("datakit.invalidJsonPoint", f"point {index}: {exc}") from None
    return points


def _crlf_lines_fail(
    text: str, points: list, errors: list, precision: str | None, now_ns: int
) -> tuple[list, list]:
    """DataKit reads "\r\n" as a "\r" ending the line's timestamp (or last field): such a
    line fails there, so it fails here, and the other lines are counted as it counts them."""
    bad = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t\0")
        if line.endswith("\r") and stripped.strip("\r") and not stripped.startswith("#"):
            bad.append(
                lineprotocol.LineError(
                    number, line, "a '\\r' ends the line: CRLF line endings are not line protocol"
                )
            )
    if not bad:
        return points, errors
    kept = "\n".join(line for line in text.split("\n") if not line.endswith("\r"))
    points, others = lineprotocol.parse(kept, precision=precision, now_ns=now_ns)
    return points, sorted([*bad, *others], key=lambda e: e.line_no)


def parse_error_text(errors: list, points: list, raw: bytes) -> str:
    """DataKit's words for a body with bad lines (scripts and people grep for them)."""
    first = errors[0]
    position = _error_position(first.line, first.reason)
    return (
        f"invalid lineprotocol: unable to parse '{first.line}'(pos: {position}): {first.reason}"
        f" with {len(points)} point parse ok, {len(errors)} points failed. Origin data: "
        f"{raw[:1024].decode('utf-8', 'replace')!r}"
    )


def _error_position(line: str, reason: str) -> int:
    """Where in the line the reason points: the quoted token it names, else the line's end."""
    quoted = reason.split("'")
    for token in quoted[1::2]:
        index = line.find(token)
        if token and index >= 0:
            return index
    return len(line)


def ingest(
    category: str,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    params: Params,
    now_ns: int,
    hostname: str,
    max_body: int = MAX_BODY_BYTES,
) -> Result:
    if category not in CATEGORIES:
        raise IngestError("datakit.invalidCategory", f"invalid category {category!r}")
    precision = params.precision
    if precision and precision not in PRECISIONS:
        precision = "n"
    raw = decode_body(body, content_encoding, max_body)
    if not raw.strip():
        raise IngestError("datakit.emptyBody", "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("datakit.invalidLinePoint", "the body is not UTF-8") from None
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        points = parse_json_points(text, now_ns, precision)
    else:
        points, errors = lineprotocol.parse(text, precision=precision, now_ns=now_ns)
        if "\r" in text:
            points, errors = _crlf_lines_fail(text, points, errors, precision, now_ns)
        if errors:
            raise IngestError("datakit.invalidLinePoint", parse_error_text(errors, points, raw))
    if not points:
        raise IngestError("datakit.noPoints", "")
    for point in points:
        if point["time"] < 0:  # DataKit takes a negative timestamp as "now"
            point["time"] = now_ns
    warnings: list[str] = []
    if category == "metric" and '"' not in text:
        # The common body: metrics without a quote, so without string fields to drop. Only
        # points that might exceed a size limit take the full check.
        for point in points:
            if not _within_limits(point, string_fields=False):
                _apply_limits(point, warnings, params.strict)
    else:
        for point in points:
            _apply_limits(point, warnings, params.strict)
            apply_category_rules(category, point, warnings, params.strict)
    # The echo is the points as parsed and checked, before the global host tag (as DataKit).
    echoed = [{**p, "tags": dict(p["tags"])} for p in points] if params.echo else None
    if not params.ignore_global_host_tags:
        for point in points:
            tags = point["tags"]
            if "host" not in tags:
                tags["host"] = hostname
    return Result(points, warnings, echoed)
