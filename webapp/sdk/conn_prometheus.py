"""``DFF.CONN(id)`` of a prometheus connector: DataFlux Func's helper over Prometheus's HTTP API.

``query(method, path=None, query=None, body=None)`` (``method`` may be ``"GET /api/v1/query"``)
returns the parsed JSON; a status of 400 or more raises ``Exception(status, text)``. A ``start``
and ``end`` in ``query`` (Unix seconds, milliseconds, ISO text or datetimes) are put in order
and sent as ISO 8601, as in DataFlux Func.
"""

from __future__ import annotations

import datetime
from typing import Any

TIMEOUT_SECONDS = 10


def _as_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        while seconds > 1e11:  # milliseconds (or finer) since the epoch
            seconds /= 1000
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            return _as_datetime(float(text))
        except ValueError:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return _as_datetime(parsed)
    raise TypeError(f"start / end must be a time, not {type(value).__name__}")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def sorted_time_range(query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with ``start`` <= ``end``, both ISO 8601 (UTC), when both are given."""
    if query.get("start") is None or query.get("end") is None:
        return query
    start, end = sorted((_as_datetime(query["start"]), _as_datetime(query["end"])))
    return {**query, "start": _iso(start), "end": _iso(end)}


class PrometheusHelper:
    """A prometheus connector's helper (one HTTP session for the run)."""

    def __init__(self, **config: Any) -> None:
        import requests

        self.config = config
        protocol = config.get("protocol") or "http"
        self.base_url = f"{protocol}://{config.get('host', '127.0.0.1')}:{config.get('port', 9090)}"
        self.session = requests.Session()
        user = config.get("user") or config.get("username")
        if user:
            self.session.auth = (user, config.get("password") or "")

    def close(self) -> None:
        """Close the run's HTTP session (the platform does this when the run ends)."""
        self.session.close()

    def check(self) -> dict[str, Any]:
        """Ask the server its build: ``{"version": "..."}``; raises when it cannot.

        Example:
            DFF.CONN("prom1").check()
        """
        info = self.query("GET", "/api/v1/status/buildinfo")
        return {"version": (info.get("data") or {}).get("version")}

    def query(
        self,
        method: str,
        path: str | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Call the HTTP API; the parsed JSON. ``method`` may carry the path.

        Example:
            res = DFF.CONN("prom1").query("GET /api/v1/query", query={"query": "up"})
            series = res["data"]["result"]
        """
        method, _, in_method = method.strip().partition(" ")
        path = path or in_method.strip()
        if not path:
            raise ValueError("query() needs a path, e.g. query('GET /api/v1/query', ...)")
        params = sorted_time_range(dict(query or {}))
        url = self.base_url + "/" + path.lstrip("/")
        if isinstance(body, dict) and method.upper() == "POST":
            response = self.session.post(url, params=params, data=body, timeout=TIMEOUT_SECONDS)
        else:
            response = self.session.request(
                method.upper(), url, params=params, json=body, timeout=TIMEOUT_SECONDS
            )
        if response.status_code >= 400:
            raise Exception(response.status_code, response.text)
        return response.json()
