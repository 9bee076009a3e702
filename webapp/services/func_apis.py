"""Sync and Async APIs: the entities (checked, saved, listed) and the rules of a call that do
not need a request object — merging the caller's kwargs into the fixed ones, throttling, and
the API-Auth checks (§7.2 of the facts).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Func, FuncApi
from webapp.models.func_apis import KINDS
from webapp.services.crontab import parse_time
from webapp.services.errors import N_, NotFound, ServiceError

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
PLACEHOLDERS = ("INPUT_BY_CALLER", "FROM_PARAMETER")
AUTH_TYPES = ("none", "fixedField", "httpBasic", "httpDigest", "func")
FIELD_LOCATIONS = ("header", "query", "body")
# DataFlux Func's throttling rules and their windows in seconds (months and years by calendar).
THROTTLING_RULES = {
    "bySecond": 1,
    "byMinute": 60,
    "byHour": 3600,
    "byDay": 86400,
    "byMonth": None,
    "byYear": None,
}
THROTTLING_SCOPE = "funcpad:throttling"  # a cache scope no script may use
DIGEST_NONCE_SECONDS = 300
SECRET_MASK = "*****"
MAX_NOTE = 5000


def _bad(field: str, message: str, **params: Any) -> ServiceError:
    return ServiceError("invalid_api", message, field=field, params=params)


# --- the entities ------------------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(N_("There is nothing at this address."))
    return kind


def get_api(session: Session, kind: str, api_id: Any) -> FuncApi:
    api = session.get(FuncApi, api_id) if isinstance(api_id, str) and len(api_id) <= 64 else None
    if api is None or api.kind != kind:
        raise NotFound(N_("API %(id)s does not exist."), id=api_id)
    return api


def list_apis(session: Session, kind: str) -> list[FuncApi]:
    return list(session.scalars(select(FuncApi).where(FuncApi.kind == kind).order_by(FuncApi.id)))


def _auth(raw: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw if raw is not None else {"type": "none"}
    if not isinstance(raw, dict) or raw.get("type", "none") not in AUTH_TYPES:
        raise _bad(
            "auth.type", N_("auth.type must be one of: %(types)s."), types=", ".join(AUTH_TYPES)
        )
    kind = raw.get("type", "none")
    if kind == "none":
        return {"type": "none"}
    if kind == "func":
        func_id = raw.get("func_id")
        if not isinstance(func_id, str) or not func_id:
            raise _bad("auth.func_id", N_("auth.func_id must name a published function."))
        return {"type": "func", "func_id": func_id}
    if kind == "fixedField":
        fields = raw.get("fields")
        if not isinstance(fields, list) or not fields or len(fields) > 20:
            raise _bad("auth.fields", N_("auth.fields must list 1 to 20 fields."))
        old = {
            (f.get("location"), f.get("name")): f.get("value")
            for f in (previous or {}).get("fields", [])
        }
        out = []
        for i, item in enumerate(fields):
            if not isinstance(item, dict) or item.get("location") not in FIELD_LOCATIONS:
                raise _bad(
                    f"auth.fields[{i}].location", N_("location must be header, query or body.")
                )
            name, value = item.get("name"), item.get("value")
            if not isinstance(name, str) or not name or len(name) > 128:
                raise _bad(
                    f"auth.fields[{i}].name", N_("name must be text of at most 128 characters.")
                )
            if value == SECRET_MASK and (item["location"], name) in old:
                value = old[(item["location"], name)]
            if not isinstance(value, str) or not value or len(value) > 512:
                raise _bad(
                    f"auth.fields[{i}].value", N_("value must be text of at most 512 characters.")
                )
            out.append({"location": item["location"], "name": name, "value": value})
        return {"type": kind, "fields": out}
    users = raw.get("users")
    if not isinstance(users, list) or not users or len(users) > 50:
        raise _bad("auth.users", N_("auth.users must list 1 to 50 users."))
    old_users = {u.get("username"): u.get("password") for u in (previous or {}).get("users", [])}
    out_users = []
    for i, user in enumerate(users):
        username = user.get("username") if isinstance(user, dict) else None
        password = user.get("password") if isinstance(user, dict) else None
        if not isinstance(username, str) or not username or ":" in username or len(username) > 64:
            raise _bad(f"auth.users[{i}].username", N_("username must be text without a colon."))
        if password == SECRET_MASK and username in old_users:
            password = old_users[username]
        if not isinstance(password, str) or not password or len(password) > 256:
            raise _bad(f"auth.users[{i}].password", N_("password must not be empty."))
        out_users.append({"username": username, "password": password})
    return {"type": kind, "users": out_users}


def _throttling(raw: Any) -> dict[str, int]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise _bad("throttling", N_("throttling must be an object of rule: limit."))
    out = {}
    for rule, limit in raw.items():
        if rule not in THROTTLING_RULES:
            raise _bad(
                "throttling",
                N_("throttling rules are bySecond, byMinute, byHour, byDay, byMonth and byYear."),
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise _bad(f"throttling.{rule}", N_("a throttling limit is a whole number above 0."))
        out[rule] = limit
    return out


def save_api(
    session: Session,
    kind: str,
    data: dict[str, Any],
    *,
    api: FuncApi | None,
    username: str | None,
    now: datetime,
) -> FuncApi:
    """Create (``api`` None) or update a Sync/Async API from checked ``data``."""
    if api is None:
        api_id = data.get("id") or f"{kind}-{secrets.token_hex(6)}"
        if not isinstance(api_id, str) or not ID_RE.match(api_id):
            raise _bad("id", N_("An id is letters, digits, _, - and . (at most 64)."))
        if session.get(FuncApi, api_id) is not None:
            raise ServiceError(
                "api_exists", N_("API %(id)s already exists."), status=409, field="id",
                params={"id": api_id},
            )  # fmt: skip
        api = FuncApi(
            id=api_id,
            kind=kind,
            created_at=now,
            kwargs={},
            auth={"type": "none"},
            throttling={},
            disabled=False,
            show_in_docs=False,
            note="",
            tags=[],
        )
    with session.no_autoflush:  # nothing is written until every field is checked
        _apply(session, api, data)
    api.updated_at, api.updated_by = now, username
    session.add(api)
    session.flush()
    return api


def _apply(session: Session, api: FuncApi, data: dict[str, Any]) -> None:
    if "func_id" in data or api.func_id is None:
        func_id = data.get("func_id")
        if not isinstance(func_id, str) or session.get(Func, func_id) is None:
            raise _bad("func_id", N_("func_id must be a published function."))
        api.func_id = func_id
    if "kwargs" in data:
        kwargs = data.get("kwargs") or {}
        if not isinstance(kwargs, dict) or not all(
            isinstance(k, str) and k.isidentifier() for k in kwargs
        ):
            raise _bad("kwargs", N_("kwargs must be an object of argument names."))
        api.kwargs = kwargs
    if "auth" in data:
        api.auth = _auth(data.get("auth"), api.auth)
    if "throttling" in data:
        api.throttling = _throttling(data.get("throttling"))
    if "expires_at" in data:
        api.expires_at = parse_time(data.get("expires_at"), "expires_at")
    for flag in ("disabled", "show_in_docs"):
        if data.get(flag) is not None:  # null: left as it is
            if not isinstance(data[flag], bool):
                raise _bad(flag, N_("%(name)s must be true or false."), name=flag)
            setattr(api, flag, data[flag])
    if "note" in data:
        note = data.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise _bad("note", N_("note must be text of at most 5000 characters."))
        api.note = note
    if "tags" in data:
        tags = data.get("tags") or []
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and 0 < len(t) <= 64 for t in tags
        ):
            raise _bad("tags", N_("tags must be a list of short texts."))
        api.tags = sorted(set(tags))


def public_view(api: FuncApi) -> dict[str, Any]:
    """The entity as the browser sees it: passwords and field values masked."""
    auth = dict(api.auth or {"type": "none"})
    if "users" in auth:
        auth["users"] = [
            {"username": u["username"], "password": SECRET_MASK} for u in auth["users"]
        ]
    if "fields" in auth:
        auth["fields"] = [{**f, "value": SECRET_MASK} for f in auth["fields"]]
    return {
        "id": api.id,
        "kind": api.kind,
        "func_id": api.func_id,
        "kwargs": api.kwargs or {},
        "auth": auth,
        "throttling": api.throttling or {},
        "expires_at": api.expires_at.isoformat() if api.expires_at else None,
        "disabled": api.disabled,
        "show_in_docs": api.show_in_docs,
        "note": api.note or "",
        "tags": api.tags or [],
        "updated_at": api.updated_at.isoformat() if api.updated_at else None,
        "updated_by": api.updated_by,
    }


# --- a call ------------------------------------------------------------------------------


def merge_kwargs(fixed: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The fixed kwargs with the caller's: a placeholder takes the caller's value (or goes
    away when the caller gives none), a new key is added, another fixed key may not be given."""
    merged = {}
    for key, value in (fixed or {}).items():
        if value in PLACEHOLDERS:
            if key in given:
                merged[key] = given[key]
        elif key in given:
            raise ServiceError(
                "fixed_kwarg",
                N_("Cannot specify a fixed kwargs field: %(key)s"),
                field="kwargs",
                params={"key": key},
            )
        else:
            merged[key] = value
    for key, value in given.items():
        if key not in (fixed or {}):
            merged[key] = value
    return merged


