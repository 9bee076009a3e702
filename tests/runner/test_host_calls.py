"""DFF.STORE and DFF.CACHE from scripts in the real sandbox, through the run's own pipe to the
app: values persist across runs, scopes are per script, and a hostile script that forges,
floods or leaves calls unread gets a clear failure without reaching anything else."""

from __future__ import annotations

import pytest
import redis

from tests.runner.conftest import job
from webapp import host
from webapp.runner import supervisor
from webapp.services.host_calls import HostCalls, HostServices

# Finds the write end of the frames pipe, as a hostile script would, and sends raw frames.
RAW_FRAMES = """
import fcntl, json, os, struct
def frames_fd():
    for name in os.listdir('/proc/self/fd'):
        fd = int(name)
        try:
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return fd
        except OSError:
            pass
def send(message):
    body = json.dumps(message).encode()
    os.write(frames_fd(), struct.pack('>I', len(body)) + body)
"""


def run(pool, app, code, script_id="host__main", modules=None, on_call=...):
    spec = job(code, script_id=script_id, modules=modules or {})
    with app.app_context():
        calls = host.calls_for(spec, app) if on_call is ... else on_call
        logs: list[str] = []
        result = pool.run(spec, lambda m: logs.append(m["message"]), calls)
    return result, logs


def test_store_and_cache_persist_across_runs_per_script(pool, app):
    first = (
        "def main():\n"
        "    DFF.STORE.set('seen', {'ids': [1, 2]}, expires=3600)\n"
        "    DFF.STORE.mset({'a': 1, 'b': None})\n"
        "    DFF.CACHE.set('hits', 10)\n"
        "    DFF.CACHE.hmset('host', {'status': 'up', 'load': 0.5})\n"
        "    return DFF.CACHE.incr('hits')\n"
    )
    result, _ = run(pool, app, first)
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == 11
    second = (
        "def main():\n"
        "    return [DFF.STORE('seen'), DFF.STORE.getall(), DFF.store.keys('?'),\n"
        "            DFF.CACHE.get('hits'), DFF.CACHE.hgetall('host'), DFF.cache.ttl('hits')]\n"
    )
    result, _ = run(pool, app, second)
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == [
        {"ids": [1, 2]},
        {"a": 1, "b": None, "seen": {"ids": [1, 2]}},
        ["a", "b"],
        "11",
        {"load": "0.5", "status": "up"},
        -1,
    ]
    # Another script's default scope is its own; naming the scope shares the keys.
    other = (
        "def main():\n"
        "    return [DFF.STORE.get('seen'), DFF.STORE.get('seen', scope='host__main'),\n"
        "            DFF.CACHE.get('hits'), DFF.CACHE.get('hits', scope='host__main')]\n"
    )
    result, _ = run(pool, app, other, script_id="host__other")
    assert result["return_value"] == [None, {"ids": [1, 2]}, None, "11"]


def test_an_imported_script_keeps_its_own_scope(pool, app):
    helper = "def remember(v):\n    DFF.STORE.set('v', v)\n    return DFF.STORE.get('v')\n"
    code = (
        "import host__helper\n"
        "def main():\n"
        "    host__helper.remember(5)\n"
        "    return [DFF.STORE.get('v'), DFF.STORE.get('v', scope='host__helper')]\n"
    )
    result, _ = run(pool, app, code, modules={"host__helper": helper})
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == [None, 5]


def test_errors_reach_the_script_with_their_types(pool, app):
    code = (
        "def main():\n"
        "    out = []\n"
        "    DFF.CACHE.rpush('list', 'x')\n"
        "    for attempt in (\n"
        "        lambda: DFF.CACHE.get('list'),\n"
        "        lambda: DFF.CACHE.set('d', {'a': 1}),\n"
        "        lambda: DFF.CACHE.run('flushall', 'x'),\n"
        "        lambda: DFF.STORE.set('k' * 300, 1),\n"
        "        lambda: DFF.STORE.get('k', scope=['not', 'text']),\n"
        "    ):\n"
        "        try:\n"
        "            attempt()\n"
        "        except Exception as exc:\n"
        "            out.append([type(exc).__name__, str(exc)[:60]])\n"
        "    return out\n"
    )
    result, _ = run(pool, app, code)
    assert result["status"] == "success", result["error"]
    kinds = [k for k, _ in result["return_value"]]
    assert kinds == [
        "ResponseError",
        "DataError",
        "NotImplementedError",
        "ValueError",
        "ValueError",
    ]
    assert "WRONGTYPE" in result["return_value"][0][1]
    assert "key is longer than 256" in result["return_value"][3][1]


def test_without_the_platform_the_members_say_so(pool, app):
    code = "def main():\n    DFF.STORE.get('k')\n"
    result, _ = run(pool, app, code, on_call=None)
    assert result["status"] == "failure"
    assert result["error"]["type"] == "NotAvailableHere"
    assert "DFF.STORE is not available here" in result["error"]["message"]


