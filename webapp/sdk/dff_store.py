"""``DFF.STORE``: values a script keeps between runs, in the platform's database.

Each call goes to the platform (``host``); values travel as JSON, so what comes back is what
JSON makes of it (tuples become lists, datetimes ISO strings, other objects their repr, NaN
null), as in DataFlux Func.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

try:
    from sdk.dff_helpers import NotAvailableHere
except ImportError:
    from webapp.sdk.dff_helpers import NotAvailableHere

NOT_HERE = (
    "{member} is not available here: the top level of a script being published runs "
    "without the platform's data"
)


def _fallback(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return list(value)
    return repr(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """DataFlux Func's json_dumps: anything becomes JSON (NaN and infinities become null)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_fallback)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=_fallback)


def _parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class Store:
    """``DFF.STORE`` of one script: its scope is the script's id unless a call names another."""

    def __init__(self, host, scope: str) -> None:
        self._host = host
        self._scope = scope

    def _call(self, op: str, scope: str | None, **args: Any) -> Any:
        if self._host is None:
            raise NotAvailableHere(NOT_HERE.format(member="DFF.STORE"))
        return self._host(f"store.{op}", {"scope": self._scope if scope is None else scope, **args})

    def __call__(self, key: str, scope: str | None = None) -> Any:
        return self.get(key, scope=scope)

    def set(
        self,
        key: str,
        value: Any,
        expires: int | None = None,
        not_exists: bool = False,
        expire: int | None = None,
        scope: str | None = None,
    ) -> None:
        """Keep a value under a key (JSON-serialised), optionally for some seconds only.

        Args:
            key: At most 256 characters.
            value: Anything JSON can carry (other objects are kept as their repr).
            expires: Seconds until the key is gone (expire is the same).
            not_exists: Leave an existing key as it is.
            scope: Another scope than the script's id, to share keys between scripts.
        Example:
            DFF.STORE.set("last_run", {"at": time.time(), "rows": 12}, expires=3600)
        """
        items = {key: to_json(value)}
        expires = expire if expires is None else expires
        self._call("set", scope, items=items, expires=expires, not_exists=not_exists)

    def mset(
        self,
        key_values: dict[str, Any],
        expires: int | None = None,
        not_exists: bool = False,
        expire: int | None = None,
        scope: str | None = None,
    ) -> None:
        """Keep several values at once (a dict of key: value), with the options of set.

        Example:
            DFF.STORE.mset({"a": 1, "b": [2, 3]}, expires=600)
        """
        if not isinstance(key_values, dict):
            raise TypeError("key_values must be a dict")
        items = {k: to_json(v) for k, v in key_values.items()}
        expires = expire if expires is None else expires
        self._call("set", scope, items=items, expires=expires, not_exists=not_exists)

    def get(self, key: str, scope: str | None = None) -> Any:
        """The value kept under a key, or None (an expired key is gone). STORE(key) is the same.

        Example:
            last = DFF.STORE.get("last_run") or {}
        """
        return _parsed(self._call("get", scope, keys=[key]).get(key))

    def mget(self, keys: list[str], scope: str | None = None) -> dict[str, Any]:
        """The values of several keys, as a dict of key: value (None for a missing one).

        Example:
            values = DFF.STORE.mget(["a", "b"])
        """
        keys = list(keys)
        return {k: _parsed(v) for k, v in self._call("get", scope, keys=keys).items()}

    def getall(self, scope: str | None = None) -> dict[str, Any]:
        """Every key of the scope with its value.

        Example:
            everything = DFF.STORE.getall()
        """
        return self.get_pattern("*", scope=scope)

    def keys(self, pattern: str = "*", scope: str | None = None) -> list[str]:
        """The keys of the scope matching a pattern (* any text, ? one character).

        Example:
            hosts = DFF.STORE.keys("host:*")
        """
        return self._call("match", scope, pattern=pattern, with_values=False)

    def get_pattern(self, pattern: str = "*", scope: str | None = None) -> dict[str, Any]:
        """The keys matching a pattern with their values, as a dict.

        Example:
            per_host = DFF.STORE.get_pattern("host:*")
        """
        found = self._call("match", scope, pattern=pattern, with_values=True)
        return {k: _parsed(v) for k, v in found.items()}

    def delete(self, key: str, scope: str | None = None) -> None:
        """Forget a key (nothing happens when it does not exist).

        Example:
            DFF.STORE.delete("last_run")
        """
        self._call("delete", scope, keys=[key])

    def delete_pattern(self, pattern: str = "*", scope: str | None = None) -> None:
        """Forget every key matching a pattern, expired or not.

        Example:
            DFF.STORE.delete_pattern("host:*")
        """
        self._call("delete_pattern", scope, pattern=pattern)
