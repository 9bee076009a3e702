"""Messages that cross the broker, sealed: encrypted and authenticated with a key only the
platform's processes hold.

A run's job carries its connectors' secrets and environment variables, and whoever reaches
Redis could otherwise read them, or push a message that makes a worker run code it never was
asked to. Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp) does both; the key is derived
from the instance's secret key, so every process that shares the data directory (or
``FUNCPAD_SECRET_KEY``) shares it, and nothing new has to be distributed.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A sealed message older than this is refused (a replayed one is refused by the record's
# claim anyway: a run is claimed once).
MAX_AGE_SECONDS = 24 * 3600


class Unsealed(ValueError):
    """The message was not sealed with this platform's key, was changed, or is too old."""


class Sealer:
    def __init__(self, secret_key: str, purpose: bytes = b"funcpad broker messages") -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, message: Any) -> str:
        return self._fernet.encrypt(orjson.dumps(message)).decode("ascii")

    def open(self, token: object, max_age: int = MAX_AGE_SECONDS) -> Any:
        """The message inside ``token``; ``Unsealed`` for anything else."""
        if not isinstance(token, str | bytes):
            raise Unsealed("not a sealed message")
        try:
            return orjson.loads(self._fernet.decrypt(token, ttl=max_age))
        except (InvalidToken, orjson.JSONDecodeError, TypeError, ValueError):
            raise Unsealed("the message is not sealed with this platform's key") from None
