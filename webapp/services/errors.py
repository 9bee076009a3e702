"""The one error type services raise, carrying everything an API error response needs."""

from __future__ import annotations

from typing import Any

from webapp.messages import N_, Msg

__all__ = ["N_", "Msg", "NotFound", "ServiceError"]


class ServiceError(Exception):
    """A failure the user caused and can fix.

    ``message`` is an English template with ``%(name)s`` placeholders filled from ``params``; the
    web layer translates the template before filling it in. ``extra`` goes into the JSON body as is.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        field: str | None = None,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message_template = message
        self.status = status
        self.field = field
        self.params = params or {}
        self.extra = extra or {}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.message_template % self.params if self.params else self.message_template


class NotFound(ServiceError):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("not_found", message, status=404, params=params)
