"""The bounded field types of /api/v1: every request field, query argument and path parameter is
declared with one of these, so that validation and the OpenAPI document come from one place.

The bounds are the services' own constants (a title is as long here as the service allows); a
service still checks what only it can know (that a function exists, that a cron field is
valid). JSON values that carry user data (``kwargs``, connector ``config``) are bounded by
``payload.json_object`` (depth, integer range, valid text) before they get here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from webapp.services import connectors, crontab, env_vars, func_apis, scripts
from webapp.services.errors import N_
from webapp.views.api.payload import INT64

MAX_QUERY_TEXT = 200  # a search text or filter in a query string
MAX_NAME = 200  # a function id, measurement, field or source name
MAX_MD5 = 64


def text(max_length: int, description: str, *, min_length: int = 0, **extra: Any) -> Any:
    """A string of at most ``max_length`` characters."""
    return Annotated[
        str, Field(max_length=max_length, min_length=min_length, description=description, **extra)
    ]


def integer(minimum: int, maximum: int, description: str) -> Any:
    return Annotated[int, Field(ge=minimum, le=maximum, description=description)]


# --- identifiers (path parameters and ids in bodies) -------------------------------------------

ScriptId = text(
    64,
    N_("A script id: a lowercase letter or _, then up to 63 lowercase letters, digits or _."),
    pattern=scripts.SCRIPT_ID_RE.pattern,
    examples=["demo"],
)
ScriptSetId = text(
    60,
    N_("A script set id: a letter or _, then letters, digits or _, without __."),
    pattern=r"^(?:[a-zA-Z]|_[a-zA-Z0-9])(?:_?[a-zA-Z0-9])*_?$",  # no "__" anywhere
    examples=["demo"],
)
ConnectorId = text(
    64,
    N_("A connector id: lowercase letters, digits and _."),
    pattern=connectors.ID_RE.pattern,
    examples=["datakit"],
)
EnvVarName = text(
    64,
    N_("A variable name: a Python identifier."),
    pattern=env_vars.NAME_RE.pattern,
    examples=["API_URL"],
)
CronJobId = text(
    64,
    N_("A cron job id: 1-64 letters, digits, _ . or -."),
    pattern=crontab.ID_RE.pattern,
    examples=["cron-demo"],
)
FuncId = text(
    MAX_NAME,
    N_("A published function: <script_id>.<function name>."),
    min_length=1,
    examples=["demo.hello"],
)
TaskId = text(MAX_NAME, N_("A task record id."), min_length=1)
ApiId = text(
    64,
    N_("An API id: 1-64 letters, digits, _ . or -, starting with a letter or digit."),
    pattern=func_apis.ID_RE.pattern,
    examples=["sync-demo"],
)
Version = integer(1, scripts.MAX_VERSION, N_("A published version, counted from 1."))
VersionRef = text(
    20,
    N_("'draft', 'published' or a version number."),
    pattern=r"^(draft|published|[1-9][0-9]{0,17})$",
)

# --- text ----------------------------------------------------------------------------------------

Title = text(scripts.MAX_TITLE_LENGTH, N_("A short title."))
Description = text(scripts.MAX_DESCRIPTION_LENGTH, N_("A longer description."))
Note = text(scripts.MAX_NOTE_LENGTH, N_("A note for the history."))
EnvDescription = text(env_vars.MAX_DESCRIPTION_LENGTH, N_("What the variable is for."))
CronNote = text(crontab.MAX_NOTE_LENGTH, N_("A note about the cron job."))
ApiNote = text(func_apis.MAX_NOTE, N_("A note about the API."))
# Code is limited in UTF-8 bytes by the service (413 code_too_large); the character bound here
# is the same number, which no text over the byte limit can stay under.
Code = Annotated[
    str,
    Field(
        description=N_("Python source, at most 1 MiB as UTF-8."),
        json_schema_extra={"maxLength": scripts.MAX_CODE_BYTES},
    ),
]
Md5 = text(MAX_MD5, N_("The md5 of the draft the change starts from."))
QueryText = text(MAX_QUERY_TEXT, N_("A filter."))
NameArg = text(MAX_NAME, N_("A name."))

# --- structured values ---------------------------------------------------------------------------

JsonObject = Annotated[
    dict[str, Any],
    Field(description=N_("A JSON object (nested at most 64 levels, integers within 64 bits).")),
]
Kwargs = Annotated[
    dict[str, Any],
    Field(description=N_("Keyword arguments for the function."), examples=[{"name": "world"}]),
]
Tag = text(crontab.MAX_TAG_LENGTH, N_("A tag."), min_length=1)
Tags = Annotated[
    list[Tag], Field(max_length=crontab.MAX_TAGS, description=N_("Up to 20 short tags."))
]
CronText = text(
    crontab.MAX_CRONTAB_LENGTH, N_("A cron expression of 5 or 6 fields."), examples=["*/5 * * * *"]
)
Timezone = text(64, N_("An IANA timezone name."), examples=["Asia/Shanghai"])
Moment = text(
    64, N_("An ISO 8601 time (UTC when it has no offset)."), examples=["2030-01-01T00:00Z"]
)
TimeArg = text(
    40,
    N_("ISO 8601, epoch seconds or milliseconds, or relative like -15m, -6h, -7d."),
    examples=["-1h"],
)
KeepRecords = integer(1, crontab.MAX_KEEP_RECORDS, N_("How many task records to keep."))
PauseMinutes = integer(
    0, INT64[1], N_("Minutes to pause every cron job (at most a week); 0 resumes.")
)
Int64Id = integer(1, INT64[1], N_("A numeric id."))
Flag = Annotated[bool, Field(description=N_("true or false."))]
ApiAuth = Annotated[
    dict[str, Any],
    Field(
        description=N_(
            "How callers authenticate: {type: none | fixedField (fields: [{location: header, "
            "query or body, name, value}]) | httpBasic or httpDigest (users: [{username, "
            "password}]) | func (func_id)}. ***** keeps a stored secret."
        ),
        examples=[{"type": "httpBasic", "users": [{"username": "ops", "password": "s3cret"}]}],
    ),
]
Throttling = Annotated[
    dict[str, int],
    Field(
        description=N_(
            "Calls allowed per window: bySecond, byMinute, byHour, byDay, byMonth, byYear."
        ),
        examples=[{"byMinute": 60}],
    ),
]
ConnectorType = Annotated[
    str,
    Field(
        max_length=32,
        description=N_("The connector type (GET /connector-types lists them)."),
        examples=list(connectors.TYPES),
    ),
]
EnvVarType = Annotated[
    Literal[env_vars.TYPES], Field(description=N_("How the value is read by DFF.ENV."))
]
EnvValue = Annotated[
    Any, Field(description=N_("The value: text, or a JSON value of the variable's type."))
]
