"""mysql, postgresql and redis connectors against real servers on 127.0.0.1: made through the
API, Test pressed (the helper's check() in the sandbox), then a DFF-style script using the
helper's methods in a real sandbox run. Secrets: encrypted at rest, never sent back, masked."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
import redis

from tests.conftest import REDIS_PASSWORD
from webapp.extensions import db as app_db

MYSQL_SCRIPT = """
def setup():
    db = DFF.CONN('mysql1')
    db.non_query('DROP TABLE IF EXISTS hosts')
    db.non_query('CREATE TABLE hosts (id INT PRIMARY KEY, name VARCHAR(50), tagsJSON TEXT, '
                 'seenTime INT, note VARCHAR(50))')
    n = db.non_query('INSERT INTO hosts (id, name, tagsJSON, seenTime, note) VALUES ?',
                     [[[1, 'web-1', '{"env": "prod"}', 1700000000, "it's"],
                       [2, 'db-1', '[1, 2]', 1700000060, 'back\\\\slash']]])
    return n

def read():
    db = DFF.CONN('mysql1')
    rows = db.query('SELECT * FROM hosts WHERE id IN (?) ORDER BY ??', [[1, 2], 'id'])
    return {
        'rows': [{'id': r['id'], 'name': r['name'], 'tags': r['tagsJSON'], 'note': r['note'],
                  'seen': r['seenTime'].isoformat()} for r in rows],
        'same_helper': DFF.CONN('mysql1') is db,
        'tables': db.tables(),
    }

def transactions():
    db = DFF.CONN('mysql1')
    trans = db.start_trans()
    db.trans_non_query(trans, 'UPDATE hosts SET name = ? WHERE id = ?', ['rolled', 1])
    db.rollback(trans)
    trans = db.start_trans()
    changed = db.trans_non_query(trans, 'UPDATE hosts SET name = ? WHERE id = ?', ['kept', 2])
    inside = db.trans_query(trans, 'SELECT name FROM hosts WHERE id = 2')
    db.commit(trans)
    return {'changed': changed, 'inside': inside,
            'names': [r['name'] for r in db.query('SELECT name FROM hosts ORDER BY id')]}

def leak():
    print('password is', DFF.CONN('mysql1').config['password'])
