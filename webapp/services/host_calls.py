"""What a running script asks the app for: ``DFF.STORE``, ``DFF.CACHE``, ``DFF.FUNC`` and the
other members that need the platform's data.

The sandbox cannot reach the database or Redis; the script's side of these members
(``webapp.sdk``) sends each call over the run's own pipe, the supervisor hands it to
``HostCalls`` (one per run) and writes the answer back. Everything a call may do is decided
here, from what the host knows about the run (its script, its task, its call chain), never from
what the script claims: the script only chooses the arguments. Errors the script caused come
back as ``HostCallError`` (the script sees its type and message); anything else is the host's
fault, logged by the supervisor and shown to the script as a plain failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Connector, TaskRecord
from webapp.models.types import utcnow
from webapp.runner.supervisor import HostCallError
from webapp.services import connectors as connectors_service
from webapp.services import entity_helpers, func_calls, func_store
from webapp.services.errors import ServiceError
from webapp.services.func_cache import CacheError

# Runs one run may queue (DFF.FUNC, CRON_JOB/SYNC_API/ASYNC_API.call), and runs waiting in the
# queue in all: a chain of five that each queued thousands would otherwise flood the queue.
MAX_QUEUED_PER_RUN = 200
MAX_QUEUED_IN_ALL = 10000
# STORE and CACHE scopes the platform keeps for itself (a Sync API's throttling counters).
RESERVED_SCOPE_PREFIX = "funcpad:"
# updated_by of a connector a script saved with DFF.CONN.save: it opens no network endpoint.
SCRIPT_AUTHOR = connectors_service.SCRIPT_AUTHOR


@dataclass
class HostServices:
    """What the app gives every run's host calls (built once per app)."""

    sessions: Callable[[], Session]
    cache: Any  # a func_cache back-end
    store_quota_bytes: int
    wake_queue: Callable[[], None] = lambda: None  # a DFF.FUNC run was queued
    script_config: dict[str, Any] = field(default_factory=dict)  # what DFF.CONFIG reads
    sign_secret: str = ""  # DFF.SIGN's key (derived from the app's secret, never sent out)
    default_timezone: str = "UTC"  # for cron jobs a script saves without one
    extra: dict[str, Callable[[HostCalls, dict[str, Any]], Any]] = field(default_factory=dict)


