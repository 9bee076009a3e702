"""DFF.STORE's rules (DataFlux Func's): ids, scopes, expiry, not_exists, patterns, limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import FuncStoreEntry
from webapp.models.types import utcnow
from webapp.services import func_store

QUOTA = 1024 * 1024 * 8


def put(session, scope, items, now, **kw):
    encoded = {k: json.dumps(v) for k, v in items.items()}
    func_store.set_values(
        session, scope, encoded, now=now, quota_bytes=kw.pop("quota", QUOTA), **kw
    )
    session.commit()


def test_ids_scopes_expiry_and_not_exists(app_ctx):
    session, now = db.session, utcnow()
    put(session, "s__a", {"k": 1, "t": "x"}, now)
    put(session, "s__b", {"k": 2}, now)
    row = session.get(FuncStoreEntry, func_store.entry_id("k", "s__a"))
    assert row.id == "fnst-" + __import__("hashlib").md5(b"k-s__a").hexdigest()
    assert func_store.get_values(session, "s__a", ["k", "zz"], now) == {"k": "1", "zz": None}
    assert func_store.get_values(session, "s__b", ["k"], now) == {"k": "2"}
    put(session, "s__a", {"k": 99}, now, not_exists=True)
    assert func_store.get_values(session, "s__a", ["k"], now)["k"] == "1"
    put(session, "s__a", {"e": "soon"}, now, expires=10)
    later = now + timedelta(seconds=11)
    assert func_store.get_values(session, "s__a", ["e"], later) == {"e": None}
    assert func_store.matching(session, "s__a", "*", later, False) == ["k", "t"]
    put(session, "s__a", {"e": "again"}, later, not_exists=True)  # expired counts as missing
    assert func_store.get_values(session, "s__a", ["e"], later) == {"e": '"again"'}
    assert func_store.purge_expired(session, later + timedelta(days=1)) == 0  # no expiry now


def test_patterns_are_star_and_question_mark_only(app_ctx):
    session, now = db.session, utcnow()
    put(session, "s", {"a_1": 1, "ab1": 2, "a%1": 3, "host:1": 4, "host:22": 5}, now)
    assert func_store.matching(session, "s", "a_1", now, False) == ["a_1"]  # _ is literal
    assert func_store.matching(session, "s", "a%1", now, False) == ["a%1"]  # % is literal
    assert func_store.matching(session, "s", "a?1", now, False) == ["a%1", "a_1", "ab1"]
    assert func_store.matching(session, "s", "host:?", now, True) == {"host:1": "4"}
    func_store.delete_matching(session, "s", "host:*")
    func_store.delete_keys(session, "s", ["a_1"])
    assert func_store.matching(session, "s", "*", now, False) == ["a%1", "ab1"]


def test_limits_say_which_argument(app_ctx):
    session, now = db.session, utcnow()
    with pytest.raises(func_store.StoreError, match="key is longer than 256"):
        put(session, "s", {"k" * 257: 1}, now)
    with pytest.raises(func_store.StoreError, match="scope is longer than 256"):
        put(session, "s" * 257, {"k": 1}, now)
    with pytest.raises(func_store.StoreError, match="scope must be a string"):
        func_store.get_values(session, None, ["k"], now)
    with pytest.raises(func_store.StoreError, match="larger than 1024 KiB"):
        put(session, "s", {"big": "x" * (1024 * 1024)}, now)
    with pytest.raises(func_store.StoreError, match="expires must be a number"):
        put(session, "s", {"k": 1}, now, expires="soon")
    put(session, "s", {"a": "x" * 3000}, now, quota=4096)
    with pytest.raises(func_store.StoreError, match="the store is full"):
        put(session, "s", {"b": "y" * 2000}, now, quota=4096)
    session.rollback()
    assert func_store.get_values(session, "s", ["a", "b"], now)["b"] is None