"""


def create(auth_client, connector_id, type_, config):
    response = auth_client.post(
        "/api/v1/connectors", json={"id": connector_id, "type": type_, "config": config}
    )
    assert response.status_code == 201, response.json
    return response.json


def save_script(auth_client, script_id, code):
    response = auth_client.post(
        "/api/v1/scripts", json={"id": script_id, "title": script_id, "code": code}
    )
    assert response.status_code == 201, response.json


def press_test(auth_client, connector_id):
    response = auth_client.post(f"/api/v1/connectors/{connector_id}/test")
    assert response.status_code == 200
    return response.json


def run(auth_client, script_id, func):
    response = auth_client.post(f"/api/v1/scripts/{script_id}/run", json={"func": func})
    assert response.status_code == 200
    return response.json


def test_mysql_connector_end_to_end(auth_client, app, data_dir, mysql_server):
    created = create(auth_client, "mysql1", "mysql", mysql_server)
    assert created["config"]["password"] == "*****"  # never sent back
    assert created["config"]["user"] == "funcpad" and created["url"] == (
        f"127.0.0.1:{mysql_server['port']}"
    )
    # At rest: not in the config column, and the secrets column is ciphertext.
    with app.app_context():
        config, secrets = app_db.session.execute(
            app_db.text("SELECT config, secrets FROM connectors WHERE id = :id"), {"id": "mysql1"}
        ).one()
        app_db.session.remove()
    config = config if isinstance(config, str) else json.dumps(config)
    assert mysql_server["password"] not in config and mysql_server["password"] not in secrets
    assert secrets.startswith("gAAAA")  # a Fernet token

    tested = press_test(auth_client, "mysql1")
    assert tested["ok"] is True, tested
    assert "MariaDB" in tested["version"] and "MariaDB" in tested["detail"]

    save_script(auth_client, "sqlwork", MYSQL_SCRIPT)
    assert run(auth_client, "sqlwork", "setup")["return_value"] == 2
    body = run(auth_client, "sqlwork", "read")
    assert body["status"] == "success", body["error"]
    value = body["return_value"]
    assert value["rows"] == [
        {
            "id": 1,
            "name": "web-1",
            "tags": {"env": "prod"},
            "note": "it's",
            "seen": "2023-11-14T22:13:20+00:00",
        },
        {
            "id": 2,
            "name": "db-1",
            "tags": [1, 2],
            "note": "back\\slash",
            "seen": "2023-11-14T22:14:20+00:00",
        },
    ]  # fmt: skip  (*Time columns: arrow times in DFF.CONFIG's TIMEZONE, UTC here)
    assert value["same_helper"] is True and value["tables"] == ["hosts"]
    body = run(auth_client, "sqlwork", "transactions")
    assert body["return_value"] == {
        "changed": 1, "inside": [{"name": "kept"}], "names": ["web-1", "kept"],
    }  # fmt: skip
    # A print of the connector's password is masked in the run's log.
    logs = [entry["message"] for entry in run(auth_client, "sqlwork", "leak")["logs"]]
    assert logs == ["password is *****"]


def test_mysql_test_button_says_what_failed(auth_client, mysql_server):
    create(auth_client, "badpass", "mysql", {**mysql_server, "password": "wrong"})
    result = press_test(auth_client, "badpass")
    assert result["ok"] is False
    assert "refused the user name or password" in result["detail"]
    assert "Access denied" in result["detail"]
    create(auth_client, "nodb", "mysql", {**mysql_server, "database": "missing_db"})
    assert (
        "database does not exist, or this user may not use it"
        in press_test(auth_client, "nodb")["detail"]
    )
    from tests.conftest import free_port

    create(auth_client, "noport", "mysql", {**mysql_server, "port": free_port()})
    # Refused on the host; through the sandbox's port forwarding, closed at once.
    detail = press_test(auth_client, "noport")["detail"]
    assert "connection refused" in detail or "nothing may listen on that port" in detail


def test_a_saved_secret_is_kept_by_the_mask_and_cleared_by_empty(auth_client, mysql_server):
    create(auth_client, "mysql2", "mysql", mysql_server)
    changed = auth_client.put(
        "/api/v1/connectors/mysql2", json={"config": {**mysql_server, "password": "*****"}}
    )
    assert changed.status_code == 200 and changed.json["config"]["password"] == "*****"
    assert press_test(auth_client, "mysql2")["ok"] is True  # the stored password was kept
    cleared = auth_client.put(
        "/api/v1/connectors/mysql2", json={"config": {**mysql_server, "password": ""}}
    )
    assert "password" not in cleared.json["config"]
    assert press_test(auth_client, "mysql2")["ok"] is False


def test_secrets_unreadable_with_another_key(app, auth_client, mysql_server):
    create(auth_client, "mysql3", "mysql", mysql_server)
    from cryptography.fernet import Fernet

    app.config["FUNCPAD_SECRETS_KEY"] = Fernet.generate_key().decode()  # the key was replaced
    view = auth_client.get("/api/v1/connectors/mysql3").json
    assert view["secrets_unreadable"] is True and "password" not in view["config"]
    result = press_test(auth_client, "mysql3")
    assert result["ok"] is False and "cannot be read with this instance's key" in result["detail"]


@pytest.fixture
def pg_database(postgres_server):
    name = f"c_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    port = int(postgres_server.rsplit(":", 1)[1])
    yield {"host": "127.0.0.1", "port": port, "user": "funcpad", "database": name}
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


PG_SCRIPT = r"""
def work():
    db = DFF.CONN('pg1')
    db.non_query('CREATE TABLE items (id INT PRIMARY KEY, label TEXT)')
    n = db.non_query('INSERT INTO items VALUES ?', [[[1, "it's"], [2, 'a\\b 100%']]])
    trans = db.start_trans()
    db.trans_non_query(trans, 'DELETE FROM items')
    db.rollback(trans)
    return {'inserted': n, 'rows': db.query('SELECT * FROM items ORDER BY id'),
            'one': db.query('SELECT label FROM items WHERE label = ?', ["it's"]),
            'tables': db.tables()}
