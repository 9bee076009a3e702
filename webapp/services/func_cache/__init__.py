"""``DFF.CACHE``: DataFlux Func's Redis-style cache, scoped per script (§3 of the facts).

Two back-ends answer the same operations with Redis's semantics: ``sql.SqlCache`` keeps keys
in the app's database (the embedded default), ``redis_cache.RedisCache`` in a real Redis
(``FUNCPAD_REDIS_URL``). The script's side (``webapp.sdk.dff_cache``) sends one operation at a
time with its scope; values arrive as strings (the script's side converts numbers, as
redis-py does) and come back as strings.

``OPERATIONS`` is the whole vocabulary: anything else is refused before a back-end sees it,
so no script can reach a Redis command that is not on this list (``FLUSHALL``, ``CONFIG``,
``EVAL``...) or a key outside its prefix.
"""

from __future__ import annotations

from typing import Any

MAX_KEY_LENGTH = 1024
MAX_SCOPE_LENGTH = 256
MAX_VALUE_BYTES = 1024 * 1024  # one key's whole value (a list or hash counts as one)

# operation -> the argument names it takes besides scope (all required unless defaulted).
OPERATIONS: dict[str, dict[str, Any]] = {
    "ping": {},
    "info": {},
    "dbsize": {},
    "type": {"key": ...},
    "keys": {"pattern": "*"},
    "exists": {"key": ...},
    "expire": {"key": ..., "expires": ...},
    "expireat": {"key": ..., "timestamp": ...},
    "ttl": {"key": ...},
    "pttl": {"key": ...},
    "delete": {"keys": ...},
    "delete_pattern": {"pattern": "*"},
    "get_pattern": {"pattern": "*"},
    "set": {"key": ..., "value": ..., "expires": None, "not_exists": False, "exists": False},
    "mset": {"mapping": ...},
    "get": {"key": ...},
    "mget": {"keys": ...},
    "getset": {"key": ..., "value": ...},
    "incr": {"key": ..., "step": 1},
    "hkeys": {"key": ..., "pattern": "*", "with_values": False},
    "hset": {"key": ..., "field": ..., "value": ..., "not_exists": False},
    "hmset": {"key": ..., "mapping": ...},
    "hget": {"key": ..., "field": ...},
    "hmget": {"key": ..., "fields": ...},
    "hgetall": {"key": ...},
    "hincr": {"key": ..., "field": ..., "step": 1},
    "hdel": {"key": ..., "fields": ...},
    "lpush": {"key": ..., "values": ...},
    "rpush": {"key": ..., "values": ...},
    "lpop": {"key": ...},
    "rpop": {"key": ...},
    "rpoplpush": {"key": ..., "dest_key": None, "dest_scope": None},
    "llen": {"key": ...},
    "lrange": {"key": ..., "start": 0, "stop": -1},
    "ltrim": {"key": ..., "start": ..., "stop": ...},
    "sadd": {"key": ..., "members": ...},
    "srem": {"key": ..., "members": ...},
    "scard": {"key": ...},
    "smembers": {"key": ...},
    "sismember": {"key": ..., "member": ...},
    "zadd": {"key": ..., "mapping": ...},
    "zrem": {"key": ..., "members": ...},
    "zcard": {"key": ...},
    "zrange": {"key": ..., "start": 0, "stop": -1, "with_scores": False},
    "zrangebyscore": {
        "key": ...,
        "min_score": "-inf",
        "max_score": "+inf",
        "with_scores": False,
    },
    "publish": {"topic": ..., "message": ...},
}


class CacheError(Exception):
    """A cache call refused: ``kind`` is what the script sees (ResponseError as in redis-py,
    TypeError or ValueError for bad arguments)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def _text(what: str, value: Any, limit: int = MAX_VALUE_BYTES) -> str:
    if not isinstance(value, str):
        raise CacheError("TypeError", f"{what} must be a string, not {type(value).__name__}")
    if len(value.encode("utf-8", "surrogatepass")) > limit:
        raise CacheError("ValueError", f"{what} is larger than {limit} bytes")
    return value


def _texts(what: str, values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values:
        raise CacheError("TypeError", f"{what} must be a string or a non-empty list of strings")
    return [_text(what, v) for v in values]


def _number(what: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CacheError("TypeError", f"{what} must be a number")
    return value


def _score(what: str, value: Any) -> float:
    if value in ("-inf", "+inf", "inf"):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise CacheError("ValueError", f"{what} must be a number or -inf/+inf") from None
    return float(_number(what, value))


def checked_arguments(op: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(scope, arguments) of one call, every argument of the right type; CacheError else."""
    spec = OPERATIONS.get(op)
    if spec is None:
        raise CacheError("ValueError", f"CACHE has no operation {op!r}")
    scope = _text("scope", args.get("scope"), MAX_SCOPE_LENGTH)
    unknown = set(args) - set(spec) - {"scope"}
    if unknown:
        raise CacheError("TypeError", f"{op}() got unexpected arguments: {sorted(unknown)}")
    out: dict[str, Any] = {}
    for name, default in spec.items():
        if name not in args:
            if default is ...:
                raise CacheError("TypeError", f"{op}() is missing the argument {name!r}")
            out[name] = default
            continue
        out[name] = args[name]
    for name, value in out.items():
        if name in ("key", "topic") or (name in ("dest_key",) and value is not None):
            out[name] = _text(name, value, MAX_KEY_LENGTH)
        elif name == "dest_scope" and value is not None:
            out[name] = _text(name, value, MAX_SCOPE_LENGTH)
        elif name in ("pattern", "field"):
            out[name] = _text(name, value, MAX_KEY_LENGTH)
        elif name in ("value", "message", "member"):
            out[name] = _text(name, value)
        elif name in ("keys", "fields"):
            out[name] = [_text(name, v, MAX_KEY_LENGTH) for v in _texts(name, value)]
        elif name in ("values", "members"):
            out[name] = _texts(name, value)
        elif name == "mapping":
            if not isinstance(value, dict) or not value:
                raise CacheError("TypeError", "mapping must be a non-empty dict")
            if op == "zadd":
                out[name] = {_text("member", k): _score("score", v) for k, v in value.items()}
            else:
                out[name] = {
                    _text("key", k, MAX_KEY_LENGTH): _text("value", v) for k, v in value.items()
                }
        elif name in ("expires", "timestamp", "step") and value is not None:
            out[name] = _number(name, value)
        elif name in ("start", "stop"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise CacheError("TypeError", f"{name} must be an integer")
        elif name in ("min_score", "max_score"):
            out[name] = _score(name, value)
        elif name in ("not_exists", "exists", "with_values", "with_scores"):
            out[name] = bool(value)
    return scope, out


def backend_for(redis_url: str | None, sessions, quota_bytes: int, key_prefix: str):
    """The back-end the app is configured for: Redis when a URL is set, else the database."""
    if redis_url:
        from webapp.services.func_cache.redis_cache import RedisCache

        return RedisCache(redis_url, key_prefix)
    from webapp.services.func_cache.sql import SqlCache

    return SqlCache(sessions, quota_bytes)