class HostCalls:
    """The answers to one run's calls; ``job`` is the job as the host built it."""

    def __init__(self, services: HostServices, job: dict[str, Any]) -> None:
        self.services = services
        self.job = job
        self.queued = 0

    def _may_queue(self, session: Session) -> None:
        """Refuse a run beyond this run's share, or when the queue is full."""
        if self.queued >= MAX_QUEUED_PER_RUN:
            raise HostCallError(
                "LimitExceeded", f"a run may queue at most {MAX_QUEUED_PER_RUN} other runs"
            )
        waiting = session.scalar(
            select(func.count()).select_from(TaskRecord).where(TaskRecord.status == "queued")
        )
        if (waiting or 0) >= MAX_QUEUED_IN_ALL:
            raise HostCallError(
                "LimitExceeded",
                f"the queue is full ({MAX_QUEUED_IN_ALL} runs waiting); try again later",
            )
        self.queued += 1

    def __call__(self, op: str, args: dict[str, Any]) -> Any:
        family, _, name = op.partition(".")
        for name_of in ("scope", "dest_scope"):
            scope = args.get(name_of)
            if isinstance(scope, str) and scope.startswith(RESERVED_SCOPE_PREFIX):
                raise HostCallError(
                    "PermissionError",
                    f"scopes starting with {RESERVED_SCOPE_PREFIX} are the platform's own",
                )
        if family == "store":
            return self.store(name, args)
        if op == "func.call":
            return self.call_func(args)
        if family == "conn":
            return self.connectors(name, args)
        if op == "config.query":
            return self.config(args)
        if op == "sign":
            return self.sign(args)
        if family == "entity":
            return self.entity(name, args)
        if family == "cache":
            try:
                return self.services.cache.call(name, args)
            except CacheError as exc:
                raise HostCallError(exc.kind, exc.message) from None
        handler = self.services.extra.get(op)
        if handler is None:
            raise HostCallError("ValueError", f"the platform has no service {op!r}")
        return handler(self, args)

    # --- DFF.FUNC ------------------------------------------------------------------------

    def call_func(self, args: dict[str, Any]) -> str:
        """Queue another published function; the new task's id (DFF.FUNC itself returns None)."""
        queue = args.get("queue")
        if queue is not None and (isinstance(queue, bool) or queue not in range(1, 16)):
            raise HostCallError("BadEntityCall", "queue must be an integer from 1 to 15")
        try:
            with self.services.sessions() as session, session.begin():
                self._may_queue(session)
                record = func_calls.enqueue(
                    session,
                    parent=self.job,
                    func_id=args.get("func_id"),
                    kwargs=args.get("kwargs"),
                    now=utcnow(),
                    queue=queue,
                )
                task_id = record.id
        except func_calls.CallRefused as exc:
            raise HostCallError(exc.kind, exc.message) from None
        self.services.wake_queue()
        return task_id

    # --- DFF.CONN.save / delete / query ------------------------------------------------

    def connectors(self, name: str, args: dict[str, Any]) -> Any:
        by = f"{SCRIPT_AUTHOR}{self.job.get('script_id')}"
        with self.services.sessions() as session, session.begin():
            if name == "query":
                wanted = args.get("connector_type")
                types = {wanted} if isinstance(wanted, str) else set(wanted or [])
                return [
                    {"id": c.id, "title": c.title, "type": c.type}
                    for c in connectors_service.list_connectors(session)
                    if not types or c.type in types
                ]
            connector_id = args.get("connector_id")
            existing = (
                session.get(Connector, connector_id) if isinstance(connector_id, str) else None
            )
            if name == "delete":
                if existing is None:
                    return None
                if not (existing.updated_by or "").startswith(SCRIPT_AUTHOR):
                    raise HostCallError(
                        "PermissionError",
                        f"connector {connector_id!r} was made on the Connectors page; a script "
                        "may delete only connectors that scripts saved",
                    )
                session.delete(existing)
                return None
            if name != "save":
                raise HostCallError("ValueError", f"CONN has no operation {name!r}")
            kind, config = args.get("connector_type"), args.get("config")
            if kind not in connectors_service.TYPES:
                raise HostCallError(
                    "ConnectorNotSupport", f"Connector type not supported: {kind!r}"
                )
            if not isinstance(config, dict):
                raise HostCallError("InvalidConnectorConfig", "config must be a dict")
            try:
                if existing is None:
                    connectors_service.create_connector(
                        session,
                        connector_id,
                        kind,
                        args.get("title"),
                        config,
                        username=by,
                        now=utcnow(),
                    )
                else:
                    existing.type = kind
                    connectors_service.update_connector(
                        session, existing, args.get("title"), config, username=by, now=utcnow()
                    )
            except ServiceError as exc:
                raise HostCallError("InvalidConnectorConfig", exc.message) from None
        return None

    # --- DFF.CRON_JOB / SYNC_API / ASYNC_API ---------------------------------------------

    def entity(self, name: str, args: dict[str, Any]) -> Any:
        kind, _, method = name.partition(".")
        if kind not in entity_helpers.KINDS:
            raise HostCallError("ValueError", f"no entity kind {kind!r}")
        now, job = utcnow(), self.job
        entity_id = args.get("entity_id")
        queued = False
        try:
            with self.services.sessions() as session, session.begin():
                if method == "get":
                    return entity_helpers.get(session, kind, entity_id, job)
                if method == "query":
                    return entity_helpers.query(
                        session, kind, args.get("fields"), args.get("filters")
                    )
                if method == "save":
                    entity_helpers.save(
                        session, kind, entity_id, args.get("data"),
                        username=f"{SCRIPT_AUTHOR}{job.get('script_id')}", now=now,
                        default_timezone=self.services.default_timezone,
                    )  # fmt: skip
                    return None
                if method == "call":
                    self._may_queue(session)
                    entity_helpers.call(session, kind, entity_id, args, job, now)
                    queued = True
                elif kind == "cronJob" and method == "set_cron_expr":
                    entity_helpers.set_cron_expr(
                        session, entity_id, args.get("cron_expr"), args.get("expires"), job, now
                    )
                    return None
                elif kind == "cronJob" and method == "get_cron_expr":
                    return entity_helpers.get_cron_expr(session, entity_id, job, now)
                elif kind == "cronJob" and method == "get_all_cron_expr":
                    return entity_helpers.all_cron_exprs(session, now)
                elif kind == "cronJob" and method == "clear_cron_expr":
                    entity_helpers.clear_cron_expr(session, entity_id, job, now)
                    return None
                elif kind == "cronJob" and method == "pause":
                    entity_helpers.pause(session, entity_id, args.get("expires"), job, now)
                    return None
                else:
                    raise HostCallError("ValueError", f"{kind} has no method {method!r}")
        except entity_helpers.EntityError as exc:
            raise HostCallError(exc.kind, exc.message) from None
        if queued:
            self.services.wake_queue()
        return None

    # --- DFF.CONFIG and DFF.SIGN --------------------------------------------------------

    def config(self, args: dict[str, Any]) -> dict[str, Any]:
        """CUSTOM_* settings (every one with all_configs); secrets masked unless unmask=True
        on a CUSTOM_ key."""
        unmask = bool(args.get("unmask"))
        out = {}
        for key, value in self.services.script_config.items():
            if not args.get("all_configs") and not key.startswith("CUSTOM_"):
                continue
            secret = any(word in key.lower() for word in ("secret", "password"))
            if secret and not (unmask and key.startswith("CUSTOM_")):
                value = "*****"
            out[key] = value
        key = args.get("key")
        return {key: out[key]} if isinstance(key, str) and key in out else out

    def sign(self, args: dict[str, Any]) -> str:
        values = args.get("values")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise HostCallError("TypeError", "SIGN takes values that can be turned into text")
        text = self.services.sign_secret + "\n" + "\n".join(values)
        return hashlib.md5(text.encode("utf-8")).hexdigest()

    # --- DFF.STORE -----------------------------------------------------------------------

    def store(self, name: str, args: dict[str, Any]) -> Any:
        now = utcnow()
        scope = args.get("scope")
        try:
            with self.services.sessions() as session, session.begin():
                if name == "set":
                    items = args.get("items")
                    if not isinstance(items, dict):
                        raise func_store.StoreError("items must be a dict")
                    func_store.set_values(
                        session,
                        scope,
                        items,
                        expires=args.get("expires"),
                        not_exists=bool(args.get("not_exists")),
                        now=now,
                        quota_bytes=self.services.store_quota_bytes,
                    )
                    return None
                if name == "get":
                    return func_store.get_values(session, scope, _names(args.get("keys")), now)
                if name == "match":
                    with_values = bool(args.get("with_values"))
                    return func_store.matching(
                        session, scope, args.get("pattern"), now, with_values
                    )
                if name == "delete":
                    func_store.delete_keys(session, scope, _names(args.get("keys")))
                    return None
                if name == "delete_pattern":
                    func_store.delete_matching(session, scope, args.get("pattern"))
                    return None
        except func_store.StoreError as exc:
            raise HostCallError("ValueError", str(exc)) from None
        raise HostCallError("ValueError", f"STORE has no operation {name!r}")


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 10000:
        raise func_store.StoreError("keys must be a list of at most 10000 strings")
    return value