"""


def test_postgresql_connector_end_to_end(auth_client, pg_database):
    create(auth_client, "pg1", "postgresql", {**pg_database, "password": "unused"})
    tested = press_test(auth_client, "pg1")
    assert tested["ok"] is True and tested["version"].startswith("PostgreSQL"), tested
    save_script(auth_client, "pgwork", PG_SCRIPT)
    body = run(auth_client, "pgwork", "work")
    assert body["status"] == "success", body["error"]
    assert body["return_value"] == {
        "inserted": 2,
        "rows": [{"id": 1, "label": "it's"}, {"id": 2, "label": "a\\b 100%"}],
        "one": [{"label": "it's"}],
        "tables": ["items"],
    }


REDIS_SCRIPT = """
def work():
    r = DFF.CONN('redis1')
    r.set('fp:k', 'v1', expire=60)
    r.hmset('fp:h', {'a': 1, 'b': 'two'})
    r.rpush('fp:l', ['x', 'y'])
    return {'get': r.get('fp:k'), 'raw': repr(r.query('GET', 'fp:k')),
            'ttl_ok': 0 < r.ttl('fp:k') <= 60, 'hash': r.hgetall('fp:h'),
            'list': r.lrange('fp:l'), 'incr': r.incr('fp:n', 5),
            'run': r.run('zadd', 'fp:z', {'m': 1}), 'keys': r.keys('fp:*')}
"""


def test_redis_connector_end_to_end(auth_client, redis_url):
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/3").flushdb()  # the connector's database
    config = {"host": "127.0.0.1", "port": port, "password": REDIS_PASSWORD, "database": 3}
    create(auth_client, "redis1", "redis", config)
    tested = press_test(auth_client, "redis1")
    assert tested["ok"] is True and tested["version"][0].isdigit(), tested
    save_script(auth_client, "rwork", REDIS_SCRIPT)
    body = run(auth_client, "rwork", "work")
    assert body["status"] == "success", body["error"]
    assert body["return_value"] == {
        "get": "v1", "raw": "b'v1'", "ttl_ok": True, "hash": {"a": "1", "b": "two"},
        "list": ["x", "y"], "incr": 5, "run": 1,
        "keys": ["fp:h", "fp:k", "fp:l", "fp:n", "fp:z"],
    }  # fmt: skip
    # On the server itself, in the connector's database (3), unscoped keys.
    assert redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/3").get("fp:k") == b"v1"
    create(auth_client, "redisbad", "redis", {**config, "password": "nope"})
    failed = press_test(auth_client, "redisbad")
    assert failed["ok"] is False and "refused the user name or password" in failed["detail"]


MEMCACHED_SCRIPT = """
def work():
    m = DFF.CONN('mc1')
    return {'set': m.set('k', 'v'), 'get': m.get('k'), 'add_existing': m.add('k', 'w'),
            'replace': m.replace('k', 'x'), 'after': m.get('k'), 'incr': m.query('incr', 'n'),
            'delete': m.delete('k'), 'gone': m.get('k')}
"""


def test_memcached_connector_end_to_end(auth_client, memcached_server):
    create(auth_client, "mc1", "memcached", {"servers": memcached_server})
    tested = press_test(auth_client, "mc1")
    assert tested["ok"] is True and tested["version"][0].isdigit(), tested
    save_script(auth_client, "mcwork", MEMCACHED_SCRIPT)
    body = run(auth_client, "mcwork", "work")
    assert body["status"] == "success", body["error"]
    assert body["return_value"] == {
        "set": True, "get": "v", "add_existing": False, "replace": True, "after": "x",
        "incr": None, "delete": True, "gone": None,
    }  # fmt: skip
    bad = auth_client.post(
        "/api/v1/connectors", json={"id": "mc2", "type": "memcached", "config": {"servers": "a"}}
    )
    assert bad.status_code == 400 and bad.json["field"] == "config.servers"
    from tests.conftest import free_port

    create(auth_client, "mc3", "memcached", {"servers": f"127.0.0.1:{free_port()}"})
    failed = press_test(auth_client, "mc3")
    assert failed["ok"] is False
    assert (
        "no memcached server answered" in failed["detail"]
        or "nothing may listen on that port" in failed["detail"]
    )


def test_types_not_offered_say_why(auth_client):
    types = {t["type"]: t for t in auth_client.get("/api/v1/connector-types").json}
    assert types["mysql"]["available"] and types["postgresql"]["available"]
    assert not types["mongodb"]["available"] and "No server" in types["mongodb"]["why_not"]
    response = auth_client.post(
        "/api/v1/connectors", json={"id": "m", "type": "mongodb", "config": {}}
    )
    assert response.status_code == 400 and response.json["field"] == "type"
    assert "not available in this version" in response.json["message"]
    password = next(f for f in types["mysql"]["fields"] if f["name"] == "password")
    assert password["kind"] == "secret"


INFLUX_SCRIPT = """
def work():
    db = DFF.CONN('influx1')
    db.write_point('cpu', {'usage': 0.5}, tags={'host': 'web-1'}, timestamp=1700000000000000000)
    db.write_points([{'measurement': 'cpu', 'tags': {'host': 'web-2'},
                      'fields': {'usage': 0.25, 'tags': 'x'}, 'time': 1700000060000000000}])
    raw = db.query('SELECT usage FROM cpu WHERE host = $h', {'h': 'web-1'})
    grouped = db.query2('SELECT usage, tags FROM cpu WHERE usage < ? GROUP BY host', [1],
                        dict_output=True)
    both = db.query('SELECT count(usage) FROM cpu; SHOW MEASUREMENTS')
    return {'raw': raw, 'grouped': grouped, 'both': [len(both), both[1]['series'][0]['values']]}
