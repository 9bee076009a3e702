"""``DFF.CACHE`` on a real Redis (``FUNCPAD_REDIS_URL``), with DataFlux Func's key layout.

A script's key ``k`` in scope ``s`` is the Redis key ``<prefix>@<s>:key:<k>:``, the prefix being
``FUNCPAD_CACHE_KEY_PREFIX`` (default ``Funcpad-worker#funcCache``; set it to
``DataFluxFunc-worker#funcCache`` to share keys with a DataFlux Func on the same Redis). Only the
operations of ``OPERATIONS`` exist and each touches keys under the prefix only: patterns are
matched inside the scope, with the prefix and scope escaped so that a glob character in either
cannot widen the match.
"""

from __future__ import annotations

import math
from typing import Any

import redis

from webapp.services.func_cache import CacheError, checked_arguments

GLOB_SPECIAL = "\\*?[]"


def glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in GLOB_SPECIAL else c for c in text)


class RedisCache:
    def __init__(self, url: str, key_prefix: str) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=10)
        self.prefix = key_prefix

    def call(self, op: str, args: dict[str, Any]) -> Any:
        scope, arguments = checked_arguments(op, args)
        try:
            return getattr(self, f"op_{op}")(scope, **arguments)
        except redis.ResponseError as exc:
            raise CacheError("ResponseError", str(exc)) from None
        except redis.RedisError as exc:
            raise CacheError("ConnectionError", f"the cache (Redis) failed: {exc}") from None

    def key(self, scope: str, key: str) -> str:
        return f"{self.prefix}@{scope}:key:{key}:"

    def user_key(self, scope: str, redis_key: str) -> str:
        head = f"{self.prefix}@{scope}:key:"
        return redis_key[len(head) : -1]

    def _scan(self, scope: str, pattern: str) -> list[str]:
        match = f"{glob_escape(self.prefix)}@{glob_escape(scope)}:key:{pattern}:"
        return sorted(set(self.client.scan_iter(match=match, count=1000)))

    # --- generic -----------------------------------------------------------------------

    def op_ping(self, scope):
        return bool(self.client.ping())

    def op_info(self, scope):
        info = self.client.info("server")
        return {"backend": "redis", "redis_version": info.get("redis_version")}

    def op_dbsize(self, scope):
        match = f"{glob_escape(self.prefix)}@*"
        return sum(1 for _ in self.client.scan_iter(match=match, count=1000))

    def op_type(self, scope, key):
        kind = self.client.type(self.key(scope, key))
        return None if kind == "none" else kind

    def op_keys(self, scope, pattern):
        return [self.user_key(scope, k) for k in self._scan(scope, pattern)]

    def op_exists(self, scope, key):
        return bool(self.client.exists(self.key(scope, key)))

    def op_expire(self, scope, key, expires):
        return bool(self.client.expire(self.key(scope, key), max(int(expires), 1)))

    def op_expireat(self, scope, key, timestamp):
        return bool(self.client.pexpireat(self.key(scope, key), int(timestamp * 1000)))

    def op_ttl(self, scope, key):
        pttl = self.client.pttl(self.key(scope, key))
        return pttl if pttl < 0 else math.ceil(pttl / 1000)

    def op_pttl(self, scope, key):
        return self.client.pttl(self.key(scope, key))

    def op_delete(self, scope, keys):
        return self.client.delete(*(self.key(scope, k) for k in keys))

    def op_delete_pattern(self, scope, pattern):
        keys = self._scan(scope, pattern)
        return self.client.delete(*keys) if keys else 0

    def op_get_pattern(self, scope, pattern):
        keys = self.op_keys(scope, pattern)
        return self.op_mget(scope, keys) if keys else {}

    # --- strings -----------------------------------------------------------------------

    def op_set(self, scope, key, value, expires, not_exists, exists):
        ex = max(int(expires), 1) if expires is not None else None
        done = self.client.set(self.key(scope, key), value, ex=ex, nx=not_exists, xx=exists)
        return True if done else None

    def op_mset(self, scope, mapping):
        return bool(self.client.mset({self.key(scope, k): v for k, v in mapping.items()}))

    def op_get(self, scope, key):
        return self.client.get(self.key(scope, key))

    def op_mget(self, scope, keys):
        values = self.client.mget([self.key(scope, k) for k in keys])
        return dict(zip(keys, values, strict=True))

    def op_getset(self, scope, key, value):
        return self.client.getset(self.key(scope, key), value)

    def op_incr(self, scope, key, step):
        if isinstance(step, float):
            return self.client.incrbyfloat(self.key(scope, key), step)
        return self.client.incrby(self.key(scope, key), step)

    # --- hashes ------------------------------------------------------------------------

    def op_hkeys(self, scope, key, pattern, with_values):
        found = dict(self.client.hscan_iter(self.key(scope, key), match=pattern, count=1000))
        fields = sorted(found)
        return {f: found[f] for f in fields} if with_values else fields

    def op_hset(self, scope, key, field, value, not_exists):
        if not_exists:
            return self.client.hsetnx(self.key(scope, key), field, value)
        return self.client.hset(self.key(scope, key), field, value)

    def op_hmset(self, scope, key, mapping):
        self.client.hset(self.key(scope, key), mapping=mapping)
        return True

    def op_hget(self, scope, key, field):
        return self.client.hget(self.key(scope, key), field)

    def op_hmget(self, scope, key, fields):
        return dict(zip(fields, self.client.hmget(self.key(scope, key), fields), strict=True))

    def op_hgetall(self, scope, key):
        return self.client.hgetall(self.key(scope, key))

    def op_hincr(self, scope, key, field, step):
        if isinstance(step, float):
            return self.client.hincrbyfloat(self.key(scope, key), field, step)
        return self.client.hincrby(self.key(scope, key), field, step)

    def op_hdel(self, scope, key, fields):
        return self.client.hdel(self.key(scope, key), *fields)

    # --- lists -------------------------------------------------------------------------

    def op_lpush(self, scope, key, values):
        return self.client.lpush(self.key(scope, key), *values)

    def op_rpush(self, scope, key, values):
        return self.client.rpush(self.key(scope, key), *values)

    def op_lpop(self, scope, key):
        return self.client.lpop(self.key(scope, key))

    def op_rpop(self, scope, key):
        return self.client.rpop(self.key(scope, key))

    def op_rpoplpush(self, scope, key, dest_key, dest_scope):
        destination = self.key(dest_scope or scope, dest_key or key)
        return self.client.rpoplpush(self.key(scope, key), destination)

    def op_llen(self, scope, key):
        return self.client.llen(self.key(scope, key))

    def op_lrange(self, scope, key, start, stop):
        return self.client.lrange(self.key(scope, key), start, stop)

    def op_ltrim(self, scope, key, start, stop):
        return bool(self.client.ltrim(self.key(scope, key), start, stop))

    # --- sets --------------------------------------------------------------------------

    def op_sadd(self, scope, key, members):
        return self.client.sadd(self.key(scope, key), *members)

    def op_srem(self, scope, key, members):
        return self.client.srem(self.key(scope, key), *members)

    def op_scard(self, scope, key):
        return self.client.scard(self.key(scope, key))

    def op_smembers(self, scope, key):
        return sorted(self.client.smembers(self.key(scope, key)))

    def op_sismember(self, scope, key, member):
        return bool(self.client.sismember(self.key(scope, key), member))

    # --- sorted sets -------------------------------------------------------------------

    def op_zadd(self, scope, key, mapping):
        return self.client.zadd(self.key(scope, key), mapping)

    def op_zrem(self, scope, key, members):
        return self.client.zrem(self.key(scope, key), *members)

    def op_zcard(self, scope, key):
        return self.client.zcard(self.key(scope, key))

    def op_zrange(self, scope, key, start, stop, with_scores):
        items = self.client.zrange(self.key(scope, key), start, stop, withscores=with_scores)
        return [list(i) for i in items] if with_scores else items

    def op_zrangebyscore(self, scope, key, min_score, max_score, with_scores):
        items = self.client.zrangebyscore(
            self.key(scope, key), min_score, max_score, withscores=with_scores
        )
        return [list(i) for i in items] if with_scores else items

    # --- publish -----------------------------------------------------------------------

    def op_publish(self, scope, topic, message):
        return self.client.publish(self.key(scope, topic), message)
