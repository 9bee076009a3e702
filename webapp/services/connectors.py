"""Connectors: validated configs, the view the browser gets (secrets never), what a job gets.

A connector's secret fields (its type's ``password``, ``token``, ``secretKey``...) live in
``Connector.secrets``, encrypted at rest; the browser sees ``*****`` for a set one.
"""

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
from webapp.models.types import UNREADABLE
from webapp.services import connector_types
from webapp.services.connector_types import SECRET_MASK
from webapp.services.errors import N_, Msg, NotFound, ServiceError

ID_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
TYPES = connector_types.AVAILABLE
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


def clean_config(
    type_: str, raw: object, previous_secrets: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config, secrets)`` of a connector of ``type_``, checked (400 naming the field)."""
    kind = connector_types.type_of(type_)
    previous = {} if not previous_secrets or previous_secrets.get(UNREADABLE) else previous_secrets
    if kind.name == "datakit":
        config = validate_config(raw, previous)
        token = config.pop("token", None)
        return config, ({"token": token} if token else {})
    config, secrets = connector_types.clean(kind, raw, previous)
    if kind.name == "df_dataway":
        _check_dataway_address(config)
    return config, secrets


def _check_dataway_address(config: dict[str, Any]) -> None:
    """A DataWay is the embedded receiver, a url (a ``?token=`` in it moves to the token), or
    a host with port and protocol."""
    if config.get("embedded"):
        for key in ("url", "host"):
            config.pop(key, None)
        return
    if config.get("url"):
        parts = urlsplit(config["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad("config.url", N_("url must look like http://host:9528."))
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise _bad("config.url", N_("url has an invalid port.")) from None
        config.pop("host", None)
        return
    if not config.get("host"):
        raise _bad("config.host", N_("Give a url, or a host with port and protocol."))


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
    config, secrets = clean_config(type_, config)
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
        config=config,
        secrets=secrets,
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
        connector.config, connector.secrets = clean_config(
            connector.type, config, secrets_of(connector)
        )
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


def secrets_of(connector: Connector) -> dict[str, Any]:
    """The connector's secrets, decrypted ({"$unreadable": True} when this instance's key cannot
    read them); a token stored in the config before secrets were kept apart counts too."""
    found = dict(connector.secrets or {})
    if connector.config.get("token") and "token" not in found:
        found["token"] = connector.config["token"]
    return found


def public_view(connector: Connector, embedded_url: str) -> dict[str, Any]:
    """What the browser and the API get: the config, and ``*****`` for each secret that is set."""
    config = {k: v for k, v in connector.config.items() if k != "token"}
    secrets = secrets_of(connector)
    unreadable = bool(secrets.pop(UNREADABLE, False))
    config.update({name: SECRET_MASK for name, value in secrets.items() if value})
    return {
        "id": connector.id,
        "type": connector.type,
        "title": connector.title,
        "config": config,
        "secrets_unreadable": unreadable,
        "url": address_of(connector, embedded_url),
        "updated_at": connector.updated_at.isoformat(),
        "updated_by": connector.updated_by,
    }


def address_of(connector: Connector, embedded_url: str) -> str:
    """The address shown for a connector: a URL for HTTP types, host:port for the others."""
    if connector.type == "datakit":
        return resolved_url(connector.config, embedded_url)
    if connector.type == "df_dataway":
        return resolved_url({"port": 9528, **connector.config}, embedded_url)
    kind = connector_types.TYPES.get(connector.type)
    pairs = connector_types.endpoints_of(kind, connector.config) if kind else []
    return ", ".join(f"{host}:{port}" for host, port in pairs)


def resolved_url(config: dict[str, Any], embedded_url: str) -> str:
    if config.get("embedded"):
        return embedded_url
    if config.get("url"):
        return config["url"]
    return f"{config.get('protocol', 'http')}://{config.get('host')}:{config.get('port', 9529)}"


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
        # One whose secrets this key cannot read is left out: DFF.CONN says it is not found.
        out.update(for_sandbox_one(connector, embedded_url))
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
        if connector.type != "datakit" and not connector.config.get("embedded"):
            kind = connector_types.TYPES.get(connector.type)
            if kind is not None and kind.available:
                found.update(connector_types.endpoints_of(kind, connector.config))
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


# --- the Test button of a non-DataKit connector: its helper's check() in the sandbox --------

CHECK_TIMEOUT = 20.0  # seconds: connect timeouts are 10 s, plus the sandbox's start


def check_job(connector: Connector, embedded_url: str) -> dict[str, Any]:
    """A sandbox job that opens the connector as a script would (same network policy, same
    packages) and calls its helper's ``check()``."""
    return {
        "mode": "check",
        "code": "",
        "script_id": "connector-test",
        "connector_id": connector.id,
        "connectors": for_sandbox_one(connector, embedded_url),
        "timeout": CHECK_TIMEOUT,
        "context": {"origin": "manual"},
    }


