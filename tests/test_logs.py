"""Log lines as text or JSON, with the process's role and the run they are about."""

import json
import logging

from webapp.logs import ContextFilter, JsonFormatter, formatter_for, run_context


def line(formatter, message="hello %s", args=("there",), run_id=None) -> str:
    record = logging.LogRecord("webapp.x", logging.WARNING, __file__, 1, message, args, None)
    if run_id:
        record.run_id = run_id
    ContextFilter("worker").filter(record)
    return formatter.format(record)


def test_json_lines_carry_role_and_the_run_of_the_thread():
    assert "run_id" not in json.loads(line(JsonFormatter()))
    with run_context("abc123"):
        body = json.loads(line(JsonFormatter(), message='a "quoted"\nline %s'))
    assert body["run_id"] == "abc123" and body["role"] == "worker"
    assert body["message"] == 'a "quoted"\nline there' and body["level"] == "WARNING"
    assert "run_id" not in json.loads(line(JsonFormatter()))  # the context ended


def test_an_explicit_run_id_and_the_text_format():
    assert json.loads(line(JsonFormatter(), run_id="r9"))["run_id"] == "r9"
    text = line(formatter_for("text"), run_id="r9")
    assert "[worker run=r9]: hello there" in text
