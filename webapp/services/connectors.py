"""Connectors: validated configs, the view the browser gets (tokens hidden), what a job gets."""

from __future__ import annotations

import re
import time
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Connector
from webapp.services.errors import N_, Msg, NotFound, ServiceError

ID_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
TYPES = ("datakit",)
SECRET_MASK = "*****"
# updated_by of a connector last saved by a script (DFF.CONN.save): "script:<script id>".
SCRIPT_AUTHOR = "script:"


def _bad(field: str, message: str, **params: Any) -> ServiceError:
    return ServiceError("invalid_config", message, field=field, params=params)


def validate_config(raw: object, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A clean DataKit config: ``url`` or ``host``/``port``/``protocol`` (or ``embedded``),
    plus ``source``, ``timeout`` and an optional ``token`` (``*****`` keeps the stored one)."""
    if not isinstance(raw, dict):
        raise _bad("config", N_("config must be an object."))
    config: dict[str, Any] = {}
    if raw.get("embedded") is True:
        config["embedded"] = True
    elif raw.get("url"):
        url = raw["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad("config.url", N_("url must look like http://host:9529."))
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise _bad("config.url", N_("url has an invalid port.")) from None
        config["url"] = url.rstrip("/")
    else:
        host = raw.get("host")
        if not isinstance(host, str) or not host.strip() or any(c in host for c in "/ @"):
            raise _bad("config.host", N_("Give a url, or a host with port and protocol."))
        port = raw.get("port", 9529)
        if isinstance(port, str) and port.isascii() and port.isdigit() and len(port) <= 5:
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _bad("config.port", N_("port must be 1-65535."))
        protocol = raw.get("protocol", "http")
        if protocol not in ("http", "https"):
            raise _bad("config.protocol", N_("protocol must be http or https."))
        config.update(host=host.strip(), port=port, protocol=protocol)
    source = raw.get("source")
    if source not in (None, ""):
        if not isinstance(source, str) or len(source) > 64:
            raise _bad("config.source", N_("source must be text of at most 64 characters."))
        config["source"] = source
    timeout = raw.get("timeout", 10)
    if isinstance(timeout, str):
        try:
            timeout = float(timeout)
        except ValueError:
            raise _bad("config.timeout", N_("timeout must be a number of seconds.")) from None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise _bad("config.timeout", N_("timeout must be between 0 and 300 seconds."))
    config["timeout"] = timeout
    token = raw.get("token")
    if token == SECRET_MASK and previous and previous.get("token"):
        config["token"] = previous["token"]
    elif token not in (None, "", SECRET_MASK):
        if not isinstance(token, str) or len(token) > 512:
            raise _bad("config.token", N_("token must be text."))
        config["token"] = token
    return config


def list_connectors(session: Session) -> list[Connector]:
    return list(session.scalars(select(Connector).order_by(Connector.id)))


def get_connector(session: Session, connector_id: str) -> Connector:
    connector = session.get(Connector, connector_id) if ID_RE.match(connector_id or "") else None
    if connector is None:
        raise NotFound(N_("Connector %(id)s does not exist."), id=connector_id)
    return connector


def create_connector(
    session: Session, connector_id, type_, title, config, *, username, now: datetime
) -> Connector:
    if not isinstance(connector_id, str) or not ID_RE.match(connector_id):
        raise ServiceError(
            "invalid_id", N_("A connector id is lowercase letters, digits and _."), field="id"
        )
    if type_ not in TYPES:
        raise ServiceError(
            "invalid_type",
            N_("type must be one of: %(types)s."),
            field="type",
            params={"types": ", ".join(TYPES)},
        )
    if session.get(Connector, connector_id) is not None:
        raise ServiceError(
            "connector_exists",
            N_("Connector %(id)s already exists."),
            status=409,
            field="id",
            params={"id": connector_id},
        )
    connector = Connector(
        id=connector_id,
        type=type_,
        title=_title(title, connector_id),
        config=validate_config(config),
        created_at=now,
        updated_at=now,
        updated_by=username,
    )
    session.add(connector)
    session.flush()
    return connector


def update_connector(
    session: Session, connector: Connector, title, config, *, username, now: datetime
) -> Connector:
    if title is not None:
        connector.title = _title(title, connector.id)
    if config is not None:
        connector.config = validate_config(config, connector.config)
    connector.updated_at, connector.updated_by = now, username
    session.flush()
    return connector


def _title(title: object, fallback: str) -> str:
    if title is None or title == "":
        return fallback
    if not isinstance(title, str) or len(title) > 200:
        raise ServiceError(
            "invalid_title", N_("The title must be text of at most 200 characters."), field="title"
        )
    return title.strip()


def public_view(connector: Connector, embedded_url: str) -> dict[str, Any]:
    config = dict(connector.config)
    if config.get("token"):
        config["token"] = SECRET_MASK
    return {
        "id": connector.id,
        "type": connector.type,
        "title": connector.title,
        "config": config,
        "url": resolved_url(connector.config, embedded_url),
        "updated_at": connector.updated_at.isoformat(),
        "updated_by": connector.updated_by,
    }


def resolved_url(config: dict[str, Any], embedded_url: str) -> str:
    if config.get("embedded"):
        return embedded_url
    if config.get("url"):
        return config["url"]
    return f"{config.get('protocol', 'http')}://{config['host']}:{config.get('port', 9529)}"


def for_sandbox(
    session: Session, ids: AbstractSet[str] | None, embedded_url: str
) -> dict[str, dict[str, Any]]:
    """Connectors a job may open, with the embedded receiver's address filled in."""
    query = select(Connector)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(Connector.id.in_(sorted(ids)))
    out = {}
    for connector in session.scalars(query):
        config = {k: v for k, v in connector.config.items() if k != "embedded"}
        config["url"] = resolved_url(connector.config, embedded_url)
        out[connector.id] = {"type": connector.type, "config": config}
    return out


def endpoints(session: Session, embedded_url: str) -> list[tuple[str, int]]:
    """Every (host, port) a connector points at: what the sandbox's network opens.

    Not those last saved by a script (DFF.CONN.save): a script could otherwise open the
    network to any address by naming it in a connector; a person saving it on the page does.
    """
    found = set()
    for connector in session.scalars(select(Connector)):
        if (connector.updated_by or "").startswith(SCRIPT_AUTHOR):
            continue
        parsed = urlsplit(resolved_url(connector.config, embedded_url))
        try:
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
        except ValueError:
            continue
        if parsed.hostname:
            found.add((parsed.hostname, port))
    return sorted(found)


def test_connection(url: str, timeout: float, token: str | None = None) -> dict[str, Any]:
    """``GET /v1/ping``: ``{ok, latency_ms, detail, version}``; ``detail`` is a ``Msg``, said
    in plain words (the page translates it)."""
    started = time.perf_counter()
    params = {"token": token} if token else None
    try:
        response = requests.get(f"{url}/v1/ping", params=params, timeout=timeout)
    except requests.exceptions.SSLError as exc:
        return _failed(started, Msg(N_("TLS error: %(kind)s"), kind=exc.__class__.__name__))
    except requests.exceptions.ConnectTimeout:
        return _failed(started, Msg(N_("timed out connecting after %(n)s s"), n=f"{timeout:g}"))
    except requests.exceptions.ReadTimeout:
        return _failed(started, Msg(N_("no answer within %(n)s s"), n=f"{timeout:g}"))
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        if (
            "Name or service not known" in text
            or "NameResolutionError" in text
            or "Temporary failure in name resolution" in text
        ):
            return _failed(started, Msg(N_("the host name could not be resolved (DNS)")))
        if "Connection refused" in text:
            return _failed(started, Msg(N_("connection refused: nothing listens on that port")))
        if "Network is unreachable" in text:
            return _failed(started, Msg(N_("the network is unreachable from here")))
        return _failed(started, Msg(N_("could not connect: %(kind)s"), kind=exc.__class__.__name__))
    latency = round((time.perf_counter() - started) * 1000, 1)
    if response.status_code != 200:
        detail = Msg(
            N_("HTTP %(status)s: %(body)s"), status=response.status_code, body=response.text[:200]
        )
        return {"ok": False, "latency_ms": latency, "version": None, "detail": detail}
    try:
        content = response.json().get("content") or {}
    except ValueError:
        detail = Msg(N_("the answer is not DataKit's ping JSON"))
        return {"ok": False, "latency_ms": latency, "version": None, "detail": detail}
    detail = Msg(
        N_("DataKit %(version)s on %(host)s"),
        version=content.get("version"),
        host=content.get("host"),
    )
    return {"ok": True, "latency_ms": latency, "version": content.get("version"), "detail": detail}


def _failed(started: float, detail: Msg) -> dict[str, Any]:
    return {
        "ok": False,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "version": None,
        "detail": detail,
    }