"""


def test_influxdb_connector_end_to_end(auth_client, influxdb_server):
    create(auth_client, "influx1", "influxdb", influxdb_server)
    tested = press_test(auth_client, "influx1")
    assert tested["ok"] is True and tested["version"].startswith("1.6"), tested
    save_script(auth_client, "ixwork", INFLUX_SCRIPT)
    body = run(auth_client, "ixwork", "work")
    assert body["status"] == "success", body["error"]
    value = body["return_value"]
    assert value["raw"] == {
        "statement_id": 0,
        "series": [{"name": "cpu", "columns": ["time", "usage"],
                    "values": [["2023-11-14T22:13:20Z", 0.5]]}],
    }  # fmt: skip
    assert value["grouped"] == {
        "series": [
            [{"time": "2023-11-14T22:13:20Z", "usage": 0.5, "_tags": None,
              "tags": {"host": "web-1"}}],
            [{"time": "2023-11-14T22:14:20Z", "usage": 0.25, "_tags": "x",
              "tags": {"host": "web-2"}}],
        ]
    }  # fmt: skip
    assert value["both"] == [2, [["cpu"]]]
    create(auth_client, "influxbad", "influxdb", {**influxdb_server, "password": "nope"})
    failed = press_test(auth_client, "influxbad")
    assert failed["ok"] is False and "refused the user name or password" in failed["detail"]


MQTT_SCRIPT = """
def work():
    mq = DFF.CONN('mqtt1')
    mq.publish('funcpad/alerts', {'host': 'web-1', 'free': 0.05}, qos=1)
    mq.publish('funcpad/alerts', 'second')
    return 'sent'
"""


def test_mqtt_connector_end_to_end(auth_client, mqtt_server):
    import subprocess

    create(auth_client, "mqtt1", "mqtt", mqtt_server)
    tested = press_test(auth_client, "mqtt1")
    assert tested["ok"] is True and tested["version"] == "MQTT 5", tested
    save_script(auth_client, "mqwork", MQTT_SCRIPT)
    listener = subprocess.Popen(
        ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(mqtt_server["port"]),
         "-u", mqtt_server["user"], "-P", mqtt_server["password"], "-t", "funcpad/alerts",
         "-C", "2", "-W", "20", "-d"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    # -d: it says when the broker confirmed the subscription (line-buffered by stdbuf).
    while "SUBACK" not in listener.stdout.readline():
        assert listener.poll() is None, "mosquitto_sub ended before subscribing"
    body = run(auth_client, "mqwork", "work")
    assert body["status"] == "success" and body["return_value"] == "sent", body["error"]
    out = listener.stdout.read()  # the same buffered reader: nothing it read ahead is lost
    listener.wait(25)
    messages = [
        line for line in out.splitlines() if not line.startswith(("Client ", "Subscribed "))
    ]
    assert messages == ['{"host": "web-1", "free": 0.05}', "second"]
    create(auth_client, "mqttbad", "mqtt", {**mqtt_server, "password": "nope"})
    failed = press_test(auth_client, "mqttbad")
    assert failed["ok"] is False and "refused" in failed["detail"], failed
