"""The Script API page: what scripts can use, read from the SDK (``script_reference``)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext, lazy_gettext

from webapp.views import script_reference

bp = Blueprint("script_docs", __name__)

SECTION_TITLES = {
    "dff": lazy_gettext("The DFF object"),
    "variables": lazy_gettext("Built-in variables"),
    "store": lazy_gettext("DFF.STORE"),
    "cache": lazy_gettext("DFF.CACHE"),
    "conn": lazy_gettext("DFF.CONN"),
    "config": lazy_gettext("DFF.CONFIG"),
    "cron_job": lazy_gettext("DFF.CRON_JOB"),
    "sync_api": lazy_gettext("DFF.SYNC_API and DFF.ASYNC_API"),
    "thread": lazy_gettext("DFF.THREAD"),
    "toolkit": lazy_gettext("DFF.TOOLKIT"),
    "datakit": lazy_gettext("The DataKit helper"),
    "conn_sql": lazy_gettext("SQL connectors: mysql, postgresql, clickhouse"),
    "conn_mysql": lazy_gettext("mysql connectors: also"),
    "conn_postgresql": lazy_gettext("postgresql connectors: also"),
    "conn_clickhouse": lazy_gettext("clickhouse connectors: also"),
    "conn_redis": lazy_gettext("redis connectors"),
    "conn_memcached": lazy_gettext("memcached connectors"),
    "conn_influxdb": lazy_gettext("influxdb connectors"),
    "conn_mqtt": lazy_gettext("mqtt connectors"),
    "conn_prometheus": lazy_gettext("prometheus connectors"),
    "conn_dataway": lazy_gettext("df_dataway connectors and DFF.DATAWAY"),
    "errors": lazy_gettext("Errors"),
    "unavailable": lazy_gettext("Not available in this version"),
}
SECTION_INTROS = {
    "dff": lazy_gettext("Every script has DFF without importing anything, as in DataFlux Func."),
    "variables": lazy_gettext("Set for every run, next to DFF."),
    "store": lazy_gettext(
        "Values kept between runs in the platform's database, as JSON. Every method takes "
        "scope= to use another scope than the script's id."
    ),
    "cache": lazy_gettext(
        "Redis's data types and expiry, in the platform's database or in Redis "
        "(FUNCPAD_REDIS_URL). Every method takes scope=. Where DataFlux Func raises by "
        "mistake (get_pattern with no match, a blocking pop that times out) this returns {} "
        "or None."
    ),
    "datakit": lazy_gettext("What DFF.SRC('datakit') returns."),
    "conn_sql": lazy_gettext(
        "What DFF.CONN(id) returns for these types, with DataFlux Func's method names: rows "
        "as dicts, sql_params as one list filling ? and ??. One pool per connector a run."
    ),
    "conn_mysql": lazy_gettext("Beyond the SQL methods above."),
    "conn_postgresql": lazy_gettext("Beyond the SQL methods above."),
    "conn_clickhouse": lazy_gettext(
        "Beyond the SQL methods above. ClickHouse has no transactions: start_trans raises "
        "NotImplementedError. INSERT ... VALUES ? with a list of rows sends typed data."
    ),
    "conn_redis": lazy_gettext(
        "The server's own keys, unscoped; answers as text (query gives the raw bytes)."
    ),
    "conn_memcached": lazy_gettext("python-memcached's client, with DataFlux Func's methods."),
    "conn_influxdb": lazy_gettext("InfluxDB 1.x through the influxdb library."),
    "conn_mqtt": lazy_gettext("Publishes through paho-mqtt (MQTT 5)."),
    "conn_prometheus": lazy_gettext("Prometheus's HTTP API."),
    "conn_dataway": lazy_gettext(
        "The DataKit helper's writes and queries, sent to a DataWay with the workspace token "
        "and, given an AccessKey, DataWay's signature; these differ."
    ),
    "conn": lazy_gettext("DFF.CONN(id) opens a connector, as DFF.SRC does; these manage them."),
    "config": lazy_gettext("The platform's settings a script may read."),
    "cron_job": lazy_gettext(
        "Cron jobs from a script; also the get, save, query and call of the next section."
    ),
    "sync_api": lazy_gettext(
        "Sync and Async APIs from a script (DFF.ASYNC_API has the same methods)."
    ),
    "thread": lazy_gettext("A thread pool of the run; it is waited for when the run ends."),
    "toolkit": lazy_gettext("DataFlux Func's helper functions, called on DFF.TOOLKIT."),
    "errors": lazy_gettext("What a script may catch."),
    "unavailable": lazy_gettext(
        "DataFlux Func members a script may name but cannot use here: using one raises "
        "NotAvailableHere with its name."
    ),
}


def _say(text: str) -> str:
    return gettext(text) if text else text


@bp.get("/docs/scripts")
def index():
    sections = script_reference.reference()
    for section in sections:
        for entry in section.entries:
            entry.summary = _say(entry.summary)
            entry.paragraphs = [_say(p) for p in entry.paragraphs]
            entry.returns = _say(entry.returns)
            entry.args = [(name, _say(text)) for name, text in entry.args]
            entry.raises = [(name, _say(text)) for name, text in entry.raises]
    return render_template(
        "script_docs.html",
        sections=sections,
        titles=SECTION_TITLES,
        intros=SECTION_INTROS,
        anchors={e.anchor for s in sections for e in s.entries},
        active_nav="scripts",
    )
