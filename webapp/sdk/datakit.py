"""The DataKit helper scripts get from ``DFF.SRC('datakit')``.

Same method names, signatures and ``(status_code, data)`` return values as the helper DataFlux
Func users know, but: exact line protocol (see ``lineprotocol``), timestamps kept to the
nanosecond, every point validated before anything is sent, keep-alive connections, batches
(1000 points per request by default), gzip for large bodies sent to another host (on
loopback compressing costs CPU and saves nothing), bounded retries with backoff on
connection errors, 429 and 5xx, and errors that say which request failed and why (tokens
masked). ``raise_for_status=False`` returns the tuple of a failed request instead of raising.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

try:
    from sdk import lineprotocol, onewrite
except ImportError:  # in the app (tests, tools) rather than the sandbox runtime
    from webapp.sdk import lineprotocol, onewrite

CATEGORIES = (
    "metric",
    "logging",
    "object",
    "custom_object",
    "keyevent",
    "network",
    "tracing",
    "rum",
    "security",
)
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Connector settings the platform may pass besides the helper's own options.
PLATFORM_CONFIG_KEYS = {"embedded", "title", "type", "description"}
QUERY_PAGE_SIZE = 500
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


class DataKitError(RuntimeError):
    """A request to DataKit failed; the message names the request and the reason."""

    def __init__(self, message: str, status_code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.data = data


class DataKit:
    """What DFF.SRC("datakit") returns: writes points to a DataKit agent and calls its API.

    Every method returns (status_code, data): the HTTP status and the decoded answer. A failed
    request raises DataKitError, unless the connector has raise_for_status=False.
    """

    def __init__(
        self,
        url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 9529,
        protocol: str = "http",
        source: str | None = None,
        timeout: float = 10,
        token: str | None = None,
        batch_size: int = 1000,
        gzip_threshold: int | None = None,
        max_retries: int = 3,
        retry_backoff: float = 0.2,
        raise_for_status: bool = True,
        debug: bool = False,
        dry_run: bool = False,
        split_size: int | None = None,
        min_gzip_bytes: bool | int | None = None,
        verify_https: bool = True,
        **_platform: Any,
    ) -> None:
        # DataFlux Func's options: split_size is the batch size, min_gzip_bytes True (always)
        # or a size, dry_run validates without sending and answers (0, None), debug prints each
        # request and answer (token masked), verify_https=False skips certificate checks.
        unknown = set(_platform) - PLATFORM_CONFIG_KEYS
        if unknown:
            raise TypeError(f"DataKit got unexpected options: {', '.join(sorted(unknown))}")
        if split_size is not None:
            batch_size = split_size
        if min_gzip_bytes is True:
            gzip_threshold = 1
        elif isinstance(min_gzip_bytes, int) and min_gzip_bytes is not False:
            gzip_threshold = min_gzip_bytes
        self.debug = bool(debug)
        self.dry_run = bool(dry_run)
        self.verify_https = bool(verify_https)
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"DataKit url must look like http://host:port, got {url!r}")
            self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        else:
            if protocol not in ("http", "https"):
                raise ValueError(f"protocol must be http or https, got {protocol!r}")
            self.base_url = f"{protocol}://{host}:{int(port)}"
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError("batch_size must be a positive integer")
        self.source = source
        self.timeout = float(timeout)
        self.token = token
        self.batch_size = batch_size
        if gzip_threshold is None:  # auto: bodies over 16 KiB, unless the agent is local
            local = urlsplit(self.base_url).hostname in LOOPBACK_HOSTS
            gzip_threshold = 0 if local else 16 * 1024
        self.gzip_threshold = gzip_threshold  # 0: never compress
        self.max_retries = max(0, int(max_retries))
        self.retry_backoff = retry_backoff
        self.raise_for_status = raise_for_status
        self._pool = None

    # --- transport ------------------------------------------------------------------------

    @property
    def pool(self):
        if self._pool is None:
            # Keep-alive across calls; each request in one write (onewrite.py says why).
            self._pool = onewrite.pool_manager(verify=self.verify_https)
        return self._pool

    def _url(self, path: str, query: Mapping[str, Any] | None) -> str:
        params = dict(query or {})
        if self.token:
            params.setdefault("token", self.token)
        path = path if path.startswith("/") else "/" + path
        return self.base_url + path + (("?" + urlencode(params, doseq=True)) if params else "")

    def _masked(self, url: str) -> str:
        return url.replace(self.token, "*****") if self.token else url

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        from urllib3.exceptions import HTTPError, NewConnectionError
        from urllib3.exceptions import TimeoutError as Urllib3Timeout

        url = self._url(path, query)
        all_headers = dict(headers or {})
        if self.debug:
            print(
                f"[DataKit] {method} {self._masked(url)}"
                + (f" ({len(body)} bytes)" if body else "")
            )
        if self.dry_run:
            return 0, None
        if body is not None and self.gzip_threshold and len(body) > self.gzip_threshold:
            # Level 1: a quarter of the size for a third of level 5's time.
            body = gzip.compress(body, compresslevel=1)
            all_headers["Content-Encoding"] = "gzip"
        attempt = 0
        while True:
            try:
                response = self.pool.request(
                    method,
                    url,
                    body=body,
                    headers=all_headers,
                    timeout=self.timeout,
                    retries=False,  # ours, below: counted, with backoff, and named in errors
                    redirect=False,
                )
            except HTTPError as exc:
                if attempt < self.max_retries:
                    attempt += 1
                    time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                    continue
                # urllib3 makes a refused connection a kind of timeout: told apart first.
                timed_out = isinstance(exc, Urllib3Timeout) and not isinstance(
                    exc, NewConnectionError
                )
                reason = "timed out" if timed_out else "could not connect"
                raise DataKitError(
                    f"{method} {self._masked(url)} {reason} after {attempt + 1} attempt(s): "
                    f"{self._masked(str(exc))}"
                ) from None
            status = response.status
            if status in RETRY_STATUSES and attempt < self.max_retries:
                attempt += 1
                time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                continue
            data = _decode(response)
            if self.debug:
                print(f"[DataKit] -> {status} {self._masked(str(data))[:500]}")
            if status >= 400 and self.raise_for_status:
                detail = data.get("message") if isinstance(data, dict) else data
                code = data.get("error_code") if isinstance(data, dict) else None
                raise DataKitError(
                    f"{method} {self._masked(url)} failed with HTTP {status}"
                    + (f" {code}" if code else "")
                    + (f": {detail}" if detail else ""),
                    status,
                    data,
                )
            return status, data

    # --- generic --------------------------------------------------------------------------

    def get(
        self,
        path: str,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """GET any path of the agent's API.

        Args:
            path: A path such as "/v1/ping".
            query: Query-string arguments.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            DataKitError: The request failed (after retries on connection errors, 429, 5xx).
        Example:
            status, data = DFF.SRC("datakit").get("/v1/ping")
            print(data["content"]["version"])
        """
        return self._request("GET", path, query=query, headers=headers)

    def post_json(
        self,
        path: str,
        obj: Any,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST a JSON body to any path of the agent's API.

        Args:
            path: The path.
            obj: Anything json.dumps accepts.
            query: Query-string arguments.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            DataKitError: The request failed.
        Example:
            DFF.SRC("datakit").post_json("/v1/write/logging?dry=1", [])
        """
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return self._request(
            "POST",
            path,
            query=query,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def post_line_protocol(
        self,
        path: str,
        points: str | Iterable[Mapping[str, Any]],
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST points to any path as line protocol, in batches (1000 points per request).

        Args:
            path: The path, e.g. "/v1/write/metric".
            points: Dicts {measurement, tags, fields, timestamp}, or line protocol text.
            query: Query-string arguments.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data) of the last batch.
        Raises:
            ValueError: A point is not valid (checked before anything is sent), or none given.
            DataKitError: A request failed.
        Example:
            DFF.SRC("datakit").post_line_protocol("/v1/write/metric", "cpu,host=a usage=1.5")
        """
        if isinstance(points, str):
            lines = [line for line in points.split("\n") if line.strip()]
        else:
            lines = lineprotocol.encode_lines(points, now_ns=time.time_ns())
        if not lines:
            raise ValueError("no points to write")
        result: tuple[int, Any] = (200, None)
        for start in range(0, len(lines), self.batch_size):
            body = "\n".join(lines[start : start + self.batch_size]).encode("utf-8")
            result = self._request(
                "POST",
                path,
                query=query,
                body=body,
                headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
            )
            if result[0] >= 400:  # only when raise_for_status=False
                return result
        return result

    # --- writes by category ---------------------------------------------------------------

    def write_by_category_many(
        self,
        category: str,
        data: Iterable[Mapping[str, Any]],
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Write many points of one category (metric, logging, object, keyevent, ...).

        Args:
            category: One of metric, logging, object, custom_object, keyevent, network,
                tracing, rum, security.
            data: A list of dicts {measurement, tags, fields, timestamp}.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: An unknown category or an invalid point.
            DataKitError: The request failed.
        Example:
            DFF.SRC("datakit").write_by_category_many("object", [
                {"measurement": "host", "tags": {"name": "web-1"}, "fields": {"cpus": 8}},
            ])
        """
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
        if isinstance(data, Mapping):
            data = [data]
        query = {"input": self.source} if self.source else None
        return self.post_line_protocol(f"/v1/write/{category}", list(data), query, headers)

    def write_by_category(
        self, category: str, measurement: str, tags=None, fields=None, timestamp=None, headers=None
    ) -> tuple[int, Any]:
        """Write one point of a category.

        Args:
            category: metric, logging, object, ... (see write_by_category_many).
            measurement: The measurement (for logging: the source).
            tags: A dict of tag names and string values.
            fields: A dict of field names and values (numbers, strings, booleans).
            timestamp: Seconds, milliseconds or nanoseconds since the epoch; now when left out.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: The point is not valid.
            DataKitError: The request failed.
        Example:
            DFF.SRC("datakit").write_by_category("keyevent", "deploy", fields={"title": "v2"})
        """
        point = {"measurement": measurement, "tags": tags, "fields": fields, "timestamp": timestamp}
        return self.write_by_category_many(category, [point], headers)

    def write_metric(
        self, measurement: str, tags=None, fields=None, timestamp=None, headers=None
    ) -> tuple[int, Any]:
        """Write one metric point. write_point is the same method.

        Args:
            measurement: The measurement, e.g. "cpu".
            tags: A dict of tag names and string values.
            fields: A dict of field names and values (numbers, strings, booleans).
            timestamp: Seconds, milliseconds or nanoseconds since the epoch; now when left out.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: The point is not valid (e.g. no fields).
            DataKitError: The request failed.
        Example:
            datakit = DFF.SRC("datakit")
            datakit.write_metric("cpu", tags={"host": "web-1"}, fields={"usage": 12.5})
        """
        return self.write_by_category("metric", measurement, tags, fields, timestamp, headers)

    def write_metrics(self, data, headers=None) -> tuple[int, Any]:
        """Write many metric points at once. write_metric_many and write_points are the same.

        Args:
            data: A list of dicts {measurement, tags, fields, timestamp}.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: A point is not valid.
            DataKitError: A request failed.
        Example:
            DFF.SRC("datakit").write_metrics([
                {"measurement": "cpu", "tags": {"host": "a"}, "fields": {"usage": 1}},
                {"measurement": "cpu", "tags": {"host": "b"}, "fields": {"usage": 2}},
            ])
        """
        return self.write_by_category_many("metric", data, headers)

    def write_logging(
        self, measurement: str, tags=None, fields=None, timestamp=None, headers=None
    ) -> tuple[int, Any]:
        """Write one log line: the measurement is its source, fields["message"] its text.

        A "status" tag (info, warning, error, ...) sets its level on the Logs page.

        Args:
            measurement: The source, e.g. "my_collector".
            tags: A dict of tag names and string values.
            fields: A dict with at least "message".
            timestamp: Seconds, milliseconds or nanoseconds since the epoch; now when left out.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: The line is not valid.
            DataKitError: The request failed.
        Example:
            DFF.SRC("datakit").write_logging(
                "my_collector", tags={"status": "warning"}, fields={"message": "disk 91% full"}
            )
        """
        return self.write_by_category("logging", measurement, tags, fields, timestamp, headers)

    def write_logging_many(self, data, headers=None) -> tuple[int, Any]:
        """Write many log lines at once. write_loggings is the same method.

        Args:
            data: A list of dicts {measurement, tags, fields, timestamp}.
            headers: Extra HTTP headers.
        Returns:
            (status_code, data).
        Raises:
            ValueError: A line is not valid.
            DataKitError: A request failed.
        Example:
            DFF.SRC("datakit").write_logging_many([
                {"measurement": "app", "fields": {"message": "started"}},
            ])
        """
        return self.write_by_category_many("logging", data, headers)

    write_point = write_metric
    write_metric_many = write_metrics
    write_points = write_metrics
    write_loggings = write_logging_many

    def query(
        self,
        dql: str,
        all_series: bool = False,
        dict_output: bool = False,
        raw: bool = False,
        token: str | None = None,
        **options: Any,
    ) -> tuple[int, Any]:
        """Run a DQL query through the agent (POST /v1/query/raw).

        A real agent forwards it to Guance; the embedded receiver cannot run DQL and answers
        with an error saying so.

        Args:
            dql: The query, e.g. "M::cpu LIMIT 10".
            all_series: Page through every series (500 at a time; 20 pages for M::, else 5).
            dict_output: Each series as a list of {column: value, ..., "tags": {...}} rows.
            raw: The agent's whole answer (its series merged), not just {"series": [...]}.
            token: A workspace token to query with.
            options: Further fields of the query (time_range, limit, offset, ...).
        Returns:
            (status_code, {"series": [...]}) by default.
        Raises:
            DataKitError: The request failed.
        Example:
            status, data = DFF.SRC("datakit").query("M::cpu LIMIT 10", dict_output=True)
        """
        fields = {k: v for k, v in options.items() if v is not None}
        pages = (20 if dql.strip().upper().startswith("M::") else 5) if all_series else 1
        status, answer, series = 0, None, []
        for page in range(pages):
            query = {"query": dql, **fields}
            if all_series:
                query.update(slimit=QUERY_PAGE_SIZE, soffset=page * QUERY_PAGE_SIZE)
            body: dict[str, Any] = {"queries": [query], "mask_visible": True}
            if token:
                body["token"] = token
            status, answer = self.post_json("/v1/query/raw", body)
            if status >= 400 or not isinstance(answer, dict) or "content" not in answer:
                return status, answer  # an error (raise_for_status=False), or not DataKit's JSON
            content = answer.get("content") or [{}]
            found = (content[0] or {}).get("series") or []
            series += found
            if len(found) < QUERY_PAGE_SIZE:
                break
        if raw:
            if isinstance(answer.get("content"), list) and answer["content"]:
                answer["content"][0]["series"] = series
            return status, answer
        if dict_output:
            return status, {"series": [_rows(s) for s in series]}
        return status, {"series": series}

    @classmethod
    def convert_to_ns(cls, ts: float | int | None = None) -> int:
        """A time in seconds, milliseconds, microseconds or nanoseconds as nanoseconds.

        Args:
            ts: The time; now when left out.
        Returns:
            Nanoseconds since the epoch (an int).
        Example:
            DataKit.convert_to_ns(1700000000)  # 1700000000000000000
        """
        if ts is None:
            return time.time_ns()
        value = int(ts)
        for _ in range(3):
            if value >= 10**18:
                break
            value *= 1000
        return value

    @classmethod
    def prepare_line_protocol(cls, points: Iterable[Mapping[str, Any]]) -> str:
        """The line protocol body of points (the text write_* would send).

        Args:
            points: Dicts {measurement, tags, fields, timestamp}.
        Returns:
            The lines, joined by newlines.
        Raises:
            ValueError: A point is not valid.
        Example:
            DataKit.prepare_line_protocol([{"measurement": "cpu", "fields": {"usage": 1.5}}])
        """
        if isinstance(points, Mapping):
            points = [points]
        return "\n".join(lineprotocol.encode_lines(list(points), now_ns=time.time_ns()))

    def close(self) -> None:
        """Close the helper's keep-alive connections (done for you when the run ends).

        Example:
            DFF.SRC("datakit").close()
        """
        if self._pool is not None:
            self._pool.clear()
            self._pool = None


def _rows(series: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One series as rows of {column: value, ..., "tags": {...}} (dict_output=True)."""
    columns = series.get("columns") or []
    tags = series.get("tags") or {}
    return [
        {**dict(zip(columns, values, strict=False)), "tags": tags}
        for values in series.get("values") or []
    ]


def _decode(response) -> Any:
    text = response.data.decode("utf-8", "replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
