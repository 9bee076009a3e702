"""The user's walk-through, end to end on a real gunicorn: a script writes 30 metric points and
30 log lines through DFF.SRC('datakit') into the embedded receiver; they read back."""

import re

import requests

from tests.conftest import LIVE_ADMIN

WALK_THROUGH = """import time
import random

@DFF.API('DataKit Demo')
def datakit_demo():
    # 获取DataKit 操作对象
    datakit = DFF.SRC('datakit')

    # 从过去30分钟到当前时间，每分钟产生一个90 ~ 110 的随机数
    now = time.time()
    for i in range(30):
        value     = random.randint(95, 105)
        timestamp = now - i * 60

        # 将数据作为指标写入DataKit
        _measurement = 'datakit_demo'             # 指标集
        _tags        = { 'type': 'some_integer' } # 标签
        _fields      = { 'value': value }         # 字段
        datakit.write_metric(measurement=_measurement, tags=_tags, fields=_fields, timestamp=timestamp)

        # 将数据作为日志写入DataKit
        _measurement = 'datakit_demo'                           # 指标集（即日志中的来源）
        _tags        = { 'type': 'some_log' }                   # 标签
        _fields      = { 'message': 'value is: ' + str(value) } # 字段
        datakit.write_logging(measurement=_measurement, tags=_tags, fields=_fields, timestamp=timestamp)

    print('OK')
"""


def logged_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{base}/login",
        data={"username": LIVE_ADMIN[0], "password": LIVE_ADMIN[1], "csrf_token": token},
    )
    editor = session.get(f"{base}/scripts").text
    session.headers["X-CSRFToken"] = re.search(
        r'name="csrf-token" content="([^"]+)"', editor
    ).group(1)
    return session


def test_walk_through_writes_metrics_and_logs(fresh_live_server):
    api = f"{fresh_live_server}/api/v1"
    session = logged_in(fresh_live_server)
    created = session.post(
        f"{api}/scripts", json={"id": "walk_through", "title": "DataKit demo", "code": WALK_THROUGH}
    )
    assert created.status_code == 201, created.text
    run = session.post(f"{api}/scripts/walk_through/run", json={"func": "datakit_demo"}).json()
    assert run["status"] == "success", run["error"]
    assert [line["message"] for line in run["logs"]] == ["OK"]

    series = session.get(
        f"{api}/metrics/query",
        params={
            "measurement": "datakit_demo",
            "field": "value",
            "from": "-1h",
            "max_points": 100,
        },
    ).json()["series"]
    assert len(series) == 1 and series[0]["tags"]["type"] == "some_integer"
    values = [value for _time, value in series[0]["points"]]
    assert len(values) == 30 and all(95 <= v <= 105 for v in values)

    logs = session.get(f"{api}/logs", params={"source": "datakit_demo", "limit": 100}).json()[
        "logs"
    ]
    assert len(logs) == 30
    assert all(re.fullmatch(r"value is: \d+", row["message"]) for row in logs)
    assert {row["status"] for row in logs} == {"info"} and logs[0]["tags"]["type"] == "some_log"
    # Timestamps kept their sub-second part (the old helper truncated to whole seconds).
    assert any(not row["time"].endswith(":00+00:00") for row in logs)


def test_publish_then_call_the_walk_through(fresh_live_server):
    api = f"{fresh_live_server}/api/v1"
    session = logged_in(fresh_live_server)
    session.post(f"{api}/scripts", json={"id": "walk_pub", "title": "W", "code": WALK_THROUGH})
    published = session.post(f"{api}/scripts/walk_pub/publish", json={"note": "v1"})
    assert published.status_code == 201 and published.json()["funcs"][0]["title"] == "DataKit Demo"
    call = session.post(f"{api}/funcs/walk_pub.datakit_demo/call", json={}).json()
    assert call["status"] == "success", call["error"]
