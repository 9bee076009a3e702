"""``DFF.CONN(id)`` of an influxdb connector (InfluxDB 1.x API): DataFlux Func's helper over
the ``influxdb`` library.

``query`` gives the raw result (``{"series": [{name, columns, values, tags?}], "statement_id"}``,
a list of those for several statements); with ``dict_output=True`` ``{"series": [[{column:
value, ..., "tags": {...}}]]}`` (a column named ``tags`` becomes ``_tags``). ``query2`` fills
``?`` from ``sql_params`` as DFF's format_sql does.
"""

from __future__ import annotations

from typing import Any

try:
    from sdk import dff_helpers
except ImportError:
    from webapp.sdk import dff_helpers


def _dict_output(raw: dict[str, Any]) -> dict[str, Any]:
    series_list = []
    for series in raw.get("series") or []:
        columns = ["_tags" if c == "tags" else c for c in series.get("columns") or []]
        rows = []
        for values in series.get("values") or []:
            row = dict(zip(columns, values, strict=False))
            if series.get("tags"):
                row["tags"] = series["tags"]
            rows.append(row)
        series_list.append(rows)
    return {"series": series_list}


class InfluxDBHelper:
    """An influxdb connector's helper (one HTTP session for the run)."""

    def __init__(self, database: str | None = None, **config: Any) -> None:
        from influxdb import InfluxDBClient

        self.config = config
        self.client = InfluxDBClient(
            host=config.get("host", "127.0.0.1"),
            port=int(config.get("port", 8086)),
            username=config.get("user") or config.get("username") or "root",
            password=config.get("password") or "root",
            database=database or config.get("database"),
            ssl=config.get("protocol") == "https",
            verify_ssl=config.get("protocol") == "https",
            timeout=10,
        )

    def close(self) -> None:
        """Close the run's HTTP session (the platform does this when the run ends)."""
        self.client.close()

    def check(self) -> dict[str, Any]:
        """Ping the server and run SHOW DATABASES (so a wrong password fails):
        ``{"version": "..."}``.

        Example:
            DFF.CONN("influx1").check()
        """
        version = self.client.ping()
        self.client.query("SHOW DATABASES")
        return {"version": version}

    def switch_database(self, database: str) -> None:
        """Use another database for the calls that do not name one.

        Example:
            DFF.CONN("influx1").switch_database("telegraf")
        """
        self.client.switch_database(database)

    def query(
        self,
        sql: str,
        bind_params: dict | None = None,
        database: str | None = None,
        dict_output: bool = False,
    ) -> Any:
        """Run InfluxQL (``$name`` bound from ``bind_params``); the raw result, or dicts.

        Example:
            DFF.CONN("influx1").query("SELECT * FROM cpu WHERE host = $h", {"h": "web-1"})
        """
        result = self.client.query(sql, bind_params=bind_params, database=database)
        results = result if isinstance(result, list) else [result]
        raws = [r.raw for r in results]
        if dict_output:
            raws = [_dict_output(raw) for raw in raws]
        return raws[0] if len(raws) == 1 else raws

    def query2(
        self,
        sql: str,
        sql_params: list | None = None,
        database: str | None = None,
        dict_output: bool = False,
    ) -> Any:
        """Like query, with ``?`` filled from ``sql_params`` (DFF's format_sql).

        Example:
            DFF.CONN("influx1").query2("SELECT * FROM cpu WHERE host = ?", ["web-1"])
        """
        return self.query(
            dff_helpers.format_sql(sql, sql_params), database=database, dict_output=dict_output
        )

    def write_point(
        self,
        measurement: str,
        fields: dict[str, Any],
        tags: dict[str, str] | None = None,
        timestamp: Any = None,
        database: str | None = None,
    ) -> bool:
        """Write one point.

        Example:
            DFF.CONN("influx1").write_point("cpu", {"usage": 0.5}, tags={"host": "web-1"})
        """
        point: dict[str, Any] = {"measurement": measurement, "fields": fields}
        if tags:
            point["tags"] = tags
        if timestamp is not None:
            point["time"] = timestamp
        return self.write_points([point], database=database)

    def write_points(self, points: list[dict[str, Any]], database: str | None = None) -> bool:
        """Write several points: dicts with measurement, fields, tags, time.

        Example:
            DFF.CONN("influx1").write_points([{"measurement": "cpu", "fields": {"usage": 1}}])
        """
        return self.client.write_points(points, database=database)
