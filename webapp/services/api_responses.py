"""The HTTP answers of DataFlux Func's call endpoints (§7.3 of the facts), without Flask.

``HttpAnswer`` is what the view sends: a status, headers and a body. A run's outcome becomes
an answer by DataFlux Func's rules: an error envelope with its codes (599 for a failed,
skipped or timed-out run), the function's own answer when it returned ``DFF.RESP`` and
friends (checked here: a status code in range, headers without CR/LF, none that would
override the platform's security headers or set cookies), else the value unboxed (the Sync
API's default) or in the ``{ok, error, message, data: {result}}`` envelope.

One difference from DataFlux Func, on purpose: a return of ``0``, ``False`` or ``''`` reaches
the caller as that value (DataFlux Func's server turns it into null).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

DFF_VERSION = "funcpad-dff-compatible"
# Answers of functions are served in an opaque origin: a page a function returns cannot use
# a visitor's session with the platform (no same-origin access to its cookies or API).
SANDBOX_CSP = "sandbox allow-scripts allow-forms allow-popups allow-downloads"
REFUSED_HEADERS = frozenset(
    {
        "set-cookie",
        "content-security-policy",
        "content-security-policy-report-only",
        "x-content-type-options",
        "x-frame-options",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "content-encoding",
        "strict-transport-security",
    }
)
CONTENT_TYPES = {"json": "application/json", "txt": "text/plain", "html": "text/html"}


@dataclass
class HttpAnswer:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CallTiming:
    """When the request came (for the envelope's times and the X- headers)."""

    started: float = field(default_factory=time.time)
    trace_id: str = field(default_factory=lambda: "TRACE-" + uuid.uuid4().hex[:24].upper())


def common_headers(timing: CallTiming) -> list[tuple[str, str]]:
    now = time.time()
    return [
        ("X-Trace-Id", timing.trace_id),
        ("X-Request-Time", _iso(timing.started)),
        ("X-Response-Time", _iso(now)),
        ("X-Request-Cost", str(int((now - timing.started) * 1000))),
        ("X-Dff-Version", DFF_VERSION),
        ("X-Dff-Release-Timestamp", "0"),
        ("Content-Security-Policy", SANDBOX_CSP),
    ]


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp % 1 * 1000):03d}Z"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error(
    status: int,
    reason: str,
    message: str,
    timing: CallTiming,
    *,
    detail: Any = None,
    method: str = "",
    url: str = "",
    headers: list[tuple[str, str]] | None = None,
) -> HttpAnswer:
    """DataFlux Func's error envelope; the HTTP status is the code's integer part."""
    body = {
        "ok": False,
        "error": status,
        "reason": reason,
        "message": message,
        "detail": detail,
        "reqDump": {"method": method, "url": url},
        "traceId": timing.trace_id,
    }
    return HttpAnswer(
        status, _json(body), "application/json", [*common_headers(timing), *(headers or [])]
    )


def envelope(data: Any, timing: CallTiming) -> HttpAnswer:
    now = time.time()
    body = {
        "ok": True,
        "error": 200,
        "message": "",
        "data": data,
        "traceId": timing.trace_id,
        "clientTime": None,
        "reqTime": _iso(timing.started),
        "respTime": _iso(now),
        "reqCost": int((now - timing.started) * 1000),
    }
    return HttpAnswer(200, _json(body), "application/json", common_headers(timing))


def content_type_of(value: Any) -> str | None:
    """An extension ("html") or a MIME type ("text/xml") as a MIME type; None if neither."""
    if not isinstance(value, str) or not value or len(value) > 128 or "\n" in value:
        return None
    if "/" in value:
        return value
    return CONTENT_TYPES.get(value) or mimetypes.guess_type(f"x.{value}")[0]


def _checked_headers(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, dict):
        return []
    out = []
    for name, value in list(raw.items())[:50]:
        name, value = str(name), str(value)
        if not name or len(name) > 128 or any(c in name for c in "\r\n:") or not name.isascii():
            continue
        if "\r" in value or "\n" in value or len(value) > 4096:
            continue
        if name.lower() in REFUSED_HEADERS:
            continue
        out.append((name, value))
    return out


