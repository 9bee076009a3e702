"""``DFF.TOOLKIT``: DataFlux Func's helper functions for scripts (ids, JSON paths, times,
hashes, base64, AES, wildcards), with its behaviour.

Times: a number above the end of 2099 in seconds is taken as milliseconds; the ``*_string``
functions format in UTC (the ``_cn`` ones in Asia/Shanghai) with arrow's tokens (YYYY MM DD HH
mm ss SSS ZZ). ``get_arrow`` needs the arrow package, which the sandbox gets with DataFlux
Func's package set; the rest needs nothing beyond Python.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import random
import re
import uuid
from typing import Any

try:
    from sdk.dff_helpers import NotAvailableHere
    from sdk.dff_store import to_json
except ImportError:
    from webapp.sdk.dff_helpers import NotAvailableHere
    from webapp.sdk.dff_store import to_json

MAX_UNIX_TIMESTAMP = 4102444799  # 2099-12-31T23:59:59Z: larger numbers are milliseconds
AES_HEADER = "AESv2:"
TRUE_WORDS = ("true", "1", "o", "y", "yes", "ok", "on")
FALSE_WORDS = ("false", "0", "x", "n", "no", "ng", "off")
RAND_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# arrow's format tokens, longest first, as strftime pieces (SSS and ZZ handled apart).
_TOKENS = [
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
]
_TOKEN_RE = re.compile(r"YYYY|YY|MM|DD|HH|mm|ss|SSS|ZZ|Z|\[[^\]]*\]")


def _datetime(d: Any = None) -> dt.datetime:
    """An aware datetime from None (now), a Unix time (s or ms), an ISO string or a datetime."""
    if d is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(d, str) and d.isdigit():
        d = int(d)
    if isinstance(d, int | float) and not isinstance(d, bool):
        seconds = d / 1000 if d > MAX_UNIX_TIMESTAMP else d
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    if isinstance(d, dt.datetime):
        return d if d.tzinfo else d.replace(tzinfo=dt.UTC)
    if isinstance(d, dt.date):
        return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
    if isinstance(d, str):
        parsed = dt.datetime.fromisoformat(d.strip().replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise TypeError(f"cannot read a time from {type(d).__name__}")


def _format(moment: dt.datetime, pattern: str) -> str:
    def piece(match: re.Match) -> str:
        token = match.group(0)
        if token.startswith("["):
            return token[1:-1]
        if token == "SSS":
            return f"{moment.microsecond // 1000:03d}"
        if token in ("ZZ", "Z"):
            offset = moment.strftime("%z")
            return f"{offset[:3]}:{offset[3:]}" if token == "ZZ" else offset
        return moment.strftime(dict(_TOKENS)[token])

    return _TOKEN_RE.sub(piece, pattern)


def _hash_input(s: Any) -> bytes:
    if isinstance(s, dict | list | tuple):
        s = json.dumps(s, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return s if isinstance(s, bytes) else str(s).encode("utf-8")


def _aes(key: str, salt: str | None):
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        raise NotAvailableHere("TOOLKIT AES needs the cryptography package") from None
    salted = f"~{key}~{salt}~" if salt else key
    secret = hashlib.md5(salted.encode("utf-8")).hexdigest().encode("ascii")
    return Cipher(algorithms.AES(secret), modes.CBC(b"\0" * 16))


class Toolkit:
    """DFF.TOOLKIT: call its functions on the class, e.g. DFF.TOOLKIT.get_md5(text)."""

    @staticmethod
    def gen_uuid() -> str:
        """A random UUID as text.

        Example:
            DFF.TOOLKIT.gen_uuid()
        """
        return str(uuid.uuid4())

    @staticmethod
    def json_find(j: Any, path: str, safe: bool = False) -> Any:
        """The value at a dotted path (a.b.c) of nested dicts; with safe, None instead of errors.

        Example:
            DFF.TOOLKIT.json_find(body, "data.items")
        """
        if j is None or not isinstance(path, str):
            if safe:
                return None
            raise ValueError("json_find() needs a dict and a dotted path")
        current, walked = j, "<TOP>"
        for step in path.split("."):
            walked += "." + step
            if not isinstance(current, dict):
                if safe:
                    return None
                raise ValueError(f"json_find() - hit non-dict at `{walked}`")
            current = current.get(step)
        return current

    @staticmethod
    def json_find_safe(j: Any, path: str) -> Any:
        """json_find that returns None instead of raising.

        Example:
            DFF.TOOLKIT.json_find_safe(body, "data.items")
        """
        return Toolkit.json_find(j, path, safe=True)

    @staticmethod
    def json_smart_find(j: Any, key: str, safe: bool = False) -> Any:
        """The first value under a key anywhere in nested dicts.

        Example:
            DFF.TOOLKIT.json_smart_find(body, "token")
        """
        if j is None or not isinstance(key, str):
            if safe:
                return None
            raise ValueError("json_smart_find() needs a dict and a key")
        if key in j:
            return j[key]
        for value in j.values():
            if isinstance(value, dict):
                found = Toolkit.json_smart_find(value, key, safe)
                if found is not None:
                    return found
        return None

    @staticmethod
    def json_override(s: dict | None, d: dict) -> dict:
        """Copy the keys of s over d, merging nested dicts; returns d.

        Example:
            DFF.TOOLKIT.json_override({"a": {"b": 1}}, config)
        """
        for key, value in (s or {}).items():
            if isinstance(value, dict) and isinstance(d.get(key), dict):
                Toolkit.json_override(value, d[key])
            else:
                d[key] = value
        return d

    @staticmethod
    def json_pick(j: dict, keys: list | None = None) -> dict:
        """A dict of only the given keys (each must exist).

        Example:
            DFF.TOOLKIT.json_pick(row, ["id", "name"])
        """
        return {k: j[k] for k in keys or []}

    @staticmethod
    def json_dumps(j: Any, **kwargs: Any) -> str:
        """JSON text of anything (NaN becomes null, other objects their repr).

        Example:
            DFF.TOOLKIT.json_dumps({"at": datetime.now()})
        """
        if kwargs:
            return json.dumps(json.loads(to_json(j)), ensure_ascii=False, **kwargs)
        return to_json(j)

    @staticmethod
    def json_loads(s: str) -> Any:
        """Python's json.loads.

        Example:
            DFF.TOOLKIT.json_loads('{"a": 1}')
        """
        return json.loads(s)

    @staticmethod
    def json_copy(j: Any) -> Any:
        """A deep copy made through JSON.

        Example:
            copy = DFF.TOOLKIT.json_copy(data)
        """
        return json.loads(to_json(j))

    @staticmethod
    def get_arrow(d: Any = None) -> Any:
        """An arrow object for a time (needs the arrow package).

        Example:
            DFF.TOOLKIT.get_arrow(1700000000).shift(hours=1)
        """
        try:
            import arrow
        except ImportError:
            raise NotAvailableHere("TOOLKIT.get_arrow needs the arrow package") from None
        return arrow.get(_datetime(d))

    @staticmethod
    def get_datetime_string(d: Any = None, f: str | None = None) -> str:
        """A time as text in UTC, YYYY-MM-DD HH:mm:ss unless f says otherwise.

        Example:
            DFF.TOOLKIT.get_datetime_string(1700000000)
        """
        return _format(_datetime(d).astimezone(dt.UTC), f or "YYYY-MM-DD HH:mm:ss")

    @staticmethod
    def get_date_string(d: Any = None, f: str | None = None) -> str:
        """The date in UTC, YYYY-MM-DD.

        Example:
            DFF.TOOLKIT.get_date_string()
        """
        return Toolkit.get_datetime_string(d, f or "YYYY-MM-DD")

    @staticmethod
    def get_time_string(d: Any = None, f: str | None = None) -> str:
        """The time of day in UTC, HH:mm:ss.

        Example:
            DFF.TOOLKIT.get_time_string()
        """
        return Toolkit.get_datetime_string(d, f or "HH:mm:ss")

    @staticmethod
    def get_datetime_string_cn(d: Any = None, f: str | None = None) -> str:
        """A time as text in Asia/Shanghai, YYYY-MM-DD HH:mm:ss.

        Example:
            DFF.TOOLKIT.get_datetime_string_cn()
        """
        from zoneinfo import ZoneInfo  # imported when used: the fork server stays lean

        moment = _datetime(d).astimezone(ZoneInfo("Asia/Shanghai"))
        return _format(moment, f or "YYYY-MM-DD HH:mm:ss")

    @staticmethod
    def to_unix_timestamp(d: Any = None) -> int:
        """A time as Unix seconds.

        Example:
            DFF.TOOLKIT.to_unix_timestamp("2024-01-01T00:00:00Z")
        """
        return int(_datetime(d).timestamp())

    @staticmethod
    def to_unix_timestamp_ms(d: Any = None) -> int:
        """A time as Unix milliseconds.

        Example:
            DFF.TOOLKIT.to_unix_timestamp_ms()
        """
        return int(_datetime(d).timestamp() * 1000)

    @staticmethod
    def to_iso_datetime(d: Any = None) -> str:
        """A time in ISO 8601 with its offset.

        Example:
            DFF.TOOLKIT.to_iso_datetime(1700000000)
        """
        return _datetime(d).isoformat()

    @staticmethod
    def to_boolean(o: Any) -> bool | None:
        """DataFlux Func's booleans: true/1/o/y/yes/ok/on, false/0/x/n/no/ng/off, else None.

        Example:
            DFF.TOOLKIT.to_boolean("yes")
        """
        if isinstance(o, bool):
            return o
        if isinstance(o, int | float):
            return o > 0
        if isinstance(o, str):
            if o.lower() in TRUE_WORDS:
                return True
            if o.lower() in FALSE_WORDS:
                return False
        return None

    @staticmethod
    def get_days_from_now(d: Any) -> float:
        """Days from now until a time (negative when it has passed).

        Example:
            DFF.TOOLKIT.get_days_from_now(cert_expiry)
        """
        return (_datetime(d) - dt.datetime.now(dt.UTC)).total_seconds() / 86400

    @staticmethod
    def get_md5(s: Any) -> str:
        """MD5 hex digest (a dict or list is hashed as sorted compact JSON).

        Example:
            DFF.TOOLKIT.get_md5("text")
        """
        return hashlib.md5(_hash_input(s)).hexdigest()

    @staticmethod
    def get_sha1(s: Any) -> str:
        """SHA-1 hex digest.

        Example:
            DFF.TOOLKIT.get_sha1("text")
        """
        return hashlib.sha1(_hash_input(s)).hexdigest()

    @staticmethod
    def get_sha256(s: Any) -> str:
        """SHA-256 hex digest.

        Example:
            DFF.TOOLKIT.get_sha256("text")
        """
        return hashlib.sha256(_hash_input(s)).hexdigest()

    @staticmethod
    def get_sha512(s: Any) -> str:
        """SHA-512 hex digest.

        Example:
            DFF.TOOLKIT.get_sha512("text")
        """
        return hashlib.sha512(_hash_input(s)).hexdigest()

    @staticmethod
    def cipher_by_aes(text: str, key: str, salt: str | None = None) -> str:
        """Encrypt text the way DataFlux Func does (AESv2: AES-CBC, key md5 of key and salt).

        Example:
            secret = DFF.TOOLKIT.cipher_by_aes("p@ss", "my-key")
        """
        data = (text or "").encode("utf-8")
        data += b" " * (16 - len(data) % 16)
        encryptor = _aes(key, salt).encryptor()
        sealed = encryptor.update(data) + encryptor.finalize()
        return AES_HEADER + binascii.b2a_base64(sealed).decode("ascii").strip()

    @staticmethod
    def decipher_by_aes(data: str, key: str, salt: str | None = None) -> str:
        """Decrypt what cipher_by_aes made.

        Example:
            DFF.TOOLKIT.decipher_by_aes(secret, "my-key")
        """
        if not data.startswith(AES_HEADER):
            raise ValueError("decipher_by_aes: the text does not start with AESv2:")
        decryptor = _aes(key, salt).decryptor()
        sealed = binascii.a2b_base64(data[len(AES_HEADER) :])
        return (decryptor.update(sealed) + decryptor.finalize()).decode("utf-8").strip()

    @staticmethod
    def get_base64(s: Any) -> str:
        """Base64 of text (UTF-8) or bytes.

        Example:
            DFF.TOOLKIT.get_base64("user:password")
        """
        return base64.b64encode(s if isinstance(s, bytes) else str(s).encode("utf-8")).decode()

    @staticmethod
    def from_base64(s: Any) -> str:
        """Text from base64.

        Example:
            DFF.TOOLKIT.from_base64("dXNlcjpwYXNzd29yZA==")
        """
        return base64.b64decode(s).decode("utf-8")

    @staticmethod
    def gen_rand_string(length: int | None = None, chars: str | None = None) -> str:
        """A random string of letters and digits (32 long unless length says otherwise).

        Example:
            DFF.TOOLKIT.gen_rand_string(8)
        """
        pool = chars or RAND_CHARS
        return "".join(random.choice(pool) for _ in range(length or 32))

    @staticmethod
    def as_array(o: Any) -> list | None:
        """A list from a list, tuple or set; [o] for one value; None stays None.

        Example:
            DFF.TOOLKIT.as_array("a")
        """
        if o is None:
            return None
        return list(o) if isinstance(o, list | tuple | set) else [o]

    @staticmethod
    def as_array_str(o: Any) -> str | None:
        """A comma-separated string from a list (a string stays as it is).

        Example:
            DFF.TOOLKIT.as_array_str(["a", "b"])
        """
        if isinstance(o, str):
            return o
        items = Toolkit.as_array(o)
        return None if items is None else ",".join(str(i) for i in items)

    @staticmethod
    def match_wildcard(value: str, pattern: str) -> bool:
        """DataFlux Func's wildcards: * is one part between dots or bars; a pattern ending in
        ** also matches what follows.

        Example:
            DFF.TOOLKIT.match_wildcard("host.web1.cpu", "host.*.cpu")
        """
        expression = (
            pattern.replace(".", "\\.")
            .replace("|", "\\|")
            .replace("**", "[^\\.\\|]+")
            .replace("*", "[^\\.\\|]+")
        )
        expression = f"^{expression}" if pattern.endswith("**") else f"^{expression}$"
        return re.match(expression, value) is not None

    @staticmethod
    def match_wildcards(value: str, patterns: Any) -> bool:
        """Whether the value matches any of the patterns.

        Example:
            DFF.TOOLKIT.match_wildcards("host.web1.cpu", ["host.*.mem", "host.*.cpu"])
        """
        if not value or not patterns:
            return False
        return any(Toolkit.match_wildcard(value, p) for p in Toolkit.as_array(patterns))
