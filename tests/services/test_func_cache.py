"""DFF.CACHE's two back-ends answer every operation the same way, with Redis's semantics:
the database one (a real SQLite file) and a real Debian redis-server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.services.func_cache import CacheError, checked_arguments
from webapp.services.func_cache.redis_cache import RedisCache
from webapp.services.func_cache.sql import SqlCache, purge_expired


@pytest.fixture(params=["database", "redis"])
def cache(request, app_ctx):
    if request.param == "database":
        engine = db.engine
        yield SqlCache(lambda: Session(engine, expire_on_commit=False), 64 * 1024 * 1024)
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-{uuid.uuid4().hex[:8]}-worker#funcCache"
    backend = RedisCache(url, prefix)
    yield backend
    for key in backend.client.scan_iter(match=f"{prefix}*"):
        backend.client.delete(key)


def call(cache, op, scope="s__one", **args):
    return cache.call(op, {"scope": scope, **args})


def test_strings_counters_and_expiry(cache):
    assert call(cache, "ping") is True
    assert call(cache, "get", key="missing") is None
    assert call(cache, "set", key="a", value="1") is True
    assert call(cache, "set", key="a", value="2", not_exists=True) is None  # NX
    assert call(cache, "set", key="b", value="x", exists=True) is None  # XX on a missing key
    assert call(cache, "get", key="a") == "1"
    assert call(cache, "incr", key="a", step=5) == 6
    assert call(cache, "incr", key="new") == 1
    assert call(cache, "incr", key="f", step=1.5) == pytest.approx(1.5)
    assert call(cache, "getset", key="a", value="z") == "6"
    with pytest.raises(CacheError) as not_integer:
        call(cache, "incr", key="a")
    assert not_integer.value.kind == "ResponseError"
    assert "not an integer" in not_integer.value.message
    assert call(cache, "mset", mapping={"m1": "1", "m2": "2"}) is True
    assert call(cache, "mget", keys=["m1", "m2", "nope"]) == {"m1": "1", "m2": "2", "nope": None}
    assert call(cache, "ttl", key="m1") == -1
    assert call(cache, "ttl", key="nope") == -2
    assert call(cache, "expire", key="m1", expires=0) is True  # 0 or less counts as 1 s
    assert 0 < call(cache, "pttl", key="m1") <= 1000
    assert call(cache, "expire", key="nope", expires=10) is False
    assert call(cache, "set", key="short", value="v", expires=1) is True
    time.sleep(1.2)
    assert call(cache, "get", key="short") is None
    assert call(cache, "exists", key="m1") is False
    assert call(cache, "type", key="a") == "string"


def test_hashes_lists_sets_and_sorted_sets(cache):
    assert call(cache, "hset", key="h", field="f1", value="v1") == 1
    assert call(cache, "hset", key="h", field="f1", value="v2") == 0
    assert call(cache, "hset", key="h", field="f1", value="no", not_exists=True) == 0
    assert call(cache, "hmset", key="h", mapping={"f2": "2", "g": "3"}) is True
    assert call(cache, "hget", key="h", field="f1") == "v2"
    assert call(cache, "hkeys", key="h", pattern="f*") == ["f1", "f2"]
    assert call(cache, "hkeys", key="h", with_values=True) == {"f1": "v2", "f2": "2", "g": "3"}
    assert call(cache, "hmget", key="h", fields=["f2", "x"]) == {"f2": "2", "x": None}
    assert call(cache, "hincr", key="h", field="f2", step=3) == 5
    assert call(cache, "hdel", key="h", fields=["f1", "x"]) == 1
    assert call(cache, "hgetall", key="h") == {"f2": "5", "g": "3"}
    assert call(cache, "type", key="h") == "hash"

    assert call(cache, "rpush", key="l", values=["1", "2", "3"]) == 3
    assert call(cache, "lpush", key="l", values=["0", "-1"]) == 5  # each to the head in turn
    assert call(cache, "lrange", key="l") == ["-1", "0", "1", "2", "3"]
    assert call(cache, "lrange", key="l", start=1, stop=-2) == ["0", "1", "2"]
    assert call(cache, "lpop", key="l") == "-1"
    assert call(cache, "rpop", key="l") == "3"
    assert call(cache, "rpoplpush", key="l", dest_key="other") == "2"
    assert call(cache, "lrange", key="other") == ["2"]
    assert call(cache, "ltrim", key="l", start=0, stop=0) is True
    assert call(cache, "llen", key="l") == 1
    call(cache, "lpop", key="l")
    assert call(cache, "exists", key="l") is False  # an emptied list is gone, as in Redis
    assert call(cache, "lpop", key="l") is None

    assert call(cache, "sadd", key="s", members=["b", "a", "b"]) == 2
    assert call(cache, "smembers", key="s") == ["a", "b"]
    assert call(cache, "sismember", key="s", member="a") is True
    assert call(cache, "srem", key="s", members=["a", "zz"]) == 1
    assert call(cache, "scard", key="s") == 1

    assert call(cache, "zadd", key="z", mapping={"x": 3, "y": 1, "w": 2}) == 3
    assert call(cache, "zrange", key="z") == ["y", "w", "x"]
    assert call(cache, "zrange", key="z", start=0, stop=0, with_scores=True) == [["y", 1.0]]
    assert call(cache, "zrangebyscore", key="z", min_score=2, max_score="+inf") == ["w", "x"]
    assert call(cache, "zrem", key="z", members=["w"]) == 1
    assert call(cache, "zcard", key="z") == 2

    with pytest.raises(CacheError) as wrong:
        call(cache, "lpush", key="h", values=["x"])
    assert wrong.value.kind == "ResponseError" and "WRONGTYPE" in wrong.value.message
    assert call(cache, "set", key="h", value="now a string") is True  # SET replaces any type
    assert call(cache, "get", key="h") == "now a string"


def test_scopes_patterns_and_deletes(cache):
    call(cache, "set", key="host:1", value="a")
    call(cache, "set", key="host:2", value="b")
    call(cache, "set", key="other", value="c")
    call(cache, "set", key="host:9", value="theirs", scope="s__two")
    assert call(cache, "keys", pattern="host:*") == ["host:1", "host:2"]
    assert call(cache, "keys", scope="s__two") == ["host:9"]
    assert call(cache, "get_pattern", pattern="host:*") == {"host:1": "a", "host:2": "b"}
    assert call(cache, "get_pattern", pattern="none*") == {}  # DataFlux Func raises here
    assert call(cache, "delete", keys=["host:1", "missing"]) == 1
    assert call(cache, "delete_pattern", pattern="host:*") == 1
    assert call(cache, "keys") == ["other"]
    assert call(cache, "get", key="host:9", scope="s__two") == "theirs"
    # A glob character in a scope is that character, not a wildcard over other scopes.
    call(cache, "set", key="k", value="star", scope="*")
    assert call(cache, "keys", scope="s__*") == []
    assert call(cache, "keys", scope="*") == ["k"]


def test_only_listed_operations_with_checked_arguments():
    with pytest.raises(CacheError, match="no operation 'flushall'"):
        checked_arguments("flushall", {"scope": "s"})
    with pytest.raises(CacheError, match="unexpected arguments"):
        checked_arguments("get", {"scope": "s", "key": "k", "extra": 1})
    with pytest.raises(CacheError, match="missing the argument 'key'"):
        checked_arguments("get", {"scope": "s"})
    with pytest.raises(CacheError, match="scope must be a string"):
        checked_arguments("get", {"scope": None, "key": "k"})
    with pytest.raises(CacheError, match="value must be a string"):
        checked_arguments("set", {"scope": "s", "key": "k", "value": {"a": 1}})
    with pytest.raises(CacheError, match="larger than"):
        checked_arguments("set", {"scope": "s", "key": "k", "value": "x" * (1024 * 1024 + 1)})


def test_concurrent_increments_are_never_lost(cache):
    def work():
        for _ in range(25):
            call(cache, "incr", key="counter")
            call(cache, "hincr", key="hash", field="n")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert call(cache, "get", key="counter") == "150"
    assert call(cache, "hget", key="hash", field="n") == "150"


def test_the_database_cache_has_a_quota_and_purges_expired_keys(app_ctx):
    engine = db.engine
    sessions = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    cache = SqlCache(sessions, 4096)
    call(cache, "set", key="a", value="x" * 3000)
    with pytest.raises(CacheError, match="the cache is full"):
        call(cache, "set", key="b", value="y" * 2000)
    assert call(cache, "get", key="b") is None
    call(cache, "set", key="a", value="short", expires=1)  # shrinking is always allowed
    with sessions() as session, session.begin():
        assert purge_expired(session, now_ms=int(time.time() * 1000) + 5000) == 1
    assert call(cache, "dbsize") == 0


def test_redis_keys_use_dataflux_funcs_layout(redis_url):
    cache = RedisCache(redis_url, "DataFluxFunc-worker#funcCache")
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        call(cache, "set", key="k", value="v", scope="demo__main")
        assert raw.get("DataFluxFunc-worker#funcCache@demo__main:key:k:") == "v"
        assert call(cache, "keys", scope="demo__main") == ["k"]
    finally:
        raw.delete("DataFluxFunc-worker#funcCache@demo__main:key:k:")
