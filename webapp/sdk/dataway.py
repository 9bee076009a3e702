"""``DFF.DATAWAY``: DataFlux Func's DataWay helper (§6 of the facts) — the DataKit helper's
writes and queries, sent to a DataWay (default port 9528) with the workspace ``token`` on
every request and, when given an AccessKey, DataWay's ``DWAY`` signature.

The signature is DataFlux Func's: ``Authorization: DWAY <ak>:<base64 HMAC-SHA1(sk,
"METHOD\\n<base64 md5>\\n<content type>\\n<Date>")>`` where, as in its source, the body's md5 and
the content type are those of empty values; a DataWay that accepts DataFlux Func's requests
accepts these. Requests still go through the sandbox's network policy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

try:
    from sdk.datakit import DataKit, DataKitError
except ImportError:
    from webapp.sdk.datakit import DataKit, DataKitError

EMPTY_MD5 = base64.b64encode(hashlib.md5(b"").digest()).decode()


def dway_signature(secret_key: str, method: str, date: str) -> str:
    text = f"{method.upper()}\n{EMPTY_MD5}\n\n{date}"
    digest = hmac.new(secret_key.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class DataWay(DataKit):
    """DFF.DATAWAY(url=..., token=...): writes and queries through a DataWay."""

    def __init__(
        self,
        url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 9528,
        protocol: str = "http",
        token: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        min_gzip_bytes: bool | int | None = 20480,
        **options: Any,
    ) -> None:
        if url and token is None:
            token = (parse_qs(urlsplit(url).query).get("token") or [None])[0]
        super().__init__(
            url=url.split("?", 1)[0] if url else None,
            host=host,
            port=port,
            protocol=protocol,
            token=token,
            min_gzip_bytes=min_gzip_bytes,
            **options,
        )
        self.source = None  # DataWay takes no ?input=
        self.access_key = access_key
        self.secret_key = secret_key

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if self.access_key and self.secret_key:
            date = formatdate(usegmt=True)
            all_headers["Date"] = date
            signature = dway_signature(self.secret_key, method, date)
            all_headers["Authorization"] = f"DWAY {self.access_key}:{signature}"
        return super()._request(method, path, query=query, body=body, headers=all_headers)

    def query(self, dql: str, *args: Any, token: str | None = None, **kwargs: Any):
        """A DQL query through the DataWay (it needs the workspace token).

        Example:
            dataway = DFF.DATAWAY(url="http://127.0.0.1:9528", token="tkn_x")
            status, data = dataway.query("M::cpu LIMIT 1")
        """
        token = token or self.token
        if not token:
            raise ValueError("DataWay.query needs a token")
        return super().query(dql, *args, token=token, **kwargs)

    @classmethod
    def from_connector(cls, **config: Any) -> DataWay:
        """``DFF.CONN`` of a df_dataway connector: its fields are DataFlux Func's (``url`` or
        ``host``/``port``/``protocol``, ``token``, ``accessKey``, ``secretKey``, ``timeout``,
        ``splitSize``)."""
        return cls(
            url=config.get("url") or None,
            host=config.get("host") or "127.0.0.1",
            port=int(config.get("port") or 9528),
            protocol=config.get("protocol") or "http",
            token=config.get("token") or None,
            access_key=config.get("accessKey") or None,
            secret_key=config.get("secretKey") or None,
            timeout=config.get("timeout") or 10,
            split_size=config.get("splitSize") or None,
            debug=bool(config.get("debug")),
        )

    def check(self) -> dict[str, Any]:
        """Reach the DataWay without writing: ``GET /v1/ping`` with the token. Any answer but
        a refusal (401/403) or a server error counts: ``{"version": "..."}``.

        Example:
            DFF.CONN("dataway").check()
        """
        raise_for_status, self.raise_for_status = self.raise_for_status, False
        try:
            status, data = self._request("GET", "/v1/ping")
        finally:
            self.raise_for_status = raise_for_status
        if status in (401, 403) or status >= 500:
            raise DataKitError(f"GET /v1/ping answered HTTP {status}: {data}", status, data)
        content = data.get("content") if isinstance(data, dict) else None
        version = content.get("version") if isinstance(content, dict) else None
        return {"version": version or f"HTTP {status}"}
