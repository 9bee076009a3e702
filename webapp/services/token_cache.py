"""A short-lived memory of which API token belongs to which user, so that an API call does not
pay a database lookup for its token every time.

An entry lives ``ttl`` seconds (5 by default). Revoking a token forgets it at once in the
process that revoked it; another worker process may still accept it for up to ``ttl`` seconds.
Pure: callers pass the clock (``time.monotonic()``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

DEFAULT_TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedToken:
    expires: float
    user_values: dict[str, Any]  # the user's column values when the token was checked


class TokenCache:
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str, now: float) -> dict[str, Any] | None:
        """The user's values if the token was found valid less than ``ttl`` seconds ago."""
        entry = self._entries.get(token_hash)
        if entry is None or entry.expires <= now:
            return None
        return entry.user_values

    def put(self, token_hash: str, user_values: dict[str, Any], now: float) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v.expires > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[token_hash] = CachedToken(now + self.ttl, dict(user_values))

    def forget_all(self) -> None:
        """After a revocation (which token it was does not matter: this is cheap)."""
        with self._lock:
            self._entries.clear()