def _disposition(name: str) -> str:
    safe = "".join(c for c in name if c.isprintable() and c not in '"\\/')[:200] or "download"
    ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
    from urllib.parse import quote

    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe)}"


def _raw(value: Any, return_type: str) -> tuple[bytes, str]:
    """The unboxed body: an object or list as JSON, a string as HTML (Express's default for
    text), a number as its digits, None as nothing."""
    if return_type == "jsonDumps":
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return b"", "application/json"
    if isinstance(value, str):
        return value.encode("utf-8"), "text/html"
    if isinstance(value, bool | dict | list):
        return _json(value), "application/json"
    if isinstance(value, int | float):
        return str(value).encode(), "text/html"
    return _json(value), "application/json"


def from_outcome(
    outcome: dict[str, Any],
    timing: CallTiming,
    *,
    unbox: bool,
    return_type: str = "raw",
    cached: bool = False,
    method: str = "",
    url: str = "",
) -> HttpAnswer:
    """The answer for a finished run (``status``, ``return_value``, ``error``,
    ``response_control`` as on its task record)."""
    status = outcome.get("status")
    failure = outcome.get("error") or {}
    if status == "timeout":
        return error(599, "EFuncTimeout", "Func task timeout", timing, method=method, url=url)
    if status != "success":
        message = "Func task skipped" if status == "skipped" else "Func task failed"
        detail = {
            "exception": f"{failure.get('type', 'Error')}({failure.get('message', '')!r})",
            "traceback": failure.get("traceback", ""),
        }
        return error(599, "EFuncFailed", message, timing, detail=detail, method=method, url=url)
    value = outcome.get("return_value")
    control = outcome.get("response_control")
    extra = [("X-Dff-Cache", "Cached")] if cached else []
    if not isinstance(control, dict) or not control:
        if not unbox:
            if return_type == "jsonDumps":
                value = json.dumps(value, ensure_ascii=False)
            answer = envelope({"result": value}, timing)
            answer.headers += [("Last-Modified", formatdate(usegmt=True)), *extra]
            return answer
        body, kind = _raw(value, return_type)
        headers = [*common_headers(timing), ("Last-Modified", formatdate(usegmt=True)), *extra]
        return HttpAnswer(200, body, kind, headers)
    return _controlled(value, control, timing, return_type, extra)


def _controlled(
    value: Any, control: dict[str, Any], timing: CallTiming, return_type: str, extra: list
) -> HttpAnswer:
    status = control.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        status = 200
    headers = [*common_headers(timing), *_checked_headers(control.get("headers")), *extra]
    if not control.get("allow304"):
        headers.append(("Last-Modified", formatdate(usegmt=True)))
    content_type = content_type_of(control.get("contentType"))
    download = control.get("download")
    file = control.get("file")
    if isinstance(file, dict) and isinstance(file.get("content_base64"), str):
        name = str(file.get("name") or "download")
        body = base64.b64decode(file["content_base64"], validate=False)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if download:
            headers.append(
                (
                    "Content-Disposition",
                    _disposition(str(download) if isinstance(download, str) else name),
                )
            )
        return HttpAnswer(status, body, kind, headers)
    if download:
        if content_type is None:
            content_type = "application/json" if isinstance(value, dict | list) else "text/plain"
        name = (
            download
            if isinstance(download, str)
            else ("api-resp.json" if isinstance(value, dict | list) else "api-resp.txt")
        )
        body = value.encode("utf-8") if isinstance(value, str) else _json(value)
        headers.append(("Content-Disposition", _disposition(name)))
        return HttpAnswer(status, body, content_type, headers)
    if content_type is not None:
        body = value.encode("utf-8") if isinstance(value, str) else _json(value)
        return HttpAnswer(status, body, content_type, headers)
    body, kind = _raw(value, return_type)
    return HttpAnswer(status, body, kind, headers)
