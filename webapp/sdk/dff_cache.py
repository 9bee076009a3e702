"""``DFF.CACHE``: DataFlux Func's Redis-style cache, scoped per script.

Each method is one call to the platform, which keeps the keys in its database or in Redis
(``FUNCPAD_REDIS_URL``) with Redis's semantics. Values are stored as strings: numbers are
turned into text as redis-py does, anything else (a dict, a bool) is refused with DataError;
reads give back strings. Every method takes ``scope=`` to use another scope than the script's
id. Where DataFlux Func has a bug, this does what its users expect: ``get_pattern`` with no
match is ``{}`` (DataFlux Func raises) and a ``blpop``/``brpop`` that times out returns None
(DataFlux Func raises); the blocking calls ask again every so often until their timeout, or
until the run's own timeout when ``timeout=0``.
"""

from __future__ import annotations

import time
from typing import Any

try:
    from sdk.dff_errors import DFFError
    from sdk.dff_helpers import NotAvailableHere
    from sdk.dff_store import NOT_HERE
except ImportError:
    from webapp.sdk.dff_errors import DFFError
    from webapp.sdk.dff_helpers import NotAvailableHere
    from webapp.sdk.dff_store import NOT_HERE

FIRST_WAIT, LONGEST_WAIT = 0.05, 0.5  # seconds between the polls of a blocking call


class DataError(DFFError):
    """A value the cache cannot store (as redis-py's DataError): not a str, bytes or number."""


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    raise DataError(
        f"Invalid input of type: {type(value).__name__!r}. "
        "Convert to a bytes, string, int or float first."
    )


def _values(value_or_list: Any) -> list[str]:
    if isinstance(value_or_list, list | tuple | set):
        return [_value(v) for v in value_or_list]
    return [_value(value_or_list)]


