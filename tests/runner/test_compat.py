"""Scripts written for DataFlux Func run unchanged (through the real sandbox)."""

from tests.runner.conftest import job

DATAFLUX_STYLE = '''
import json
import time
import datetime
import functools

SERVICE_NAME = 'demo-collector'


def _retry(times):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return func(*args, **kwargs)
                except ValueError:
                    print('retry', attempt + 1)
            raise RuntimeError('gave up')
        return wrapper
    return decorate


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


@DFF.API('Collect service status', category='collector', tags=['demo', 'status'],
         timeout=60, cache_result=300, api_timeout=10)
@_retry(3)
def collect(host='127.0.0.1', port=9529, **extra):
    """Pretend to collect something and report it."""
    threshold = DFF.ENV('threshold')
    print('collecting from', host, port, 'threshold', threshold)
    print(json.dumps({'service': SERVICE_NAME, 'extra': extra}, sort_keys=True))
    return {
        'service': SERVICE_NAME,
        'threshold': threshold,
        'func_id': _DFF_FUNC_ID,
        'origin': _DFF_ORIGIN,
        'when': _now_iso()[:4],
        'elapsed_ok': time.time() > 0,
    }


@DFF.API('Plain hello')
def hello(name):
    print('Hello', name)
    return 'Hello ' + name
'''


def test_dataflux_style_script_runs_unchanged(pool):
    env = {"threshold": {"type": "float", "value": 0.75}}
    logs = []
    result = pool.run(
        job(
            DATAFLUX_STYLE,
            func="collect",
            kwargs={"host": "db1", "region": "cn"},
            env=env,
            context={"func_id": "compat.collect", "origin": "crontab"},
        ),
        logs.append,
    )
    assert result["status"] == "success", result["error"]
    value = result["return_value"]
    assert value["service"] == "demo-collector" and value["threshold"] == 0.75
    assert (
        value["func_id"] == "compat.collect" and value["origin"] == "cronJob"
    )  # DataFlux Func's word
    assert value["elapsed_ok"] is True and value["when"].isdigit()
    assert [m["message"] for m in logs] == [
        "collecting from db1 9529 threshold 0.75",
        '{"extra": {"region": "cn"}, "service": "demo-collector"}',
    ]


def test_extraction_sees_through_stacked_decorators(pool):
    result = pool.run(job(DATAFLUX_STYLE, mode="extract"))
    assert result["status"] == "success", result["error"]
    by_name = {f["name"]: f for f in result["funcs"]}
    assert set(by_name) == {"collect", "hello"}
    collect = by_name["collect"]
    assert collect["title"] == "Collect service status"
    assert collect["tags"] == ["demo", "status"] and collect["timeout"] == 60
    assert collect["options"]["cache_result"] == 300
    # functools.wraps keeps the real signature visible.
    assert [a["name"] for a in collect["args"]] == ["host", "port"]
    assert collect["accepts_var_kwargs"] is True


def test_the_walk_through_script_says_which_connector_is_missing(pool):
    walk_through = """
import time
import random

@DFF.API('DataKit Demo')
def datakit_demo():
    datakit = DFF.SRC('datakit')
    now = time.time()
    for i in range(30):
        value = random.randint(95, 105)
        datakit.write_metric(measurement='datakit_demo', tags={'type': 'some_integer'},
                             fields={'value': value}, timestamp=now - i * 60)
    print('OK')
"""
    result = pool.run(job(walk_through, func="datakit_demo"))
    assert result["status"] == "failure"
    assert result["error"]["type"] == "ConnectorNotFound"
    assert "'datakit'" in result["error"]["message"]
    assert result["error"]["line"] == 7
