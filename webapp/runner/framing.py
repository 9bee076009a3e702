"""Length-prefixed JSON frames, the wire format between the app, fork servers and children."""

from __future__ import annotations

import json
import struct
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
# A printed line costs its UTF-8 bytes plus this much of the run's log budget: what the stored
# log and the live stream spend per line besides the text (time, separators, JSON).
LOG_LINE_COST = 48
MAX_LOG_LINE = 16 * 1024  # characters; longer lines are sent in pieces of this size


class FrameTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def log_cost(message: str) -> int:
    return len(message.encode("utf-8", "replace")) + LOG_LINE_COST


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


class FrameReader:
    """Feed bytes in, get complete messages out (partial frames wait for more bytes)."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buffer = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Complete messages so far; FrameTooLarge as soon as a header announces too much."""
        self._buffer += data
        messages = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > self.max_frame:
                raise FrameTooLarge(size, self.max_frame)
            if len(self._buffer) < HEADER.size + size:
                break
            body = bytes(self._buffer[HEADER.size : HEADER.size + size])
            del self._buffer[: HEADER.size + size]
            messages.append(json.loads(body))
        return messages


def read_exact(stream, size: int) -> bytes | None:
    """Read exactly ``size`` bytes from a binary stream; None at end of file."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = stream.read(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def read_frame(stream) -> dict[str, Any] | None:
    header = read_exact(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes exceeds the limit")
    body = read_exact(stream, size)
    return None if body is None else json.loads(body)
