"""DFF members that ask the platform, in the real sandbox: FUNC (queued, chained, refused by
DataFlux Func's rules), CONN.save/delete/query (a saved connector opens no network), CONFIG
(masked secrets), SIGN (the secret stays on the host), and the members that need nothing
from it: THREAD, TASK, TOOLKIT."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.runner.conftest import job
from webapp import host
from webapp.executor import work
from webapp.extensions import db
from webapp.models import Connector, TaskRecord
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler
from webapp.services import connectors as connectors_service
from webapp.services import func_calls

CHAIN = """
@DFF.API("Start")
def start(n=1):
    DFF.FUNC("chain__a.child", kwargs={"n": n})
    return "started"

@DFF.API("Child")
def child(n=0):
    DFF.STORE.set("child_ran", n)
    return [n, _DFF_ROOT_TASK_ID, _DFF_FUNC_CHAIN, _DFF_ORIGIN, DFF.TASK.root_task_id]

@DFF.API("Loop")
def loop():
    DFF.FUNC("chain__a.loop")

@DFF.API("Refused")
def refused():
    out = []
    for func_id, kwargs in (("chain__a.nope", None), ("chain__a.child", {"zz": 1})):
        try:
            DFF.FUNC(func_id, kwargs=kwargs)
        except Exception as exc:
            out.append([type(exc).__name__, str(exc)])
    return out