def _window(rule: str, now: float) -> tuple[str, int]:
    """The current window's name and the seconds until it ends."""
    size = THROTTLING_RULES[rule]
    if size:
        start = int(now // size)
        return str(start), int((start + 1) * size - now) + 1
    moment = time.gmtime(now)
    if rule == "byMonth":
        name = f"{moment.tm_year}-{moment.tm_mon}"
        year, month = (
            (moment.tm_year + 1, 1) if moment.tm_mon == 12 else (moment.tm_year, moment.tm_mon + 1)
        )
    else:
        name = str(moment.tm_year)
        year, month = moment.tm_year + 1, 1
    end = time.mktime((year, month, 1, 0, 0, 0, 0, 0, 0)) - time.timezone
    return name, max(int(end - now), 1)


def throttled(cache, api: FuncApi, now: float) -> dict[str, Any] | None:
    """Count this call in each of the API's windows; the first rule it exceeds, or None."""
    for rule, limit in sorted((api.throttling or {}).items()):
        window, remaining = _window(rule, now)
        key = f"{api.id}:{rule}:{window}"
        count = cache.call("incr", {"scope": THROTTLING_SCOPE, "key": key})
        if count == 1:
            cache.call("expire", {"scope": THROTTLING_SCOPE, "key": key, "expires": remaining})
        if count > limit:
            return {"rule": rule, "limit": limit, "currentCount": count, "waitSeconds": remaining}
    return None


@dataclass
class HttpCredentials:
    """What a request offers to an API-Auth check (no request object here)."""

    method: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, Any]
    body: dict[str, Any]
    basic: tuple[str, str] | None = None  # (username, password) from Basic
    digest: dict[str, str] | None = None  # the Digest header's parameters


