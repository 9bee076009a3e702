"""The guided first run: the steps a new user follows, from the example set to Metrics and Logs.

``static/js/chrome.js`` draws the guide on every page (so it follows the user) and ticks a step
when it sees it done; this module gives it the steps, in the page's language.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext

from webapp.services import examples

FUNC = f"{examples.FIRST.script_id}.collect"


def guide_data() -> dict[str, Any]:
    script = examples.FIRST.script_id
    return {
        "script": script,
        "func": FUNC,
        "title": gettext("Getting started"),
        "done": gettext("All done: your collector runs on a schedule. Close this guide."),
        "close": gettext("Close the guide"),
        "steps": [
            {
                "id": "open",
                "href": f"/scripts/{script}",
                "text": gettext("Open the example collector"),
            },
            {
                "id": "run",
                "href": f"/scripts/{script}",
                "text": gettext("Click Run: it writes points and prints what it did"),
            },
            {
                "id": "publish",
                "href": f"/scripts/{script}",
                "text": gettext("Publish it, so that a schedule can run it"),
            },
            {
                "id": "cron",
                "href": f"/crontab/new?func={FUNC}",
                "text": gettext("Create a cron job for it (every minute, say)"),
            },
            {
                "id": "metrics",
                "href": "/explore/metrics?measurement=example_cpu&field=usage",
                "text": gettext("See its points on Metrics"),
            },
            {
                "id": "logs",
                "href": "/logs?source=example_collector",
                "text": gettext("And its lines on Logs"),
            },
        ],
    }


def init_app(app: Flask) -> None:
    app.add_template_global(guide_data, "guide_data")
