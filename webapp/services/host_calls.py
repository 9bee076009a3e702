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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from webapp.models.types import utcnow
from webapp.runner.supervisor import HostCallError
from webapp.services import func_store
from webapp.services.func_cache import CacheError


@dataclass
class HostServices:
    """What the app gives every run's host calls (built once per app)."""

    sessions: Callable[[], Session]
    cache: Any  # a func_cache back-end
    store_quota_bytes: int
    extra: dict[str, Callable[[HostCalls, dict[str, Any]], Any]] = field(default_factory=dict)


class HostCalls:
    """The answers to one run's calls; ``job`` is the job as the host built it."""

    def __init__(self, services: HostServices, job: dict[str, Any]) -> None:
        self.services = services
        self.job = job

    def __call__(self, op: str, args: dict[str, Any]) -> Any:
        family, _, name = op.partition(".")
        if family == "store":
            return self.store(name, args)
        if family == "cache":
            try:
                return self.services.cache.call(name, args)
            except CacheError as exc:
                raise HostCallError(exc.kind, exc.message) from None
        handler = self.services.extra.get(op)
        if handler is None:
            raise HostCallError("ValueError", f"the platform has no service {op!r}")
        return handler(self, args)

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
