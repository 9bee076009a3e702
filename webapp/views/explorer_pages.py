"""Metrics and Logs pages (the data comes from /api/v1/metrics/* and /api/v1/logs).

The Metrics explorer is at /explore/metrics: /metrics is the platform's own figures, for
Prometheus (``webapp.metrics``)."""

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("explorer", __name__)


def explorer_messages() -> dict[str, str]:
    return {
        "range_15m": _("15 min"),
        "range_1h": _("1 h"),
        "range_6h": _("6 h"),
        "range_24h": _("24 h"),
        "range_7d": _("7 d"),
        "range_custom": _("Custom"),
        "time": _("Time"),
        "noMeasurements": _(
            "No metrics yet. Write some with DFF.SRC('datakit').write_metric(...)."
        ),
        "fieldsCount": _("%(n)s fields"),
        "fieldsOne": _("1 field"),
        "noData": _("No points in this time range."),
        "noLogs": _("No logs match."),
        "allSources": _("All sources"),
        "allStatuses": _("All statuses"),
    }


@bp.get("/explore/metrics")
def metrics():
    return render_template("metrics.html", messages=explorer_messages(), active_nav="metrics")


@bp.get("/logs")
def logs():
    return render_template("logs.html", messages=explorer_messages(), active_nav="logs")