"""


def call(client, token, func_id, kwargs=None):
    response = client.post(
        f"/api/v1/funcs/{func_id}/call",
        json={"kwargs": kwargs or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    return None


def test_func_queues_a_chained_run_that_the_queue_runs(app, make_script, client, api_token):
    make_script("chain__a", CHAIN, publish=1)
    started = call(client, api_token, "chain__a.start", {"n": 7})
    assert started["status"] == "success", started["error"]
    assert started["return_value"] == "started"
    queued = db.session.scalars(db.select(TaskRecord).where(TaskRecord.origin == "func")).one()
    assert queued.status == "queued"
    assert queued.root_task_id == started["id"]
    assert queued.call_chain == ["chain__a.start", "chain__a.child"]
    scheduler = Scheduler(app)
    scheduler.tick(utcnow())
    done = wait_for(
        lambda: (
            db.session.get(TaskRecord, queued.id).status == "success"
            and db.session.get(TaskRecord, queued.id)
        )
    )
    assert done, db.session.get(TaskRecord, queued.id).error
    assert done.return_value == [
        7,
        started["id"],
        ["chain__a.start", "chain__a.child"],
        "direct",  # the origin of the run that started the chain, as in DataFlux Func
        started["id"],
    ]


def test_func_refuses_what_dataflux_func_refuses(app, make_script, client, api_token):
    make_script("chain__a", CHAIN, publish=1)
    loop = call(client, api_token, "chain__a.loop")
    assert loop["status"] == "failure"
    assert loop["error"]["type"] == "FuncCircularCall"
    assert loop["error"]["message"] == "`chain__a.loop` -> [chain__a.loop]"
    refused = call(client, api_token, "chain__a.refused")
    assert refused["return_value"] == [
        ["EntityNotFound", "Func not found: `chain__a.nope`"],
        ["TypeError", "chain__a.child takes no argument named zz."],
    ]


def test_a_chain_of_five_is_the_longest(app_ctx, make_script):
    make_script("chain__a", CHAIN, publish=1)
    parent = {"id": "t1", "context": {"call_chain": [f"x.f{i}" for i in range(5)]}}
    with pytest.raises(func_calls.CallRefused) as refused:
        func_calls.enqueue(
            db.session, parent=parent, func_id="chain__a.child", kwargs={}, now=utcnow()
        )
    assert refused.value.kind == "FuncCallChainTooLong"
    parent["context"]["call_chain"] = parent["context"]["call_chain"][:4]
    record = func_calls.enqueue(
        db.session, parent=parent, func_id="chain__a.child", kwargs={}, now=utcnow()
    )
    assert len(record.call_chain) == 5


def test_a_queued_run_past_its_expiry_is_not_run(app, app_ctx, make_script):
    make_script("chain__a", CHAIN, publish=1)
    record = func_calls.enqueue(
        db.session,
        parent={"id": "t1", "context": {"call_chain": ["chain__a.start"]}},
        func_id="chain__a.child",
        kwargs={"n": 1},
        now=utcnow() - timedelta(seconds=901),
    )
    db.session.commit()
    assert record.expires_at is not None
    work.run_queued(app, record.id, "test-worker")
    db.session.expire_all()
    expired = db.session.get(TaskRecord, record.id)
    assert expired.status == "expired"
    assert expired.started_at is None
    assert "longer than its expires" in expired.error["message"]


def run(pool, app, code, script_id="members__main"):
    spec = job(code, script_id=script_id, id="task-members", context={"origin": "api"})
    with app.app_context():
        return pool.run(spec, None, host.calls_for(spec, app))


def test_conn_save_query_delete_and_no_network_for_saved_ones(pool, app, app_ctx):
    connectors_service.create_connector(
        db.session, "human", "datakit", "Made by a person", {"url": "http://10.9.9.9:9529"},
        username="admin", now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    code = (
        "def main():\n"
        "    DFF.CONN.save('agent2', 'datakit', {'url': 'http://127.0.0.1:5432'}, title='A2')\n"
        "    listed = DFF.CONN.query('datakit')\n"
        "    out = [listed]\n"
        "    for attempt in (lambda: DFF.CONN.save('x', 'mongodb', {}),\n"
        "                    lambda: DFF.CONN.save('x', 'datakit', 'not a dict'),\n"
        "                    lambda: DFF.CONN.save('x', 'datakit', {'url': 'ftp://a'}),\n"
        "                    lambda: DFF.CONN.delete('human')):\n"
        "        try:\n"
        "            attempt()\n"
        "        except Exception as exc:\n"
        "            out.append(type(exc).__name__)\n"
        "    return out\n"
    )
    result = run(pool, app, code)
    assert result["status"] == "success", result["error"]
    listed, *errors = result["return_value"]
    assert {"id": "agent2", "title": "A2", "type": "datakit"} in listed
    assert errors == [
        "ConnectorNotSupport",
        "InvalidConnectorConfig",
        "InvalidConnectorConfig",
        "PermissionError",
    ]
    db.session.expire_all()
    saved = db.session.get(Connector, "agent2")
    assert saved.updated_by == "script:members__main"
    assert db.session.get(Connector, "human") is not None
    # The attack: a script names the database's port in a connector to get it opened.
    endpoints = connectors_service.endpoints(db.session, "http://127.0.0.1:9529")
    assert ("127.0.0.1", 5432) not in endpoints
    assert ("10.9.9.9", 9529) in endpoints
    result = run(pool, app, "def main():\n    DFF.CONN.delete('agent2')\n")
    assert result["status"] == "success", result["error"]
    db.session.expire_all()
    assert db.session.get(Connector, "agent2") is None


def test_config_masks_secrets_and_sign_keeps_its_secret(pool, monkeypatch, data_dir):
    from tests.conftest import app_config
    from webapp import create_app

    monkeypatch.setenv("FUNCPAD_CUSTOM_REGION", "cn-north")
    monkeypatch.setenv("DFF_CUSTOM_API_PASSWORD", "pw-123")
    app = create_app(app_config(data_dir))
    code = (
        "def main():\n"
        "    return [DFF.CONFIG.get('CUSTOM_REGION'), DFF.CONFIG.get('CUSTOM_API_PASSWORD'),\n"
        "            DFF.CONFIG.get('CUSTOM_API_PASSWORD', unmask=True),\n"
        "            DFF.CONFIG.get('TIMEZONE'), DFF.CONFIG.get('NOPE', 'dflt'),\n"
        "            DFF.CONFIG.query(), DFF.SIGN('a', 1), DFF.SIGN('a', 1) == DFF.SIGN('a', 2)]\n"
    )
    result = run(pool, app, code)
    assert result["status"] == "success", result["error"]
    region, masked, unmasked, zone, default, custom, signature, same = result["return_value"]
    assert (region, masked, unmasked, zone, default) == (
        "cn-north", "*****", "pw-123", "UTC", "dflt"
    )  # fmt: skip
    assert custom == {"CUSTOM_API_PASSWORD": "*****", "CUSTOM_REGION": "cn-north"}
    assert len(signature) == 32 and same is False
    secret = app.extensions["funcpad.host"].sign_secret
    assert secret and secret not in str(result) and app.config["SECRET_KEY"] not in str(result)
    with app.app_context():
        db.engine.dispose()


def test_thread_task_and_toolkit(pool, app):
    code = (
        "import datetime\n"
        "def work(n):\n"
        "    if n == 3:\n"
        "        raise ValueError('three')\n"
        "    return n * n\n"
        "def main():\n"
        "    DFF.THREAD.set_pool_size(3)\n"
        "    keys = [DFF.THREAD.submit(work, n) for n in range(5)]\n"
        "    results = [DFF.THREAD.get_result(k) for k in keys]\n"
        "    T = DFF.TOOLKIT\n"
        "    secret = T.cipher_by_aes('p@ss', 'key', 'salt')\n"
        "    return [[r.value for r in results], repr(results[3].error),\n"
        "            keys[0].startswith('thread-result-') and len(keys[0]) == 26,\n"
        "            DFF.THREAD.pool_size, DFF.TASK.task_id, DFF.TASK.origin,\n"
        "            T.json_find({'a': {'b': 2}}, 'a.b'), T.json_find_safe({'a': 1}, 'a.b'),\n"
        "            T.json_smart_find({'x': {'y': {'z': 5}}}, 'z'),\n"
        "            T.get_datetime_string(1700000000), T.get_datetime_string(1700000000123),\n"
        "            T.get_datetime_string_cn(1700000000, 'YYYY/MM/DD HH:mm:ss.SSS ZZ'),\n"
        "            T.to_boolean('ng'), T.to_boolean('maybe'), T.get_md5({'b': 1, 'a': 2}),\n"
        "            T.get_base64('hi'), T.from_base64('aGk='),\n"
        "            secret.startswith('AESv2:'), T.decipher_by_aes(secret, 'key', 'salt'),\n"
        "            T.match_wildcard('host.web1.cpu', 'host.*.cpu'),\n"
        "            T.match_wildcard('host.web1.cpu', 'host.**'),\n"
        "            T.match_wildcards('a.b', ['x.*', 'a.*']), T.as_array_str(['a', 'b']),\n"
        "            T.json_dumps({'d': datetime.datetime(2024, 1, 2, 3, 4, 5), 'n': float('nan')})]\n"
    )
    result = run(pool, app, code)
    assert result["status"] == "success", result["error"]
    values = result["return_value"]
    assert values[:6] == [
        [0, 1, 4, None, 16],
        "ValueError('three')",
        True,
        3,
        "task-members",
        "direct",
    ]
    assert values[6:9] == [2, None, 5]
    assert values[9:12] == [
        "2023-11-14 22:13:20",
        "2023-11-14 22:13:20",  # a number above 2099 in seconds is milliseconds
        "2023/11/15 06:13:20.000 +08:00",
    ]
    import hashlib

    assert values[12:14] == [False, None]
    assert values[14] == hashlib.md5(b'{"a":2,"b":1}').hexdigest()
    assert values[15:19] == ["aGk=", "hi", True, "p@ss"]
    assert values[19:23] == [True, True, True, "a,b"]
    assert values[23] == '{"d": "2024-01-02T03:04:05", "n": null}'


def test_attack_a_run_cannot_flood_the_queue(pool, app, app_ctx, make_script, monkeypatch):
    """A run that queues FUNC calls in a loop (each of which could do the same) is stopped at
    its share, and no run may queue more once the queue is full."""
    from webapp.services import host_calls

    make_script("chain__a", CHAIN, publish=1)
    monkeypatch.setattr(host_calls, "MAX_QUEUED_PER_RUN", 5)
    code = (
        "def main():\n"
        "    done = 0\n"
        "    try:\n"
        "        while True:\n"
        "            DFF.FUNC('chain__a.child', kwargs={'n': done})\n"
        "            done += 1\n"
        "    except Exception as exc:\n"
        "        return [done, type(exc).__name__, str(exc)]\n"
    )
    result = run(pool, app, code)
    assert result["return_value"][:2] == [5, "LimitExceeded"]
    queued = db.session.scalar(
        db.select(db.func.count()).select_from(TaskRecord).where(TaskRecord.status == "queued")
    )
    assert queued == 5
    monkeypatch.setattr(host_calls, "MAX_QUEUED_IN_ALL", 5)
    full = run(pool, app, code)
    assert full["return_value"][0] == 0 and "the queue is full" in full["return_value"][2]
