"""The Script API page's prose, marked for translation. Generated from the SDK's
docstrings by ``python -m webapp.views.script_reference``: do not edit by hand.
"""

from webapp.messages import N_

TEXTS = (
    N_("Publish the function below it: an id of its own, callable over HTTP and by cron jobs."),
    N_(
        "Only functions with this decorator are published; the others stay helpers of the script. Their arguments become the call's kwargs (defaults are shown in the editor and cron form)."
    ),
    N_("The function itself, unchanged."),
    N_("What the function does, shown in lists (required)."),
    N_('A group name for lists; "general" when left out.'),
    N_("A list of short strings."),
    N_("Seconds a run may take, 1-3600 (default 30 for calls and cron jobs)."),
    N_(
        "DataFlux Func's other options are accepted (cache_result, fixed_crontab, is_hidden, ...); unknown ones are kept and ignored."
    ),
    N_("No title, or tags that are not a list."),
    N_("A timeout outside 1-3600."),
    N_("The helper object of a connector configured on the Connectors page."),
    N_(
        "For a DataKit connector, a DataKit helper (below) set up with the connector's address, token and source. Keyword arguments override the connector's settings for this call. DFF.CONN is the same function."
    ),
    N_("The helper object."),
    N_('The connector\'s id, e.g. "datakit".'),
    N_("Settings to use instead of the connector's, e.g. timeout=30."),
    N_("No connector has that id, or its type cannot be used here."),
    N_("An environment variable from the Env variables page, already converted to its type."),
    N_(
        "integer, float and boolean variables come back as int, float and bool, json ones as the parsed value; password values are masked as ***** in run logs."
    ),
    N_("The value, or None when there is no such variable."),
    N_("The variable's name."),
    N_("The id of the function being run, <script_id>.<name>; None at the top level."),
    N_("Why the code runs: debug (the editor), api, crontab, manual or publish."),
    N_("The time the run was due, as a Unix timestamp (cron jobs)."),
    N_("The cron expression of the job that started the run, or None."),
    N_('What DFF.SRC("datakit") returns: writes points to a DataKit agent and calls its API.'),
    N_(
        "Every method returns (status_code, data): the HTTP status and the decoded answer. A failed request raises DataKitError, unless the connector has raise_for_status=False."
    ),
    N_("GET any path of the agent's API."),
    N_("(status_code, data)."),
    N_('A path such as "/v1/ping".'),
    N_("Query-string arguments."),
    N_("Extra HTTP headers."),
    N_("The request failed (after retries on connection errors, 429, 5xx)."),
    N_("POST a JSON body to any path of the agent's API."),
    N_("The path."),
    N_("Anything json.dumps accepts."),
    N_("The request failed."),
    N_("POST points to any path as line protocol, in batches (1000 points per request)."),
    N_("(status_code, data) of the last batch."),
    N_('The path, e.g. "/v1/write/metric".'),
    N_("Dicts {measurement, tags, fields, timestamp}, or line protocol text."),
    N_("A point is not valid (checked before anything is sent), or none given."),
    N_("A request failed."),
    N_("Write many points of one category (metric, logging, object, keyevent, ...)."),
    N_("One of metric, logging, object, custom_object, keyevent, network, tracing, rum, security."),
    N_("A list of dicts {measurement, tags, fields, timestamp}."),
    N_("An unknown category or an invalid point."),
    N_("Write one point of a category."),
    N_("metric, logging, object, ... (see write_by_category_many)."),
    N_("The measurement (for logging: the source)."),
    N_("A dict of tag names and string values."),
    N_("A dict of field names and values (numbers, strings, booleans)."),
    N_("Seconds, milliseconds or nanoseconds since the epoch; now when left out."),
    N_("The point is not valid."),
    N_("Write one metric point. write_point is the same method."),
    N_('The measurement, e.g. "cpu".'),
    N_("The point is not valid (e.g. no fields)."),
    N_("Write many metric points at once. write_metric_many and write_points are the same."),
    N_("A point is not valid."),
    N_('Write one log line: the measurement is its source, fields["message"] its text.'),
    N_('A "status" tag (info, warning, error, ...) sets its level on the Logs page.'),
    N_('The source, e.g. "my_collector".'),
    N_('A dict with at least "message".'),
    N_("The line is not valid."),
    N_("Write many log lines at once. write_loggings is the same method."),
    N_("A line is not valid."),
    N_("Run a DQL query through the agent (POST /v1/query/raw)."),
    N_(
        "A real agent forwards it to Guance; the embedded receiver cannot run DQL and answers with an error saying so."
    ),
    N_('The query, e.g. "M::cpu LIMIT 10".'),
    N_("Further fields of the query (time_range, limit, ...)."),
    N_("Close the helper's keep-alive connections (done for you when the run ends)."),
    N_("DFF.SRC was given an id that no connector has, or a type scripts cannot open."),
    N_("A request to DataKit failed; the message names the request and the reason."),
)