def fixed_field_match(api: FuncApi, creds: HttpCredentials) -> dict[str, str] | None:
    """The first configured field the request carries exactly (the view removes it from the
    query or body before the function sees them), or None."""
    for item in (api.auth or {}).get("fields", []):
        source = {"header": creds.headers, "query": creds.query, "body": creds.body}[
            item["location"]
        ]
        name = item["name"].lower() if item["location"] == "header" else item["name"]
        given = source.get(name)
        if isinstance(given, str) and hmac.compare_digest(given.encode(), item["value"].encode()):
            return item
    return None


def basic_ok(api: FuncApi, creds: HttpCredentials) -> bool:
    if creds.basic is None:
        return False
    username, password = creds.basic
    for user in (api.auth or {}).get("users", []):
        if user["username"] == username and hmac.compare_digest(
            user["password"].encode(), (password or "").encode()
        ):
            return True
    return False


def realm(api: FuncApi) -> str:
    return f"{'SyncAPI' if api.kind == 'sync' else 'AsyncAPI'}:{api.id}"


def digest_nonce(secret: str, now: float) -> str:
    stamp = str(int(now))
    return stamp + "." + hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]


def _nonce_fresh(secret: str, nonce: str, now: float) -> bool:
    stamp = nonce.partition(".")[0]
    if not stamp.isdigit() or now - int(stamp) > DIGEST_NONCE_SECONDS:
        return False
    return hmac.compare_digest(digest_nonce(secret, int(stamp)), nonce)


def digest_ok(api: FuncApi, creds: HttpCredentials, secret: str, uri: str, now: float) -> bool:
    """RFC 7616 Digest with MD5 and qop=auth, the nonce signed by the app and 300 s fresh."""
    params = creds.digest
    if not params:
        return False
    needed = ("username", "realm", "nonce", "uri", "response")
    if any(not params.get(k) for k in needed) or params["realm"] != realm(api):
        return False
    if not _nonce_fresh(secret, params["nonce"], now) or params["uri"] != uri:
        return False
    for user in (api.auth or {}).get("users", []):
        if user["username"] != params["username"]:
            continue
        ha1 = hashlib.md5(
            f"{user['username']}:{realm(api)}:{user['password']}".encode()
        ).hexdigest()
        ha2 = hashlib.md5(f"{creds.method}:{params['uri']}".encode()).hexdigest()
        if params.get("qop") == "auth":
            parts = [
                ha1,
                params["nonce"],
                params.get("nc", ""),
                params.get("cnonce", ""),
                "auth",
                ha2,
            ]
        else:
            parts = [ha1, params["nonce"], ha2]
        expected = hashlib.md5(":".join(parts).encode()).hexdigest()
        if hmac.compare_digest(expected, params["response"]):
            return True
    return False


def challenge(api: FuncApi, secret: str, now: float) -> str:
    """The WWW-Authenticate header that asks for this API's credentials."""
    if (api.auth or {}).get("type") == "httpDigest":
        nonce = digest_nonce(secret, now)
        return f'Digest realm="{realm(api)}", qop="auth", nonce="{nonce}", algorithm=MD5'
    return f'Basic realm="{realm(api)}", charset="UTF-8"'
