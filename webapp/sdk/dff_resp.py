"""``DFF.RESP``, ``RESP_FILE``, ``RESP_LARGE_DATA``, ``REDIRECT``: what a function returns when
it decides the HTTP answer of a Sync API or function call itself (§7.3 of the facts).

A response object carries the value and a ``control`` dict (status code, content type,
headers, download name, allow_304) that the platform checks and applies. Files and large data
travel with the run's result (bounded by its size limit, FUNCPAD_RUN_RESULT_MAX_KB): the run's
files are gone when it ends, so they cannot be sent afterwards.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import quote

try:
    from sdk.dff_store import to_json
except ImportError:
    from webapp.sdk.dff_store import to_json

MAX_FILE_BYTES = 64 * 1024 * 1024  # read at most this much; the result limit usually cuts first


class FuncResponse:
    """The answer of a function called over HTTP, as DFF.RESP made it."""

    def __init__(
        self,
        data: Any,
        status_code: int | None = None,
        content_type: str | None = None,
        headers: dict | None = None,
        allow_304: bool = False,
        download: bool | str = False,
    ) -> None:
        try:
            json.dumps(data, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Func Response cannot been serialized: {exc}") from None
        if status_code is not None and (
            isinstance(status_code, bool) or not isinstance(status_code, int)
        ):
            raise TypeError("status_code must be an integer")
        if headers is not None and not isinstance(headers, dict):
            raise TypeError("headers must be a dict")
        self.data = data
        self.status_code = status_code
        self.content_type = content_type
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.allow_304 = bool(allow_304)
        self.download = download

    def control(self) -> dict[str, Any]:
        """The non-empty keys of DataFlux Func's responseControl."""
        control = {
            "statusCode": self.status_code,
            "contentType": self.content_type,
            "headers": self.headers or None,
            "allow304": self.allow_304 or None,
            "download": self.download or None,
        }
        return {k: v for k, v in control.items() if v is not None}


class FuncResponseFile(FuncResponse):
    def __init__(
        self,
        file_path: str,
        status_code: int | None = None,
        headers: dict | None = None,
        allow_304: bool = False,
        auto_delete: bool = False,
        download: bool | str = True,
    ) -> None:
        if not isinstance(file_path, str) or not file_path:
            raise TypeError("file_path must be a path")
        path = os.path.abspath(file_path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No such file: {file_path}")
        with open(path, "rb") as source:
            content = source.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise ValueError(f"{file_path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        if auto_delete:
            os.remove(path)
        super().__init__(None, status_code, None, headers, allow_304, download)
        self.file = {
            "name": os.path.basename(path),
            "content_base64": base64.b64encode(content).decode("ascii"),
        }

    def control(self) -> dict[str, Any]:
        control = super().control()
        if self.download is True:
            control["download"] = self.file["name"]
        control["file"] = self.file
        return control


class FuncResponseLargeData(FuncResponse):
    def __init__(self, data: Any, content_type: str | None = None) -> None:
        if content_type is None:
            content_type = "json" if isinstance(data, dict | list | tuple) else "txt"
        text = data if isinstance(data, str) else to_json(data)
        super().__init__(text, None, content_type)


class FuncRedirect(FuncResponse):
    def __init__(self, url: str) -> None:
        if not isinstance(url, str):
            raise TypeError("REDIRECT needs the url as a str")
        # Non-ASCII characters are percent-encoded; what is already a URL stays as it is.
        location = quote(url, safe="!#$%&'()*+,/:;=?@[]~")
        super().__init__(f'<a href="{location}">Redirect</a>', 302, "html", {"Location": location})