class Cache:
    """``DFF.CACHE`` of one script: its scope is the script's id unless a call names another."""

    def __init__(self, host, scope: str) -> None:
        self._host = host
        self._scope = scope

    def _call(self, op: str, scope: str | None, **args: Any) -> Any:
        if self._host is None:
            raise NotAvailableHere(NOT_HERE.format(member="DFF.CACHE"))
        return self._host(f"cache.{op}", {"scope": self._scope if scope is None else scope, **args})

    def __call__(self, key: str, scope: str | None = None) -> str | None:
        return self.get(key, scope=scope)

    # --- generic -------------------------------------------------------------------------

    def ping(self, scope: str | None = None) -> bool:
        """True when the cache answers.

        Example:
            DFF.CACHE.ping()
        """
        return self._call("ping", scope)

    def info(self, scope: str | None = None) -> dict[str, Any]:
        """What the cache is (the database or Redis, and its version).

        Example:
            DFF.CACHE.info()["backend"]
        """
        return self._call("info", scope)

    def dbsize(self, scope: str | None = None) -> int:
        """How many keys the cache holds, in every scope.

        Example:
            DFF.CACHE.dbsize()
        """
        return self._call("dbsize", scope)

    def type(self, key: str, scope: str | None = None) -> str | None:
        """The type of a key: string, hash, list, set or zset; None when it does not exist.

        Example:
            DFF.CACHE.type("queue")
        """
        return self._call("type", scope, key=key)

    def keys(self, pattern: str = "*", scope: str | None = None) -> list[str]:
        """The keys of the scope matching a pattern (Redis's glob: * ? [abc]).

        Example:
            DFF.CACHE.keys("host:*")
        """
        return self._call("keys", scope, pattern=pattern)

    def exists(self, key: str, scope: str | None = None) -> bool:
        """Whether a key exists.

        Example:
            if not DFF.CACHE.exists("token"): ...
        """
        return self._call("exists", scope, key=key)

    def expire(self, key: str, expires: int, scope: str | None = None) -> bool:
        """Make a key expire in some seconds (0 or less counts as 1); False when it is missing.

        Example:
            DFF.CACHE.expire("token", 300)
        """
        return self._call("expire", scope, key=key, expires=expires)

    def expireat(self, key: str, timestamp: float, scope: str | None = None) -> bool:
        """Make a key expire at a Unix time.

        Example:
            DFF.CACHE.expireat("token", time.time() + 300)
        """
        return self._call("expireat", scope, key=key, timestamp=timestamp)

    def ttl(self, key: str, scope: str | None = None) -> int:
        """Seconds until a key expires: -1 without expiry, -2 when it does not exist.

        Example:
            DFF.CACHE.ttl("token")
        """
        return self._call("ttl", scope, key=key)

    def pttl(self, key: str, scope: str | None = None) -> int:
        """Milliseconds until a key expires: -1 without expiry, -2 when it does not exist.

        Example:
            DFF.CACHE.pttl("token")
        """
        return self._call("pttl", scope, key=key)

    def delete(self, key: str | list[str], scope: str | None = None) -> int:
        """Delete a key or a list of keys; how many existed.

        Example:
            DFF.CACHE.delete(["a", "b"])
        """
        keys = list(key) if isinstance(key, list | tuple | set) else [key]
        return self._call("delete", scope, keys=keys) if keys else 0

    def get_pattern(self, pattern: str = "*", scope: str | None = None) -> dict[str, Any]:
        """The string keys matching a pattern with their values ({} when none match).

        Example:
            DFF.CACHE.get_pattern("host:*")
        """
        return self._call("get_pattern", scope, pattern=pattern)

    def delete_pattern(self, pattern: str = "*", scope: str | None = None) -> int:
        """Delete every key matching a pattern; how many there were.

        Example:
            DFF.CACHE.delete_pattern("host:*")
        """
        return self._call("delete_pattern", scope, pattern=pattern)

    def run(self, cmd: str, key: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of the methods here by its name, as DataFlux Func's CACHE.run does.

        Example:
            DFF.CACHE.run("incr", "hits")
        """
        method = getattr(type(self), str(cmd).lower(), None)
        if method is None or str(cmd).startswith("_") or cmd == "run":
            raise NotImplementedError(f"CACHE.run: the cache has no command {cmd!r} here")
        return method(self, key, *args, **kwargs)

    # --- strings -------------------------------------------------------------------------

    def set(
        self,
        key: str,
        value: Any,
        expires: int | None = None,
        not_exists: bool = False,
        exists: bool = False,
        expire: int | None = None,
        scope: str | None = None,
    ) -> bool | None:
        """Set a string (Redis SET): expires in seconds, not_exists is NX, exists is XX.

        Example:
            DFF.CACHE.set("token", token, expires=300)
        """
        expires = expire if expires is None else expires
        return self._call(
            "set",
            scope,
            key=key,
            value=_value(value),
            expires=expires,
            not_exists=not_exists,
            exists=exists,
        )

    def mset(self, key_values: dict[str, Any], scope: str | None = None) -> bool:
        """Set several strings at once from a dict.

        Example:
            DFF.CACHE.mset({"a": 1, "b": 2})
        """
        mapping = {str(k): _value(v) for k, v in dict(key_values).items()}
        return self._call("mset", scope, mapping=mapping)

    def get(self, key: str, scope: str | None = None) -> str | None:
        """A string's value, or None.

        Example:
            token = DFF.CACHE.get("token")
        """
        return self._call("get", scope, key=key)

    def mget(self, keys: list[str], scope: str | None = None) -> dict[str, str | None]:
        """Several strings, as a dict of key: value.

        Example:
            DFF.CACHE.mget(["a", "b"])
        """
        return self._call("mget", scope, keys=list(keys))

    def getset(self, key: str, value: Any, scope: str | None = None) -> str | None:
        """Set a string and return its previous value.

        Example:
            previous = DFF.CACHE.getset("state", "running")
        """
        return self._call("getset", scope, key=key, value=_value(value))

    def incr(self, key: str, step: int | float = 1, scope: str | None = None) -> int | float:
        """Add step to a number kept as a string (a missing key counts as 0); the new value.

        incrby is the same with a required step.

        Example:
            hits = DFF.CACHE.incr("hits")
        """
        return self._call("incr", scope, key=key, step=step)

    def incrby(self, key: str, step: int | float, scope: str | None = None) -> int | float:
        """Add step to a number kept as a string; the new value.

        Example:
            DFF.CACHE.incrby("bytes", 512)
        """
        return self.incr(key, step, scope=scope)

    # --- hashes --------------------------------------------------------------------------

    def hkeys(
        self, key: str, pattern: str = "*", with_values: bool = False, scope: str | None = None
    ) -> list[str] | dict[str, str]:
        """The fields of a hash matching a pattern; a dict with their values if with_values.

        Example:
            DFF.CACHE.hkeys("host:web1")
        """
        return self._call("hkeys", scope, key=key, pattern=pattern, with_values=with_values)

    def hset(
        self, key: str, field: str, value: Any, not_exists: bool = False, scope: str | None = None
    ) -> int:
        """Set one field of a hash; 1 when the field is new (not_exists: only then).

        Example:
            DFF.CACHE.hset("host:web1", "status", "up")
        """
        return self._call(
            "hset", scope, key=key, field=str(field), value=_value(value), not_exists=not_exists
        )

    def hmset(self, key: str, obj: dict[str, Any], scope: str | None = None) -> bool:
        """Set several fields of a hash from a dict.

        Example:
            DFF.CACHE.hmset("host:web1", {"status": "up", "load": 0.3})
        """
        mapping = {str(k): _value(v) for k, v in dict(obj).items()}
        return self._call("hmset", scope, key=key, mapping=mapping)

    def hsetnx(self, key: str, field: str, value: Any, scope: str | None = None) -> int:
        """Set a field of a hash only if it does not exist yet.

        Example:
            DFF.CACHE.hsetnx("host:web1", "first_seen", time.time())
        """
        return self.hset(key, field, value, not_exists=True, scope=scope)

    def hget(self, key: str, field: str, scope: str | None = None) -> str | None:
        """One field of a hash, or None.

        Example:
            DFF.CACHE.hget("host:web1", "status")
        """
        return self._call("hget", scope, key=key, field=str(field))

    def hmget(self, key: str, fields: list[str], scope: str | None = None) -> dict[str, Any]:
        """Several fields of a hash, as a dict of field: value.

        Example:
            DFF.CACHE.hmget("host:web1", ["status", "load"])
        """
        return self._call("hmget", scope, key=key, fields=[str(f) for f in fields])

    def hgetall(self, key: str, scope: str | None = None) -> dict[str, str]:
        """Every field of a hash, as a dict.

        Example:
            DFF.CACHE.hgetall("host:web1")
        """
        return self._call("hgetall", scope, key=key)

    def hincr(
        self, key: str, field: str, step: int | float = 1, scope: str | None = None
    ) -> int | float:
        """Add step to a number in a hash field; the new value (hincrby is the same).

        Example:
            DFF.CACHE.hincr("counts", "errors")
        """
        return self._call("hincr", scope, key=key, field=str(field), step=step)

    def hincrby(
        self, key: str, field: str, step: int | float, scope: str | None = None
    ) -> int | float:
        """Add step to a number in a hash field; the new value.

        Example:
            DFF.CACHE.hincrby("counts", "bytes", 512)
        """
        return self.hincr(key, field, step, scope=scope)

    def hdel(self, key: str, field: str | list[str], scope: str | None = None) -> int:
        """Delete a field (or a list of fields) of a hash; how many existed.

        Example:
            DFF.CACHE.hdel("host:web1", "load")
        """
        fields = [str(f) for f in field] if isinstance(field, list | tuple | set) else [str(field)]
        return self._call("hdel", scope, key=key, fields=fields)

    # --- lists ---------------------------------------------------------------------------

    def lpush(self, key: str, value: Any, scope: str | None = None) -> int:
        """Put a value (or each of a list) at the head of a list; the list's length.

        push is the same.

        Example:
            DFF.CACHE.lpush("jobs", "job-1")
        """
        return self._call("lpush", scope, key=key, values=_values(value))

    push = lpush

    def rpush(self, key: str, value: Any, scope: str | None = None) -> int:
        """Put a value (or each of a list) at the tail of a list; the list's length.

        Example:
            DFF.CACHE.rpush("jobs", ["job-2", "job-3"])
        """
        return self._call("rpush", scope, key=key, values=_values(value))

    def lpop(self, key: str, scope: str | None = None) -> str | None:
        """Take the value at the head of a list, or None when it is empty.

        Example:
            DFF.CACHE.lpop("jobs")
        """
        return self._call("lpop", scope, key=key)

    def rpop(self, key: str, scope: str | None = None) -> str | None:
        """Take the value at the tail of a list, or None when it is empty (pop is the same).

        Example:
            job = DFF.CACHE.rpop("jobs")
        """
        return self._call("rpop", scope, key=key)

    pop = rpop

    def _wait(self, take, timeout: float) -> Any:
        deadline = None if not timeout else time.monotonic() + float(timeout)
        wait = FIRST_WAIT
        while True:
            value = take()
            if value is not None:
                return value
            if deadline is not None and time.monotonic() + wait > deadline:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                time.sleep(remaining)
                return take()
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)

    def blpop(self, key: str, timeout: float = 0, scope: str | None = None) -> list | None:
        """Wait for a value at the head of a list: [key, value], or None after timeout seconds
        (0 waits as long as the run may).

        Example:
            item = DFF.CACHE.blpop("jobs", timeout=5)
        """
        value = self._wait(lambda: self.lpop(key, scope=scope), timeout)
        return None if value is None else [key, value]

    def brpop(self, key: str, timeout: float = 0, scope: str | None = None) -> list | None:
        """Wait for a value at the tail of a list: [key, value], or None after timeout seconds.

        bpop is the same.

        Example:
            item = DFF.CACHE.brpop("jobs", timeout=5)
        """
        value = self._wait(lambda: self.rpop(key, scope=scope), timeout)
        return None if value is None else [key, value]

    bpop = brpop

    def rpoplpush(
        self,
        key: str,
        dest_key: str | None = None,
        scope: str | None = None,
        dest_scope: str | None = None,
    ) -> str | None:
        """Move the tail of one list to the head of another (the same list by default).

        Example:
            job = DFF.CACHE.rpoplpush("jobs", "working")
        """
        return self._call("rpoplpush", scope, key=key, dest_key=dest_key, dest_scope=dest_scope)

    def brpoplpush(
        self,
        key: str,
        dest_key: str | None = None,
        timeout: float = 0,
        scope: str | None = None,
        dest_scope: str | None = None,
    ) -> str | None:
        """rpoplpush that waits up to timeout seconds for a value; None if none came.

        Example:
            job = DFF.CACHE.brpoplpush("jobs", "working", timeout=5)
        """
        return self._wait(
            lambda: self.rpoplpush(key, dest_key, scope=scope, dest_scope=dest_scope), timeout
        )

    def llen(self, key: str, scope: str | None = None) -> int:
        """The length of a list (0 when it does not exist).

        Example:
            DFF.CACHE.llen("jobs")
        """
        return self._call("llen", scope, key=key)

    def lrange(self, key: str, start: int = 0, stop: int = -1, scope: str | None = None) -> list:
        """The values of a list from start to stop, both included (-1 is the last).

        Example:
            DFF.CACHE.lrange("jobs", 0, 9)
        """
        return self._call("lrange", scope, key=key, start=start, stop=stop)

    def ltrim(self, key: str, start: int, stop: int, scope: str | None = None) -> bool:
        """Keep only the values from start to stop of a list.

        Example:
            DFF.CACHE.ltrim("recent", 0, 99)
        """
        return self._call("ltrim", scope, key=key, start=start, stop=stop)

    # --- sets ----------------------------------------------------------------------------

    def sadd(self, key: str, member: Any, scope: str | None = None) -> int:
        """Add a member (or each of a list) to a set; how many were new.

        Example:
            DFF.CACHE.sadd("seen", ["web1", "web2"])
        """
        return self._call("sadd", scope, key=key, members=_values(member))

    def srem(self, key: str, member: Any, scope: str | None = None) -> int:
        """Remove a member (or each of a list) from a set; how many were there.

        Example:
            DFF.CACHE.srem("seen", "web1")
        """
        return self._call("srem", scope, key=key, members=_values(member))

    def scard(self, key: str, scope: str | None = None) -> int:
        """How many members a set has.

        Example:
            DFF.CACHE.scard("seen")
        """
        return self._call("scard", scope, key=key)

    def smembers(self, key: str, scope: str | None = None) -> list[str]:
        """The members of a set, as a sorted list.

        Example:
            DFF.CACHE.smembers("seen")
        """
        return self._call("smembers", scope, key=key)

    def sismember(self, key: str, member: Any, scope: str | None = None) -> bool:
        """Whether a value is a member of a set.

        Example:
            DFF.CACHE.sismember("seen", "web1")
        """
        return self._call("sismember", scope, key=key, member=_value(member))

    # --- sorted sets ---------------------------------------------------------------------

    def zadd(self, key: str, member_scores: dict[str, float], scope: str | None = None) -> int:
        """Add members with their scores ({member: score}) to a sorted set; how many were new.

        Example:
            DFF.CACHE.zadd("latency", {"web1": 12.5, "web2": 8})
        """
        mapping = {_value(m): s for m, s in dict(member_scores).items()}
        return self._call("zadd", scope, key=key, mapping=mapping)

    def zrem(self, key: str, member: Any, scope: str | None = None) -> int:
        """Remove a member (or each of a list) from a sorted set; how many were there.

        Example:
            DFF.CACHE.zrem("latency", "web1")
        """
        return self._call("zrem", scope, key=key, members=_values(member))

    def zcard(self, key: str, scope: str | None = None) -> int:
        """How many members a sorted set has.

        Example:
            DFF.CACHE.zcard("latency")
        """
        return self._call("zcard", scope, key=key)

    def zrange(
        self,
        key: str,
        start: int = 0,
        stop: int = -1,
        with_scores: bool = False,
        scope: str | None = None,
    ) -> list:
        """Members by rank, lowest score first; [member, score] pairs if with_scores.

        Example:
            DFF.CACHE.zrange("latency", 0, 2, with_scores=True)
        """
        return self._call("zrange", scope, key=key, start=start, stop=stop, with_scores=with_scores)

    def zrangebyscore(
        self,
        key: str,
        min_score: Any = "-inf",
        max_score: Any = "+inf",
        with_scores: bool = False,
        scope: str | None = None,
    ) -> list:
        """Members whose score is between min_score and max_score (both included).

        Example:
            DFF.CACHE.zrangebyscore("latency", 10, "+inf")
        """
        return self._call(
            "zrangebyscore",
            scope,
            key=key,
            min_score=min_score,
            max_score=max_score,
            with_scores=with_scores,
        )

    # --- publish -------------------------------------------------------------------------

    def publish(self, topic: str, message: Any, scope: str | None = None) -> int:
        """Publish a message on a topic (scoped too); how many subscribers got it.

        Example:
            DFF.CACHE.publish("events", "deployed")
        """
        return self._call("publish", scope, topic=topic, message=_value(message))