# --- attacks ---------------------------------------------------------------------------------


def test_a_forged_malformed_call_ends_the_run(pool, app):
    code = RAW_FRAMES + (
        "def main():\n"
        "    send({'type': 'call', 'id': 'x', 'op': 'store.get', 'args': []})\n"
        "    import time; time.sleep(5)\n"
    )
    result, _ = run(pool, app, code)
    assert result["status"] == "failure"
    assert result["error"]["type"] == "SandboxError"
    assert "malformed host call" in result["error"]["message"]


def test_a_forged_call_cannot_reach_an_operation_off_the_list(pool, app, redis_url):
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    raw.set("platform-secret", "s3cret")
    services = HostServices(
        sessions=app.extensions["funcpad.host"].sessions,
        cache=__import__("webapp.services.func_cache", fromlist=["x"]).backend_for(
            redis_url, None, 0, "attack-worker#funcCache"
        ),
        store_quota_bytes=1 << 20,
    )
    spec = job(
        RAW_FRAMES + "def main():\n"
        "    out = []\n"
        "    for op, args in (('cache.flushall', {'scope': 's'}),\n"
        "                     ('cache.get', {'scope': '../', 'key': 'platform-secret'}),\n"
        "                     ('cache.keys', {'scope': '*', 'pattern': '*'}),\n"
        "                     ('sys.shell', {'cmd': 'id'})):\n"
        "        try:\n"
        "            out.append(['ok', DFF._host(op, args)])\n"
        "        except Exception as exc:\n"
        "            out.append([type(exc).__name__, str(exc)])\n"
        "    out.append(DFF.CACHE.keys('*', scope='*'))\n"
        "    return out\n",
        script_id="host__attack",
    )
    result = pool.run(spec, None, HostCalls(services, spec))
    assert result["status"] == "success", result["error"]
    flush, secret, listing, shell, keys = result["return_value"]
    assert flush[0] == "ValueError" and "no operation 'flushall'" in flush[1]
    assert secret == ["ok", None]  # the key is read inside the prefix, where it does not exist
    assert listing == ["ok", []]
    assert shell[0] == "ValueError" and "no service 'sys.shell'" in shell[1]
    assert keys == []
    assert raw.get("platform-secret") == "s3cret"  # nothing outside the prefix was touched


def test_a_flood_of_calls_is_cut_at_the_limit(pool, app, monkeypatch):
    monkeypatch.setattr(supervisor, "MAX_HOST_CALLS", 40)
    code = (
        "def main():\n"
        "    done = 0\n"
        "    try:\n"
        "        while True:\n"
        "            DFF.CACHE.incr('n')\n"
        "            done += 1\n"
        "    except Exception as exc:\n"
        "        return [done, type(exc).__name__, str(exc)]\n"
    )
    result, _ = run(pool, app, code)
    assert result["status"] == "success", result["error"]
    done, kind, message = result["return_value"]
    assert done == 40 and kind == "LimitExceeded" and "at most 40 calls" in message


def test_calls_whose_answers_are_never_read_end_the_run(pool, app):
    code = RAW_FRAMES + (
        "def main():\n"
        "    DFF.STORE.set('big', 'x' * 900000)\n"
        "    for i in range(12):\n"
        "        send({'type': 'call', 'id': 100 + i, 'op': 'store.get',\n"
        "              'args': {'scope': 'host__main', 'keys': ['big']}})\n"
        "    import time; time.sleep(5)\n"
    )
    result, _ = run(pool, app, code)
    assert result["status"] == "failure"
    assert "without reading answers" in result["error"]["message"]


def test_the_hosts_own_failures_are_not_shown_to_the_script(pool, app):
    class Broken:
        def call(self, op, args):
            raise RuntimeError("connection to postgres://admin:hunter2@db failed")

    services = HostServices(
        sessions=app.extensions["funcpad.host"].sessions, cache=Broken(), store_quota_bytes=1
    )
    spec = job("def main():\n    return DFF.CACHE.get('k')\n", script_id="host__main")
    result = pool.run(spec, None, HostCalls(services, spec))
    assert result["status"] == "failure"
    assert result["error"]["type"] == "RuntimeError"
    assert result["error"]["message"] == "cache.get failed on the server"
    assert "hunter2" not in str(result)


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_the_app_uses_redis_when_configured(backend, data_dir, request):
    from tests.conftest import app_config
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services.func_cache.redis_cache import RedisCache
    from webapp.services.func_cache.sql import SqlCache

    extra = (
        {"FUNCPAD_REDIS_URL": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    )
    app = create_app(app_config(data_dir, **extra))
    cache = app.extensions["funcpad.host"].cache
    assert isinstance(cache, RedisCache if backend == "redis" else SqlCache)
    with app.app_context():
        db.engine.dispose()
