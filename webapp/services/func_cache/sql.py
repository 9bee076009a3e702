"""The embedded ``DFF.CACHE``: Redis's semantics over one table of the app's database.

Each key is a row with its Redis type and its value as JSON (string; hash as an object; list
as an array; set as a sorted array; sorted set as {member: score}). A change is a
read-modify-write inside one transaction that first bumps the row's ``version``: that UPDATE
takes SQLite's write lock (or PostgreSQL's row lock), so two runs incrementing one counter
never lose an increment; a key created by two runs at once makes one of them retry.
Expiry is Redis's: milliseconds since the epoch, expired keys are missing everywhere and are
removed when written again or by ``purge_expired``. Emptied lists, hashes and sets disappear,
as in Redis.
"""

from __future__ import annotations

import fnmatch
import json
import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.models import FuncCacheEntry as Entry
from webapp.services.func_cache import MAX_VALUE_BYTES, WRONGTYPE, CacheError, checked_arguments

Value = Any  # str | dict | list


def _now_ms() -> int:
    return int(time.time() * 1000)


def _index(length: int, index: int) -> int:
    return index + length if index < 0 else index


def _slice(items: list, start: int, stop: int) -> list:
    """Redis's inclusive range with negative indexes."""
    length = len(items)
    start, stop = max(_index(length, start), 0), _index(length, stop)
    return items[start : stop + 1] if start <= stop else []


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return repr(value)


def _as_int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        raise CacheError("ResponseError", "value is not an integer or out of range") from None


def _as_float(text: str | None) -> float:
    try:
        value = float(text or 0)
    except ValueError:
        raise CacheError("ResponseError", "value is not a valid float") from None
    if math.isnan(value) or math.isinf(value):
        raise CacheError("ResponseError", "increment would produce NaN or Infinity")
    return value


