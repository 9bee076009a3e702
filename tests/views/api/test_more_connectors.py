"""clickhouse, prometheus, df_dataway and dff_sidecar connectors against real servers on
127.0.0.1: made through the API, Test pressed, then a DFF-style script in a real sandbox run."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import make_api_token, running_server
from tests.views.api.test_sql_redis_connectors import create, press_test, run, save_script

CLICKHOUSE_SCRIPT = """
import datetime

def work():
    ch = DFF.CONN('ch1')
    ch.non_query('DROP TABLE IF EXISTS hits')
    ch.non_query('CREATE TABLE hits (ts DateTime, host String, n UInt32) '
                 'ENGINE = MergeTree ORDER BY ts')
    inserted = ch.non_query('INSERT INTO hits (ts, host, n) VALUES ?',
                            [[[1700000000, 'web-1', 3],
                              [datetime.datetime(2023, 11, 14, 22, 14, 20), "it's \\\\ x", 5]]])
    rows = ch.query('SELECT host, n, toUnixTimestamp(ts) AS t FROM hits WHERE n >= ? '
                    'ORDER BY ts', [1])
    quoted = ch.query('SELECT count() AS c FROM hits WHERE host = ?', ["it's \\\\ x"])
    try:
        ch.start_trans()
        trans = 'allowed'
    except NotImplementedError as e:
        trans = str(e)
    try:
        ch.non_query('INSERT INTO hits (ts, host, n) VALUES ?', [[['not a time', 'x', 1]]])
        typed = 'allowed'
    except TypeError as e:
        typed = str(e)
    return {'inserted': inserted, 'rows': rows, 'quoted': quoted, 'tables': ch.tables(),
            'trans': trans, 'typed': typed, 'same_helper': DFF.CONN('ch1') is ch}

def missing():
    DFF.CONN('ch1').query('SELECT * FROM no_such_table')
"""


def test_clickhouse_connector_end_to_end(auth_client, clickhouse_server):
    create(auth_client, "ch1", "clickhouse", clickhouse_server)
    tested = press_test(auth_client, "ch1")
    assert tested["ok"] is True and tested["version"].startswith("18.16"), tested
    save_script(auth_client, "chwork", CLICKHOUSE_SCRIPT)
    body = run(auth_client, "chwork", "work")
    assert body["status"] == "success", body["error"]
    value = body["return_value"]
    assert value["inserted"] == 2
    assert value["rows"] == [
        {"host": "web-1", "n": 3, "t": 1700000000},
        {"host": "it's \\ x", "n": 5, "t": 1700000060},
    ]
    assert value["quoted"] == [{"c": 1}] and value["tables"] == ["hits"]
    assert "no transactions" in value["trans"] and "DateTime" in value["typed"]
    assert value["same_helper"] is True
    failed_run = run(auth_client, "chwork", "missing")
    assert failed_run["status"] == "failure"
    message = failed_run["error"]["message"]
    assert "no_such_table doesn't exist" in message and "Stack trace" not in message
    create(auth_client, "chbad", "clickhouse", {**clickhouse_server, "password": "nope"})
    failed = press_test(auth_client, "chbad")
    assert failed["ok"] is False and "refused the user name or password" in failed["detail"]
    create(auth_client, "chnodb", "clickhouse", {**clickhouse_server, "database": "nope"})
    failed = press_test(auth_client, "chnodb")
    assert failed["ok"] is False and "database does not exist" in failed["detail"], failed


PROMETHEUS_SCRIPT = """
import time

def work():
    prom = DFF.CONN('prom1')
    instant = prom.query('GET /api/v1/query', query={'query': 'up{job="self"}'})
    now = time.time()
    # start after end, in milliseconds: the helper puts them in order, as ISO times
    ranged = prom.query('GET', '/api/v1/query_range',
                        query={'query': 'up', 'start': now * 1000, 'end': now - 30, 'step': '5s'})
    posted = prom.query('POST /api/v1/query', body={'query': 'count(up)'})
    labels = prom.query('GET /api/v1/label/job/values')
    try:
        prom.query('GET /api/v1/query', query={'query': 'up{'})
        bad = 'allowed'
    except Exception as e:
        bad = list(e.args)
    return {
        'instant': [[r['metric']['job'], r['value'][1]] for r in instant['data']['result']],
        'ranged': [len(r['values']) >= 1 for r in ranged['data']['result']],
        'posted': posted['data']['result'][0]['value'][1],
        'labels': labels['data'],
        'bad': [bad[0], 'parse error' in bad[1]],
    }
