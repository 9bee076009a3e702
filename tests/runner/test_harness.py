"""The child side alone, in-process: no sandbox needed to check what it reports."""

import pytest

from webapp.runner.harness import json_safe, run_job


def run(code, func="main", **job):
    logs = []
    result = run_job({"code": code, "script_id": "s", "func": func, **job}, logs.append)
    return result, [m["message"] for m in logs]


def test_prints_become_timed_lines_and_passwords_are_masked():
    env = {"token": {"type": "password", "value": "s3cr3t"}, "n": {"type": "integer", "value": 5}}
    code = "import sys\ndef main():\n    print('a', DFF.ENV('n'))\n    print('token=' + DFF.ENV('token'))\n    sys.stdout.write('partial')\n    return DFF.ENV('missing')\n"
    result, logs = run(code, env=env)
    assert result["status"] == "success" and result["return_value"] is None
    assert logs == ["a 5", "token=*****", "partial"]


def test_non_json_return_values_become_a_repr():
    result, _ = run(
        "class Thing:\n    def __repr__(self):\n        return 'Thing()'\ndef main():\n    return Thing()\n"
    )
    assert result["return_value"] == "Thing()"
    assert json_safe({"a": [1, 2.5, None, True]}) == {"a": [1, 2.5, None, True]}
    assert json_safe(float("nan")) == "nan"
    assert json_safe({1, 2}) == "{1, 2}"


def test_syntax_errors_and_missing_functions_are_failures():
    result, _ = run("def main(:\n    pass\n")
    assert result["status"] == "failure" and result["error"]["type"] == "SyntaxError"
    assert result["error"]["line"] == 1
    result, _ = run("def other():\n    pass\n")
    assert result["error"]["type"] == "LookupError"
    result, _ = run("def _private():\n    pass\n", func="_private")
    assert result["error"]["type"] == "LookupError"


def test_builtins_and_kwargs():
    code = "def main(a, b=2):\n    return [a, b, _DFF_FUNC_ID, _DFF_ORIGIN, _DFF_TRIGGER_TIME, _DFF_CRON_EXPR]\n"
    context = {
        "func_id": "s.main",
        "origin": "crontab",
        "trigger_time": 1700000000,
        "cron_expr": "*/5 * * * *",
    }
    result, _ = run(code, kwargs={"a": 1}, context=context)
    assert result["return_value"] == [1, 2, "s.main", "cronJob", 1700000000, "*/5 * * * *"]


def test_extract_collects_dff_api_functions_with_every_option():
    code = (
        "@DFF.API('Collect', category='ops', tags=['a', 'b'], timeout=120, cache_result=30,\n"
        "         fixed_crontab='*/5 * * * *', delayed_crontab=[10], api_timeout=10,\n"
        "         is_hidden=True, expires=600, queue=3)\n"
        "def collect(host, port=9529, **extra):\n"
        "    '''Collect things.'''\n"
        "\n"
        "def plain():\n    pass\n"
    )
    result, _ = run(code, mode="extract")
    assert result["status"] == "success", result["error"]
    (meta,) = result["funcs"]
    assert meta["name"] == "collect" and meta["title"] == "Collect"
    assert meta["category"] == "ops" and meta["tags"] == ["a", "b"] and meta["timeout"] == 120
    assert meta["accepts_var_kwargs"] is True and meta["doc"] == "Collect things."
    assert meta["args"] == [
        {"name": "host", "has_default": False, "default": None},
        {"name": "port", "has_default": True, "default": 9529},
    ]
    assert meta["options"]["fixed_crontab"] == "*/5 * * * *"
    assert meta["options"]["is_hidden"] is True and meta["options"]["delayed_cron_job"] == [10]
    assert meta["options"]["expires"] == 600 and meta["options"]["queue"] == 3


@pytest.mark.parametrize(
    ("decorator", "message"),
    [
        ("@DFF.API('t', queue=0)", "system queue"),
        ("@DFF.API('t', a_future_option=1)", "unexpected keyword argument 'a_future_option'"),
        ("@DFF.API('t', fixed_cron_expr='* * *')", "5 cron fields"),
        ("@DFF.API('t', expires=100000)", "1 to 86400"),
        ("@DFF.API('t', integration='teleport')", "signIn or autoRun"),
        ("@DFF.API('t', timeout=0)", "1 to 3600"),
        ("@DFF.API('t', timeout=4000)", "1 to 3600"),
        ("@DFF.API('t', tags='x')", "tags"),
    ],
)
def test_bad_dff_api_options_fail_loading(decorator, message):
    result, _ = run(f"{decorator}\ndef f():\n    pass\n", mode="extract")
    assert result["status"] == "failure" and message in result["error"]["message"]
    assert result["error"]["line"] == 1


def test_unknown_connector_is_a_clear_error():
    result, _ = run("def main():\n    return DFF.SRC('datakit')\n")
    assert result["error"]["type"] == "ConnectorNotFound"
    assert "datakit" in result["error"]["message"]
    assert result["error"]["line"] == 2


def test_a_huge_line_is_sent_in_bounded_pieces_within_the_budget():
    code = "import sys\ndef main():\n    sys.stdout.write('é' * 100_000)\n    return 1\n"
    result, logs = run(code, log_limit=1024 * 1024)
    assert result["status"] == "success"
    assert "".join(logs) == "é" * 100_000
    assert max(len(line) for line in logs) <= 16 * 1024
    small, cut = run(code, log_limit=40_000)  # 2 bytes per character, plus 48 per line
    assert small["log_truncated"] is True
    assert sum(len(line.encode()) + 48 for line in cut) <= 40_000


def test_an_exception_whose_str_raises_is_still_a_failure():
    code = (
        "class Odd(Exception):\n"
        "    def __str__(self):\n"
        "        raise RuntimeError('no')\n"
        "def main():\n"
        "    raise Odd()\n"
    )
    result, _ = run(code)
    assert result["status"] == "failure" and result["error"]["type"] == "Exception"