class SqlCache:
    def __init__(self, sessions: Callable, quota_bytes: int) -> None:
        """``sessions()`` gives a new SQLAlchemy session; ``quota_bytes`` bounds all values."""
        self.sessions = sessions
        self.quota_bytes = quota_bytes

    def call(self, op: str, args: dict[str, Any]) -> Any:
        scope, arguments = checked_arguments(op, args)
        return getattr(self, f"op_{op}")(scope, **arguments)

    # --- rows --------------------------------------------------------------------------

    def _live(self, now_ms: int):
        return or_(Entry.expire_at_ms.is_(None), Entry.expire_at_ms > now_ms)

    def _read(self, scope: str, key: str, kind: str | None = None) -> Value | None:
        with self.sessions() as session:
            row = session.execute(
                select(Entry.kind, Entry.value_json).where(
                    Entry.scope == scope, Entry.key == key, self._live(_now_ms())
                )
            ).first()
        if row is None:
            return None
        if kind is not None and row.kind != kind:
            raise CacheError("ResponseError", WRONGTYPE)
        return json.loads(row.value_json)

    def _change(
        self,
        scope: str,
        key: str,
        kind: str | None,
        change: Callable[[Value | None, int | None], tuple[Value | None, Any, int | None]],
        retype: bool = False,
    ) -> Any:
        """Apply ``change(value, expire_at_ms) -> (new value or None to delete, answer,
        new expire_at_ms)`` to one key under its lock; a wrong type is Redis's WRONGTYPE (or,
        with ``retype``, a key replaced by one of ``kind``, as SET does)."""
        for attempt in range(3):
            try:
                with self.sessions() as session, session.begin():
                    return self._change_in(session, scope, key, kind, change, retype)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _change_in(self, session, scope, key, kind, change, retype) -> Any:
        now = _now_ms()
        session.execute(
            update(Entry)
            .where(Entry.scope == scope, Entry.key == key)
            .values(version=Entry.version + 1)
        )
        # FOR UPDATE too: a row another run created after the UPDATE above (which then matched
        # nothing) is locked here, not read and overwritten (PostgreSQL reads what was committed
        # at each statement; SQLite's write lock already holds every other writer off).
        row = session.get(Entry, (scope, key), populate_existing=True, with_for_update=True)
        expired = row is not None and row.expire_at_ms is not None and row.expire_at_ms <= now
        if expired or (row is not None and retype and row.kind != kind):
            session.delete(row)
            session.flush()
            row = None
        if row is not None and kind is not None and row.kind != kind:
            raise CacheError("ResponseError", WRONGTYPE)
        current = json.loads(row.value_json) if row is not None else None
        new, answer, expire_at = change(current, row.expire_at_ms if row is not None else None)
        if new is None:
            if row is not None:
                session.delete(row)
            return answer
        text = json.dumps(new, ensure_ascii=False, separators=(",", ":"))
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_VALUE_BYTES:
            raise CacheError("ValueError", f"the value of {key!r} would exceed 1 MiB")
        grown = size - (row.size if row is not None else 0)
        if grown > 0:
            used = session.scalar(select(func.coalesce(func.sum(Entry.size), 0))) or 0
            if used + grown > self.quota_bytes:
                raise CacheError(
                    "ValueError",
                    "the cache is full (FUNCPAD_CACHE_MAX_MB): delete keys or set expiries",
                )
        new_kind = kind or (row.kind if row is not None else "string")
        if row is None:
            session.add(
                Entry(
                    scope=scope,
                    key=key,
                    kind=new_kind,
                    value_json=text,
                    size=size,
                    expire_at_ms=expire_at,
                    version=0,
                )
            )
            session.flush()  # an IntegrityError here means another run created it: retry
        else:
            row.kind, row.value_json, row.size, row.expire_at_ms = new_kind, text, size, expire_at
        return answer

    def _matching(self, scope: str, pattern: str) -> list[str]:
        with self.sessions() as session:
            keys = session.scalars(
                select(Entry.key)
                .where(Entry.scope == scope, self._live(_now_ms()))
                .order_by(Entry.key)
            ).all()
        return [k for k in keys if fnmatch.fnmatchcase(k, pattern)]

    # --- generic -----------------------------------------------------------------------

    def op_ping(self, scope: str) -> bool:
        return True

    def op_info(self, scope: str) -> dict[str, Any]:
        return {"backend": "database", "keys": self.op_dbsize(scope)}

    def op_dbsize(self, scope: str) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).where(self._live(_now_ms()))) or 0)

    def op_type(self, scope: str, key: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(
                select(Entry.kind).where(
                    Entry.scope == scope, Entry.key == key, self._live(_now_ms())
                )
            )

    def op_keys(self, scope: str, pattern: str) -> list[str]:
        return self._matching(scope, pattern)

    def op_exists(self, scope: str, key: str) -> bool:
        return self.op_type(scope, key) is not None

    def op_expire(self, scope: str, key: str, expires: float) -> bool:
        seconds = max(int(expires), 1)  # DataFlux Func: 0 or less becomes 1
        return self._set_expiry(scope, key, _now_ms() + seconds * 1000)

    def op_expireat(self, scope: str, key: str, timestamp: float) -> bool:
        return self._set_expiry(scope, key, int(timestamp * 1000))

    def _set_expiry(self, scope: str, key: str, at_ms: int) -> bool:
        def change(value, _expire):
            return value, value is not None, at_ms

        return self._change(scope, key, None, change)

    def op_ttl(self, scope: str, key: str) -> int:
        pttl = self.op_pttl(scope, key)
        return pttl if pttl < 0 else math.ceil(pttl / 1000)

    def op_pttl(self, scope: str, key: str) -> int:
        now = _now_ms()
        with self.sessions() as session:
            row = session.execute(
                select(Entry.expire_at_ms).where(
                    Entry.scope == scope, Entry.key == key, self._live(now)
                )
            ).first()
        if row is None:
            return -2
        return -1 if row.expire_at_ms is None else max(row.expire_at_ms - now, 0)

    def op_delete(self, scope: str, keys: list[str]) -> int:
        now = _now_ms()
        with self.sessions() as session, session.begin():
            return session.execute(
                delete(Entry).where(Entry.scope == scope, Entry.key.in_(keys), self._live(now))
            ).rowcount

    def op_delete_pattern(self, scope: str, pattern: str) -> int:
        keys = self._matching(scope, pattern)
        return self.op_delete(scope, keys) if keys else 0

    def op_get_pattern(self, scope: str, pattern: str) -> dict[str, str | None]:
        keys = self._matching(scope, pattern)
        return self.op_mget(scope, keys) if keys else {}

    # --- strings -----------------------------------------------------------------------

    def op_set(self, scope, key, value, expires, not_exists, exists) -> bool | None:
        def change(current, expire):
            if (not_exists and current is not None) or (exists and current is None):
                return current, None, expire
            at = _now_ms() + max(int(expires), 1) * 1000 if expires is not None else None
            return value, True, at

        return self._change_typed(scope, key, change)

    def _change_typed(self, scope, key, change):
        """SET overwrites a key of any type (it becomes a string)."""
        return self._change(scope, key, "string", change, retype=True)

    def op_mset(self, scope, mapping) -> bool:
        for key, value in mapping.items():
            self._change_typed(scope, key, lambda _c, _e, v=value: (v, True, None))
        return True

    def op_get(self, scope, key) -> str | None:
        return self._read(scope, key, "string")

    def op_mget(self, scope, keys) -> dict[str, str | None]:
        now = _now_ms()
        with self.sessions() as session:
            rows = session.execute(
                select(Entry.key, Entry.kind, Entry.value_json).where(
                    Entry.scope == scope, Entry.key.in_(keys), self._live(now)
                )
            ).all()
        found = {r.key: json.loads(r.value_json) for r in rows if r.kind == "string"}
        return {key: found.get(key) for key in keys}

    def op_getset(self, scope, key, value) -> str | None:
        return self._change(scope, key, "string", lambda cur, _e: (value, cur, None))

    def op_incr(self, scope, key, step) -> int | float:
        def change(current, expire):
            if isinstance(step, float):
                new = _as_float(current) + step
                return _number_text(new), new, expire
            new = _as_int(current) + step
            return str(new), new, expire

        return self._change(scope, key, "string", change)

    # --- hashes ------------------------------------------------------------------------

    def op_hkeys(self, scope, key, pattern, with_values):
        value = self._read(scope, key, "hash") or {}
        fields = sorted(f for f in value if fnmatch.fnmatchcase(f, pattern))
        return {f: value[f] for f in fields} if with_values else fields

    def op_hset(self, scope, key, field, value, not_exists) -> int:
        def change(current, expire):
            current = dict(current or {})
            if not_exists and field in current:
                return current, 0, expire
            added = int(field not in current)
            current[field] = value
            return current, added, expire

        return self._change(scope, key, "hash", change)

    def op_hmset(self, scope, key, mapping) -> bool:
        return self._change(
            scope, key, "hash", lambda cur, e: ({**(cur or {}), **mapping}, True, e)
        )

    def op_hget(self, scope, key, field) -> str | None:
        return (self._read(scope, key, "hash") or {}).get(field)

    def op_hmget(self, scope, key, fields) -> dict[str, str | None]:
        value = self._read(scope, key, "hash") or {}
        return {f: value.get(f) for f in fields}

    def op_hgetall(self, scope, key) -> dict[str, str]:
        return self._read(scope, key, "hash") or {}

    def op_hincr(self, scope, key, field, step):
        def change(current, expire):
            current = dict(current or {})
            if isinstance(step, float):
                new = _as_float(current.get(field)) + step
                current[field] = _number_text(new)
            else:
                new = _as_int(current.get(field)) + step
                current[field] = str(new)
            return current, new, expire

        return self._change(scope, key, "hash", change)

    def op_hdel(self, scope, key, fields) -> int:
        def change(current, expire):
            current = dict(current or {})
            removed = sum(1 for f in set(fields) if current.pop(f, None) is not None)
            return current or None, removed, expire

        return self._change(scope, key, "hash", change)

    # --- lists -------------------------------------------------------------------------

    def op_lpush(self, scope, key, values) -> int:
        def change(current, expire):
            items = [*reversed(values), *(current or [])]
            return items, len(items), expire

        return self._change(scope, key, "list", change)

    def op_rpush(self, scope, key, values) -> int:
        def change(current, expire):
            items = [*(current or []), *values]
            return items, len(items), expire

        return self._change(scope, key, "list", change)

    def op_lpop(self, scope, key) -> str | None:
        def change(current, expire):
            if not current:
                return None, None, expire
            return current[1:] or None, current[0], expire

        return self._change(scope, key, "list", change)

    def op_rpop(self, scope, key) -> str | None:
        def change(current, expire):
            if not current:
                return None, None, expire
            return current[:-1] or None, current[-1], expire

        return self._change(scope, key, "list", change)

    def op_rpoplpush(self, scope, key, dest_key, dest_scope) -> str | None:
        value = self.op_rpop(scope, key)
        if value is not None:
            self.op_lpush(dest_scope or scope, dest_key or key, [value])
        return value

    def op_llen(self, scope, key) -> int:
        return len(self._read(scope, key, "list") or [])

    def op_lrange(self, scope, key, start, stop) -> list[str]:
        return _slice(self._read(scope, key, "list") or [], start, stop)

    def op_ltrim(self, scope, key, start, stop) -> bool:
        def change(current, expire):
            return (_slice(current or [], start, stop) or None), True, expire

        return self._change(scope, key, "list", change)

    # --- sets --------------------------------------------------------------------------

    def op_sadd(self, scope, key, members) -> int:
        def change(current, expire):
            before = set(current or [])
            after = before | set(members)
            return sorted(after), len(after) - len(before), expire

        return self._change(scope, key, "set", change)

    def op_srem(self, scope, key, members) -> int:
        def change(current, expire):
            before = set(current or [])
            after = before - set(members)
            return (sorted(after) or None), len(before) - len(after), expire

        return self._change(scope, key, "set", change)

    def op_scard(self, scope, key) -> int:
        return len(self._read(scope, key, "set") or [])

    def op_smembers(self, scope, key) -> list[str]:
        return self._read(scope, key, "set") or []

    def op_sismember(self, scope, key, member) -> bool:
        return member in (self._read(scope, key, "set") or [])

    # --- sorted sets -------------------------------------------------------------------

    def op_zadd(self, scope, key, mapping) -> int:
        def change(current, expire):
            current = dict(current or {})
            added = sum(1 for m in mapping if m not in current)
            current.update(mapping)
            return current, added, expire

        return self._change(scope, key, "zset", change)

    def op_zrem(self, scope, key, members) -> int:
        def change(current, expire):
            current = dict(current or {})
            removed = sum(1 for m in set(members) if current.pop(m, None) is not None)
            return current or None, removed, expire

        return self._change(scope, key, "zset", change)

    def op_zcard(self, scope, key) -> int:
        return len(self._read(scope, key, "zset") or {})

    @staticmethod
    def _ordered(value: dict[str, float]) -> list[tuple[str, float]]:
        return sorted(value.items(), key=lambda item: (item[1], item[0]))

    def op_zrange(self, scope, key, start, stop, with_scores):
        items = _slice(self._ordered(self._read(scope, key, "zset") or {}), start, stop)
        return [[m, s] for m, s in items] if with_scores else [m for m, _ in items]

    def op_zrangebyscore(self, scope, key, min_score, max_score, with_scores):
        items = [
            (m, s)
            for m, s in self._ordered(self._read(scope, key, "zset") or {})
            if min_score <= s <= max_score
        ]
        return [[m, s] for m, s in items] if with_scores else [m for m, _ in items]

    # --- publish -----------------------------------------------------------------------

    def op_publish(self, scope, topic, message) -> int:
        return 0  # no script can subscribe here: nobody receives it, as Redis says with 0


def purge_expired(session, now_ms: int | None = None) -> int:
    """Remove expired keys (the scheduler's clean-up); reads already treat them as missing."""
    at = _now_ms() if now_ms is None else now_ms
    return session.execute(delete(Entry).where(Entry.expire_at_ms <= at)).rowcount
