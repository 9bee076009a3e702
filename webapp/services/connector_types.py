"""Connector types: each type's fields (DataFlux Func's names), which of them are secret, the
(host, port) pairs a connector of it reaches, and the types not offered in this version.

Pure rules, no Flask: ``clean(type, raw, previous_secrets)`` → ``(config, secrets)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webapp.services.errors import N_, ServiceError

SECRET_MASK = "*****"


@dataclass(frozen=True)
class FieldSpec:
    """One setting of a connector type, named as DataFlux Func names it."""

    name: str
    kind: str = "text"  # text | int | bool | secret | choice
    default: Any = None
    required: bool = False
    aliases: tuple[str, ...] = ()  # DFF's other names for it (user|username, dbname|database)
    choices: tuple[str, ...] = ()
    placeholder: str = ""


@dataclass(frozen=True)
class ConnectorType:
    name: str
    title: str
    library: str  # what the helper speaks with, shown on the page
    fields: tuple[FieldSpec, ...] = ()
    available: bool = True
    why_not: str = ""  # a Msg text: why the type is not offered here

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind == "secret")


def _host(port: int, default_host: str = "") -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("host", default=default_host or None, required=not default_host,
                  placeholder=default_host or "db.internal"),
        FieldSpec("port", "int", default=port, placeholder=str(port)),
    )  # fmt: skip


_NO_SERVER = N_(
    "No server for this type can be installed here to test its helper against, so this "
    "version does not offer it."
)

TYPES: dict[str, ConnectorType] = {
    t.name: t
    for t in (
        # datakit keeps its own address rules (url, host/port, embedded): services.connectors.
        ConnectorType("datakit", "DataKit", "HTTP line protocol"),
        ConnectorType(
            "mysql",
            "MySQL / MariaDB",
            "PyMySQL",
            (
                *_host(3306, "127.0.0.1"),
                FieldSpec("user", aliases=("username",), required=True),
                FieldSpec("password", "secret"),
                FieldSpec("database"),
                FieldSpec("charset", default="utf8mb4"),
            ),
        ),
        ConnectorType(
            "postgresql",
            "PostgreSQL",
            "psycopg",
            (
                *_host(5432, "127.0.0.1"),
                FieldSpec("user", aliases=("username",), required=True),
                FieldSpec("password", "secret"),
                FieldSpec("database", aliases=("dbname",)),
                FieldSpec("charset", default="utf8", aliases=("encoding",)),
            ),
        ),
        ConnectorType(
            "redis",
            "Redis",
            "redis-py",
            (
                *_host(6379, "127.0.0.1"),
                FieldSpec("database", "int", default=0, aliases=("db",)),
                FieldSpec("user", aliases=("username",)),
                FieldSpec("password", "secret"),
                FieldSpec("useTLS", "bool", default=False, aliases=("useSSL",)),
            ),
        ),
        ConnectorType(
            "influxdb",
            "InfluxDB 1.x",
            "influxdb",
            (
                *_host(8086, "127.0.0.1"),
                FieldSpec("protocol", "choice", default="http", choices=("http", "https")),
                FieldSpec("user", aliases=("username",)),
                FieldSpec("password", "secret"),
                FieldSpec("database"),
            ),
        ),
        ConnectorType(
            "mqtt",
            "MQTT",
            "paho-mqtt",
            (
                *_host(1883, "127.0.0.1"),
                FieldSpec("user", aliases=("username",)),
                FieldSpec("password", "secret"),
                FieldSpec("clientId"),
                FieldSpec("transport", "choice", default="tcp", choices=("tcp", "websockets")),
                FieldSpec("keepalive", "int", default=60),
            ),
        ),
        ConnectorType(
            "clickhouse",
            "ClickHouse",
            "clickhouse-driver",
            (
                *_host(9000, "127.0.0.1"),
                FieldSpec("user", default="default", aliases=("username",)),
                FieldSpec("password", "secret"),
                FieldSpec("database", default="default"),
            ),
        ),
        ConnectorType(
            "prometheus",
            "Prometheus",
            "HTTP query API",
            (
                *_host(9090, "127.0.0.1"),
                FieldSpec("protocol", "choice", default="http", choices=("http", "https")),
                FieldSpec("user", aliases=("username",)),
                FieldSpec("password", "secret"),
            ),
        ),
        ConnectorType(
            "df_dataway",
            "DataWay",
            "HTTP line protocol",
            (
                FieldSpec("embedded", "bool", default=False),
                FieldSpec("url", placeholder="http://dataway.internal:9528"),
                FieldSpec("host", placeholder="dataway.internal"),
                FieldSpec("port", "int", default=9528, placeholder="9528"),
                FieldSpec("protocol", "choice", default="http", choices=("http", "https")),
                FieldSpec("token", "secret"),
                FieldSpec("accessKey"),
                FieldSpec("secretKey", "secret"),
                FieldSpec("timeout", "int", default=10),
                FieldSpec("splitSize", "int", default=100),
            ),
        ),
        ConnectorType(
            "memcached",
            "Memcached",
            "python-memcached",
            (
                FieldSpec(
                    "servers",
                    default="127.0.0.1:11211",
                    placeholder="10.0.0.5:11211,10.0.0.6:11211",
                ),
            ),
        ),
        *(
            ConnectorType(name, title, library, available=False, why_not=_NO_SERVER)
            for name, title, library in (
                ("mongodb", "MongoDB", "pymongo"),
                ("elasticsearch", "Elasticsearch", "HTTP"),
                ("kafka", "Kafka", "kafka-python"),
                ("nsq", "NSQ", "HTTP"),
                ("oracle", "Oracle Database", "cx-Oracle"),
                ("sqlserver", "Microsoft SQL Server", "pymssql"),
                ("aliyunSLS", "Alibaba Cloud SLS", "aliyun-log-python-sdk"),
            )
        ),
        ConnectorType(
            "guance",
            "Guance",
            "OpenAPI + DataWay",
            available=False,
            why_not=N_(
                "Its helper speaks Guance's cloud OpenAPI, which is neither reachable nor "
                "installable here to test it against; for writes use a df_dataway connector "
                "(the workspace's DataWay URL and token) or DFF.DATAWAY."
            ),
        ),
        ConnectorType(
            "dff_sidecar",
            "DataFlux Func Sidecar",
            "HTTP, HMAC-signed",
            available=False,
            why_not=N_(
                "DataFlux Func's Sidecar (a separate program that runs shell commands on the "
                "host) is not packaged for this system, so its helper cannot be tested against "
                "a real one here."
            ),
        ),
    )
}
AVAILABLE = tuple(name for name, t in TYPES.items() if t.available)


def type_of(name: object) -> ConnectorType:
    """The type, or a 400 naming ``type`` (one not offered says why)."""
    kind = TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ServiceError(
            "invalid_type",
            N_("type must be one of: %(types)s."),
            field="type",
            params={"types": ", ".join(AVAILABLE)},
        )
    if not kind.available:
        raise ServiceError(
            "type_not_available",
            N_("Connector type %(type)s is not available in this version: %(why)s"),
            field="type",
            params={"type": kind.name, "why": kind.why_not},
        )
    return kind


def _bad(name: str, message: str, **params: Any) -> ServiceError:
    return ServiceError("invalid_config", message, field=f"config.{name}", params=params)


def _value(spec: FieldSpec, raw: dict[str, Any]) -> Any:
    for key in (spec.name, *spec.aliases):
        if key in raw and raw[key] not in (None, ""):
            return raw[key]
    return None


def _coerce(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "int":
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(spec.name, N_("%(field)s must be a whole number."), field=spec.name)
        if spec.name == "port" and not 0 < value < 65536:
            raise _bad(spec.name, N_("port must be 1-65535."))
        return value
    if spec.kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "on", "1", "false", "off", "0"):
            return value.lower() in ("true", "on", "1")
        if not isinstance(value, bool):
            raise _bad(spec.name, N_("%(field)s must be true or false."), field=spec.name)
        return value
    if spec.kind == "choice" and value not in spec.choices:
        raise _bad(
            spec.name,
            N_("%(field)s must be one of: %(choices)s."),
            field=spec.name,
            choices=", ".join(spec.choices),
        )
    if not isinstance(value, str) or len(value) > 1024:
        raise _bad(spec.name, N_("%(field)s must be text."), field=spec.name)
    value = value.strip() if spec.kind != "secret" else value
    if spec.name == "host" and (not value or any(c in value for c in "/ @")):
        raise _bad(spec.name, N_("host must be a host name or an address."))
    if spec.name == "servers" and not servers_of(value):
        raise _bad(spec.name, N_("servers must be host:port pairs separated by commas."))
    return value


def servers_of(text: str) -> list[tuple[str, int]]:
    """``"h1:11211,h2:11212"`` as pairs; [] when any part is not host:port."""
    pairs = []
    for part in text.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or any(c in host for c in "/ @") or not port.isdigit():
            return []
        if not 0 < int(port) < 65536:
            return []
        pairs.append((host, int(port)))
    return pairs


def clean(
    kind: ConnectorType, raw: object, previous_secrets: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config, secrets)`` for a type with field specs. A secret sent as ``*****`` keeps the
    stored one; an empty secret clears it."""
    if not isinstance(raw, dict):
        raise ServiceError("invalid_config", N_("config must be an object."), field="config")
    config: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for spec in kind.fields:
        value = _value(spec, raw)
        if spec.kind == "secret":
            if value == SECRET_MASK:
                if previous_secrets and previous_secrets.get(spec.name):
                    secrets[spec.name] = previous_secrets[spec.name]
            elif value is not None:
                secrets[spec.name] = _coerce(spec, value)
            continue
        if value is None:
            if spec.required:
                raise _bad(spec.name, N_("%(field)s is required."), field=spec.name)
            if spec.default is not None:
                config[spec.name] = spec.default
            continue
        config[spec.name] = _coerce(spec, value)
    return config, secrets


def url_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the scheme's port when it names none."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


def endpoints_of(kind: ConnectorType, config: dict[str, Any]) -> list[tuple[str, int]]:
    """The (host, port) pairs a connector of a field-spec type connects to (an embedded one
    reaches the receiver, which the caller adds)."""
    if isinstance(config.get("servers"), str):
        return servers_of(config["servers"])
    if config.get("embedded"):
        return []
    if isinstance(config.get("url"), str) and config["url"]:
        found = url_endpoint(config["url"])
        return [found] if found else []
    host, port = config.get("host"), config.get("port")
    if isinstance(host, str) and host and isinstance(port, int):
        return [(host, port)]
    return []
