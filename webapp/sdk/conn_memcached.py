"""``DFF.CONN(id)`` of a memcached connector: DataFlux Func's helper over python-memcached.

``servers`` is ``"host:port,host:port"``; ``query(cmd, *args)`` / ``run`` call a client method
by name; ``get``, ``set``, ``add``, ``replace``, ``delete`` as in DataFlux Func.
"""

from __future__ import annotations

from typing import Any


class MemcachedError(Exception):
    """No memcached server answered."""


class MemcachedHelper:
    """A memcached connector's helper."""

    def __init__(self, **config: Any) -> None:
        import memcache

        servers = config.get("servers") or "127.0.0.1:11211"
        self.servers = [s.strip() for s in str(servers).split(",") if s.strip()]
        self.client = memcache.Client(self.servers, socket_timeout=10)

    def close(self) -> None:
        """Close the run's connections (the platform does this when the run ends)."""
        self.client.disconnect_all()

    def check(self) -> dict[str, Any]:
        """Ask every server its stats: ``{"version": "..."}``; raises when none answers.

        Example:
            DFF.CONN("memcached1").check()
        """
        stats = self.client.get_stats()
        versions = sorted({_text(s.get(b"version", s.get("version"))) for _name, s in stats} - {""})
        if not versions:  # python-memcached gives no stats (not an error) for a dead server
            raise MemcachedError(f"no memcached server answered ({', '.join(self.servers)})")
        return {"version": ", ".join(versions)}

    def query(self, cmd: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of python-memcached's client methods by name, e.g. query("incr", "n").

        Example:
            DFF.CONN("memcached1").query("incr", "hits")
        """
        return getattr(self.client, cmd)(*args, **kwargs)

    run = query

    def get(self, key: str) -> Any:
        """A key's value (None when missing).

        Example:
            DFF.CONN("memcached1").get("token")
        """
        return self.client.get(key)

    def set(self, key: str, value: Any, expires: int = 0) -> bool:
        """Set a key (``expires`` seconds, 0: never). True when stored.

        Example:
            DFF.CONN("memcached1").set("token", "abc", 60)
        """
        return bool(self.client.set(key, value, time=expires or 0))

    def add(self, key: str, value: Any, expires: int = 0) -> bool:
        """Set a key only when it is missing. True when stored.

        Example:
            DFF.CONN("memcached1").add("lock", "1", 30)
        """
        return bool(self.client.add(key, value, time=expires or 0))

    def replace(self, key: str, value: Any, expires: int = 0) -> bool:
        """Set a key only when it exists. True when stored.

        Example:
            DFF.CONN("memcached1").replace("token", "def")
        """
        return bool(self.client.replace(key, value, time=expires or 0))

    def delete(self, key: str) -> bool:
        """Delete a key.

        Example:
            DFF.CONN("memcached1").delete("token")
        """
        return bool(self.client.delete(key))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