"""


def test_prometheus_connector_end_to_end(auth_client, prometheus_server):
    create(auth_client, "prom1", "prometheus", prometheus_server)
    tested = press_test(auth_client, "prom1")
    assert tested["ok"] is True and tested["version"].startswith("2.42"), tested
    save_script(auth_client, "promwork", PROMETHEUS_SCRIPT)
    body = run(auth_client, "promwork", "work")
    assert body["status"] == "success", body["error"]
    assert body["return_value"] == {
        "instant": [["self", "1"]],
        "ranged": [True],
        "posted": "1",
        "labels": ["self"],
        "bad": [400, True],
    }
    create(auth_client, "prombad", "prometheus", {**prometheus_server, "password": "nope"})
    failed = press_test(auth_client, "prombad")
    assert failed["ok"] is False and "refused the user name or password" in failed["detail"]


DATAWAY_SCRIPT = """
def work():
    dw = DFF.CONN('dw1')
    a = dw.write_metric('dw_cpu', tags={'host': 'web-1'}, fields={'usage': 0.5})
    b = dw.write_logging_many([{'measurement': 'dw_app', 'tags': {'status': 'info'},
                                'fields': {'message': 'hello from DataWay'}}])
    return {'statuses': [a[0], b[0]], 'same_class': type(dw).__name__}

def leak():
    print('token', DFF.CONN('dw1').token, 'secret', DFF.CONN('dw1').secret_key)
"""


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """A gunicorn (its embedded receiver listening) and an API token for it."""
    data_dir = tmp_path_factory.mktemp("dataway")
    with running_server(data_dir) as base:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {make_api_token(data_dir, 'dw')}"
        yield base, session


def test_dataway_connector_writes_to_the_embedded_receiver(live_api):
    base, api = live_api
    created = api.post(
        f"{base}/api/v1/connectors",
        json={"id": "dw1", "type": "df_dataway",
              "config": {"embedded": True, "token": "tkn_0123456789abcdef",
                         "accessKey": "ak-test", "secretKey": "sk-very-secret"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["config"]["token"] == "*****"
    assert created.json()["config"]["secretKey"] == "*****"
    tested = api.post(f"{base}/api/v1/connectors/dw1/test").json()
    assert tested["ok"] is True and tested["version"], tested
    saved = api.post(
        f"{base}/api/v1/scripts", json={"id": "dwwork", "title": "dw", "code": DATAWAY_SCRIPT}
    )
    assert saved.status_code == 201
    body = api.post(f"{base}/api/v1/scripts/dwwork/run", json={"func": "work"}).json()
    assert body["status"] == "success", body["error"]
    assert body["return_value"] == {"statuses": [200, 200], "same_class": "DataWay"}
    deadline = time.monotonic() + 10
    while True:
        found = api.get(f"{base}/api/v1/metrics/query?measurement=dw_cpu&field=usage&from=-1h")
        series = found.json().get("series") or []
        if series or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert series and series[0]["tags"]["host"] == "web-1" and series[0]["points"][0][1] == 0.5
    logs = api.get(f"{base}/api/v1/logs?source=dw_app").json()
    assert "hello from DataWay" in str(logs)
    leaked = api.post(f"{base}/api/v1/scripts/dwwork/run", json={"func": "leak"}).json()
    printed = " ".join(str(line) for line in leaked["logs"])
    assert "tkn_0123456789abcdef" not in printed and "sk-very-secret" not in printed
    assert "*****" in printed

    bad = api.post(
        f"{base}/api/v1/connectors",
        json={"id": "dw2", "type": "df_dataway", "config": {"url": "ftp://x"}},
    )
    assert bad.status_code == 400 and bad.json()["field"] == "config.url"
    none = api.post(
        f"{base}/api/v1/connectors", json={"id": "dw3", "type": "df_dataway", "config": {}}
    )
    assert none.status_code == 400 and none.json()["field"] == "config.host"
