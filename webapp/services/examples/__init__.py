"""The example set a fresh install offers: scripts written for Funcpad, installed on request.

``install(session, ...)`` creates the scripts (as drafts: publishing is a step of the guided
first run) and the ``EXAMPLE_URL`` variable they read, skipping whatever already exists, so it
can be offered again without harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.models import EnvVar, Script
from webapp.services import env_vars, scripts
from webapp.services.errors import N_

HERE = Path(__file__).parent
URL_VARIABLE = "EXAMPLE_URL"


@dataclass(frozen=True)
class Example:
    script_id: str
    title: str
    description: str
    source: str  # the file beside this one

    @property
    def code(self) -> str:
        return (HERE / self.source).read_text(encoding="utf-8")


EXAMPLES = (
    Example(
        "example_collector",
        N_("Example: collector"),
        N_("Writes metric points and log lines through the datakit connector."),
        "collector.py",
    ),
    Example(
        "example_http_json",
        N_("Example: JSON over HTTP"),
        N_("Reads JSON with requests from the URL in the %(name)s variable."),
        "http_json.py",
    ),
)
FIRST = EXAMPLES[0]


def install(
    session: Session,
    *,
    receiver_url: str,
    username: str | None,
    now: datetime,
    translate: Callable[[str], str] = lambda text: text,
) -> list[str]:
    """Create the examples that do not exist yet; returns the ids of the scripts created.

    ``translate`` says titles and descriptions in the user's language (the web layer's gettext).
    """
    created = []
    for example in EXAMPLES:
        if session.get(Script, example.script_id) is None:
            scripts.create_script(
                session,
                example.script_id,
                translate(example.title),
                description=translate(example.description) % {"name": URL_VARIABLE}
                if "%(name)s" in example.description
                else translate(example.description),
                code=example.code,
                username=username,
                now=now,
            )
            created.append(example.script_id)
    if session.get(EnvVar, URL_VARIABLE) is None:
        env_vars.create_var(
            session,
            URL_VARIABLE,
            "string",
            f"{receiver_url}/v1/ping",
            translate(N_("The URL the example_http_json script reads.")),
            username=username,
            now=now,
        )
    session.flush()
    return created
