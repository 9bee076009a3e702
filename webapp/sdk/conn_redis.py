"""``DFF.CONN(id)`` of a redis connector: DataFlux Func's helper over redis-py.

``query(*args)`` is the raw command, its answer as redis-py gives it (bytes, unconverted);
``run(cmd, *args)`` calls a redis-py method; the CACHE-style methods (``get``, ``set``,
``hgetall``, ``lpush``...) work on the server's keys as they are (no scope) and give text back.
"""

from __future__ import annotations

from typing import Any


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    return value


class RedisHelper:
    """A redis connector's helper (one connection pool for the run)."""

    def __init__(self, **config: Any) -> None:
        import redis

        self.config = config
        self.client = redis.Redis(
            host=config.get("host", "127.0.0.1"),
            port=int(config.get("port", 6379)),
            db=int(config.get("database", config.get("db", 0)) or 0),
            username=config.get("user") or config.get("username") or None,
            password=config.get("password") or None,
            ssl=bool(config.get("useTLS") or config.get("useSSL")),
            socket_connect_timeout=10,
            socket_timeout=30,
        )

    def close(self) -> None:
        """Close the run's connections (the platform does this when the run ends)."""
        self.client.close()

    def check(self) -> dict[str, Any]:
        """PING the server: ``{"version": "..."}``; raises when it cannot.

        Example:
            DFF.CONN("redis1").check()
        """
        self.client.ping()
        return {"version": _text(self.client.info("server").get("redis_version"))}

    def query(self, *args: Any) -> Any:
        """A raw command, e.g. query("GET", "k"); the answer as the server gives it (bytes).

        Example:
            DFF.CONN("redis1").query("INCRBY", "hits", 5)
        """
        return self.client.execute_command(*args)

    def run(self, cmd: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of redis-py's methods by name, e.g. run("zadd", "board", {"a": 1}).

        Example:
            DFF.CONN("redis1").run("zadd", "board", {"alice": 3})
        """
        return getattr(self.client, cmd)(*args, **kwargs)

    # -- DFF.CACHE's methods, unscoped --------------------------------------------------------
    def get(self, key: str) -> str | None:
        """A key's value as text (None when missing).

        Example:
            DFF.CONN("redis1").get("last_sync")
        """
        return _text(self.client.get(key))

    def set(self, key: str, value: Any, expire: int | None = None, not_exists: bool = False):
        """Set a key (``expire`` seconds; ``not_exists``: only when missing). True when set.

        Example:
            DFF.CONN("redis1").set("last_sync", "2026-12-01", expire=3600)
        """
        return bool(self.client.set(key, value, ex=expire, nx=not_exists))

    def setex(self, key: str, max_age: int, value: Any) -> bool:
        """Set a key that expires after ``max_age`` seconds.

        Example:
            DFF.CONN("redis1").setex("token", 60, "abc")
        """
        return bool(self.client.setex(key, max_age, value))

    def mget(self, keys: list[str]) -> dict[str, str | None]:
        """Several keys' values: {key: text or None}.

        Example:
            DFF.CONN("redis1").mget(["a", "b"])
        """
        return dict(zip(keys, _text(self.client.mget(keys)), strict=True))

    def mset(self, key_values: dict[str, Any]) -> bool:
        """Set several keys.

        Example:
            DFF.CONN("redis1").mset({"a": 1, "b": 2})
        """
        return bool(self.client.mset(key_values))

    def delete(self, key: str | list[str]) -> int:
        """Delete a key or a list of keys; how many existed.

        Example:
            DFF.CONN("redis1").delete(["a", "b"])
        """
        keys = key if isinstance(key, list | tuple) else [key]
        return self.client.delete(*keys) if keys else 0

    def exists(self, key: str) -> bool:
        """Whether a key exists.

        Example:
            DFF.CONN("redis1").exists("a")
        """
        return bool(self.client.exists(key))

    def expire(self, key: str, expires: int) -> bool:
        """Let a key expire after ``expires`` seconds.

        Example:
            DFF.CONN("redis1").expire("a", 60)
        """
        return bool(self.client.expire(key, expires))

    def ttl(self, key: str) -> int:
        """Seconds until a key expires (-1: never, -2: missing).

        Example:
            DFF.CONN("redis1").ttl("a")
        """
        return self.client.ttl(key)

    def keys(self, pattern: str = "*") -> list[str]:
        """Key names matching a glob pattern.

        Example:
            DFF.CONN("redis1").keys("host:*")
        """
        return sorted(_text(self.client.keys(pattern)))

    def incr(self, key: str, step: int | float = 1) -> int | float:
        """Add ``step`` to a number kept in a key; the new value.

        Example:
            DFF.CONN("redis1").incr("hits")
        """
        if isinstance(step, float):
            return self.client.incrbyfloat(key, step)
        return self.client.incrby(key, step)

    incrby = incr

    def hget(self, key: str, field: str) -> str | None:
        """One field of a hash.

        Example:
            DFF.CONN("redis1").hget("host:1", "cpu")
        """
        return _text(self.client.hget(key, field))

    def hset(self, key: str, field: str, value: Any, not_exists: bool = False) -> int:
        """Set a field of a hash (``not_exists``: only when missing).

        Example:
            DFF.CONN("redis1").hset("host:1", "cpu", 0.5)
        """
        if not_exists:
            return self.client.hsetnx(key, field, value)
        return self.client.hset(key, field, value)

    def hmset(self, key: str, obj: dict[str, Any]) -> bool:
        """Set several fields of a hash.

        Example:
            DFF.CONN("redis1").hmset("host:1", {"cpu": 0.5, "mem": 0.3})
        """
        self.client.hset(key, mapping=obj)
        return True

    def hgetall(self, key: str) -> dict[str, str]:
        """A whole hash as {field: text}.

        Example:
            DFF.CONN("redis1").hgetall("host:1")
        """
        return _text(self.client.hgetall(key))

    def hdel(self, key: str, field: str | list[str]) -> int:
        """Delete fields of a hash; how many existed.

        Example:
            DFF.CONN("redis1").hdel("host:1", ["cpu"])
        """
        fields = field if isinstance(field, list | tuple) else [field]
        return self.client.hdel(key, *fields) if fields else 0

    def lpush(self, key: str, value: Any) -> int:
        """Push values on the left of a list; its new length.

        Example:
            DFF.CONN("redis1").lpush("queue", "job-1")
        """
        values = value if isinstance(value, list | tuple) else [value]
        return self.client.lpush(key, *values)

    def rpush(self, key: str, value: Any) -> int:
        """Push values on the right of a list; its new length.

        Example:
            DFF.CONN("redis1").rpush("queue", "job-1")
        """
        values = value if isinstance(value, list | tuple) else [value]
        return self.client.rpush(key, *values)

    def lpop(self, key: str) -> str | None:
        """Take the leftmost value of a list.

        Example:
            DFF.CONN("redis1").lpop("queue")
        """
        return _text(self.client.lpop(key))

    def rpop(self, key: str) -> str | None:
        """Take the rightmost value of a list.

        Example:
            DFF.CONN("redis1").rpop("queue")
        """
        return _text(self.client.rpop(key))

    def llen(self, key: str) -> int:
        """A list's length.

        Example:
            DFF.CONN("redis1").llen("queue")
        """
        return self.client.llen(key)

    def lrange(self, key: str, start: int = 0, stop: int = -1) -> list[str]:
        """A slice of a list (both ends included).

        Example:
            DFF.CONN("redis1").lrange("queue", 0, 9)
        """
        return _text(self.client.lrange(key, start, stop))

    def publish(self, topic: str, message: Any) -> int:
        """Publish a message on a channel; how many subscribers got it.

        Example:
            DFF.CONN("redis1").publish("events", "deployed")
        """
        return self.client.publish(topic, message)