def for_sandbox_one(connector: Connector, embedded_url: str) -> dict[str, dict[str, Any]]:
    """``{id: {type, config (secrets merged in), secrets (their names)}}``; ``{}`` when this
    instance's key cannot read its secrets."""
    secrets = secrets_of(connector)
    if secrets.pop(UNREADABLE, False):
        return {}
    config = {k: v for k, v in connector.config.items() if k != "embedded"}
    config.update(secrets)
    if connector.type == "datakit" or (
        connector.type == "df_dataway" and connector.config.get("embedded")
    ):
        config["url"] = resolved_url(connector.config, embedded_url)
    return {connector.id: {"type": connector.type, "config": config, "secrets": sorted(secrets)}}


# What a driver's message says, in plain words (the first match wins).
_FAILURES = (
    (("Name or service not known", "Temporary failure in name resolution",
      "nodename nor servname", "getaddrinfo failed", "Error -2 connecting",
      "Error -3 connecting", "could not translate host name"),
     N_("the host name could not be resolved (DNS)")),
    (("Network is unreachable", "No route to host", "Errno 101", "Errno 113"),
     N_("the network is unreachable from the sandbox (is the address allowed?)")),
    (("Connection refused", "Errno 111", "(111)", "Error 111"),
     N_("connection refused: nothing listens on that port")),
    (("to database", "Unknown database", "does not exist", "Code: 81."),
     N_("the database does not exist, or this user may not use it")),
    # Through the sandbox's port forwarding a closed port is a connection closed at once.
    (("Lost connection to MySQL server", "Connection reset", "closed the connection",
      "Connection closed by server", "Errno 104"),
     N_("the connection was closed at once: nothing may listen on that port, or it is not "
        "this kind of server")),
    (("Access denied", "password authentication failed", "WRONGPASS", "NOAUTH",
      "invalid username-password", "Authentication required", "AUTH failed",
      "authentication failed", "Authentication failed", "authorization failed",
      "Wrong password", "Unknown user", "(401, 'Unauthorized"),
     N_("the server refused the user name or password")),
    (("timed out", "Timeout", "timeout"),
     N_("no answer in time")),
)  # fmt: skip


def check_outcome(outcome: dict[str, Any], latency_ms: float) -> dict[str, Any]:
    """``{ok, latency_ms, version, detail}`` from the check job's result; ``detail`` a Msg."""
    if outcome.get("status") == "success":
        version = (outcome.get("return_value") or {}).get("version")
        return {
            "ok": True,
            "latency_ms": latency_ms,
            "version": version,
            "detail": Msg(N_("connected: %(version)s"), version=version or "?"),
        }
    error = outcome.get("error") or {}
    kind, message = str(error.get("type") or ""), str(error.get("message") or "")
    if kind == "ConnectorNotFound":
        detail = Msg(
            N_("its stored secrets cannot be read with this instance's key: enter them again")
        )
    else:
        said = next(
            (reason for needles, reason in _FAILURES if any(n in message for n in needles)),
            None,
        )
        text = f"{kind}: {message}"[:300]
        detail = (
            Msg(N_("%(reason)s (%(error)s)"), reason=Msg(said), error=text)
            if said
            else Msg(N_("failed: %(error)s"), error=text)
        )
    return {"ok": False, "latency_ms": latency_ms, "version": None, "detail": detail}
