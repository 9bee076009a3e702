"""Cron expressions as our users know them, as pure functions of an explicit ``after`` time.

- 5 fields (minute hour day-of-month month day-of-week), or 6 with **seconds first**, or an
  alias (``@hourly``, ``@daily``, ``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``,
  ``@annually``); month and weekday names (``jan``, ``mon``); ``7`` is Sunday too.
- When both day-of-month and day-of-week are restricted, a day matching *either* runs.
- Times are computed in the job's timezone on the wall clock, then returned in UTC:
  a time skipped by a spring-forward change runs once, right after the gap; a time repeated by a
  fall-back change runs once (the first time), unless the hour field is a wildcard, in which case
  the repeated hour runs too (an "every 15 minutes" job keeps its pace).

Errors are ``CronError`` naming the field at fault and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
FIELDS_5 = ("minute", "hour", "day_of_month", "month", "day_of_week")
FIELDS_6 = ("second", *FIELDS_5)
RANGES = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_month": (1, 31),
    "month": (1, 12),
    "day_of_week": (0, 7),
}
NAMES = {
    "month": {
        m: i
        for i, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
        )
    },
    "day_of_week": {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
}
DAYS_IN_MONTH = {
    1: 31,
    2: 29,
    3: 31,
    4: 30,
    5: 31,
    6: 30,
    7: 31,
    8: 31,
    9: 30,
    10: 31,
    11: 30,
    12: 31,
}
_ITEM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")
# Wall-clock changes are at most a few hours; candidates this far apart cannot reorder.
_DST_WINDOW = timedelta(hours=3)


def N_(message: str) -> str:
    """Mark a message for translation (the web layer translates; this module has no locale)."""
    return message


# How each part of an expression is called in messages (translated where they are shown).
FIELD_LABELS = {
    "second": N_("second"),
    "minute": N_("minute"),
    "hour": N_("hour"),
    "day_of_month": N_("day of month"),
    "month": N_("month"),
    "day_of_week": N_("day of week"),
    "expression": N_("expression"),
    "timezone": N_("timezone"),
}


class CronError(ValueError):
    """A bad expression or timezone: ``field`` is the part at fault, ``template`` an English
    message with ``%(name)s`` placeholders filled from ``params`` (``message`` is the result)."""

    def __init__(self, field: str, template: str, **params: object) -> None:
        self.field = field
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(f"{field}: {self.message}")


def _transition_near(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the zone changes its UTC offset within the window around ``moment``."""
    before = (moment - _DST_WINDOW).astimezone(zone).utcoffset()
    after = (moment + _DST_WINDOW).astimezone(zone).utcoffset()
    return before != after


def _value(field: str, text: str) -> int:
    names = NAMES.get(field, {})
    if text in names:
        return names[text]
    if not (text.isascii() and text.isdigit()):
        if names:
            raise CronError(
                field,
                N_("%(value)s is not a number or a name (%(names)s)"),
                value=repr(text[:20]),
                names=", ".join(names),
            )
        raise CronError(field, N_("%(value)s is not a number"), value=repr(text[:20]))
    low, high = RANGES[field]
    if len(text) > 6:  # far outside every range; int() of thousands of digits even fails
        raise CronError(
            field,
            N_("%(value)s is outside %(low)s-%(high)s"),
            value=text[:20] + "…",
            low=low,
            high=high,
        )
    number = int(text)
    if not low <= number <= high:
        raise CronError(
            field, N_("%(value)s is outside %(low)s-%(high)s"), value=number, low=low, high=high
        )
    return number


def _parse_field(field: str, text: str) -> set[int]:
    """The values a field allows (used for validation and the never-runs check)."""
    low, high = RANGES[field]
    allowed: set[int] = set()
    for item in text.lower().split(","):
        match = _ITEM.match(item)
        if not match:
            raise CronError(
                field,
                N_("%(value)s is not valid (use *, 5, 1-5, */15, 1-30/5 or a list)"),
                value=repr(item[:40]),
            )
        base, step_text = match.groups()
        if step_text and len(step_text) > 6:
            raise CronError(
                field,
                N_("a step of %(value)s is larger than the field"),
                value=step_text[:20] + "…",
            )
        step = int(step_text) if step_text else 1
        if step == 0:
            raise CronError(field, N_("a step of 0 never advances"))
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = _value(field, first), _value(field, last)
            if start > end:
                raise CronError(field, N_("the range %(value)s runs backwards"), value=base)
        else:
            start = _value(field, base)
            end = high if step_text else start
        allowed.update(range(start, end + 1, step))
    if field == "day_of_week" and 7 in allowed:
        allowed.add(0)
    return allowed


@dataclass(frozen=True)
class CronExpr:
    text: str
    fields: tuple[str, ...]  # normalised, seconds first when present

    @property
    def has_seconds(self) -> bool:
        return len(self.fields) == 6

    @property
    def hour_is_wildcard(self) -> bool:
        return self.fields[-4].startswith("*")

    def _croniter_text(self) -> str:
        # croniter wants seconds as the last of six fields; our users write them first.
        if self.has_seconds:
            return " ".join((*self.fields[1:], self.fields[0]))
        return " ".join(self.fields)

    def next_after(self, after: datetime, timezone: str) -> datetime:
        """The first run strictly after ``after`` (aware), as an aware UTC datetime."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")
        return next(self.iter_after(after, timezone))

    def iter_after(self, after: datetime, timezone: str):
        """Runs strictly after ``after``, in order, as aware UTC datetimes (endless)."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")
        zone = ZoneInfo(timezone)
        current = after
        while True:
            if _transition_near(current, zone):
                # Near a clock change wall times can map out of order: search a window.
                current = self._next_near_transition(current, zone)
                yield current
                continue
            # No clock change near: wall-clock order is time order, one iterator suffices.
            local = current.astimezone(zone).replace(tzinfo=None)
            iterator = croniter(self._croniter_text(), local)
            while True:
                wall = iterator.get_next(datetime)
                instants = [i for i in self._instants(wall, zone) if i > current]
                if not instants:
                    continue
                candidate = min(instants)
                if _transition_near(candidate, zone):
                    # Next to a clock change: take the careful path from where we are.
                    current = self._next_near_transition(current, zone)
                    yield current
                    break
                current = candidate
                yield candidate

    def _next_near_transition(self, after: datetime, zone: ZoneInfo) -> datetime:
        local = after.astimezone(zone).replace(tzinfo=None)
        iterator = croniter(self._croniter_text(), local - _DST_WINDOW)
        best: datetime | None = None
        best_wall: datetime | None = None
        for _ in range(1_000_000):
            wall = iterator.get_next(datetime)
            if best_wall is not None and wall > best_wall + _DST_WINDOW:
                break
            for instant in self._instants(wall, zone):
                if instant > after and (best is None or instant < best):
                    best = instant
                    best_wall = best_wall or wall
        if best is None:
            raise CronError("expression", N_("no run time found"))
        return best

    def _instants(self, wall: datetime, zone: ZoneInfo) -> list[datetime]:
        first = wall.replace(tzinfo=zone, fold=0)
        second = wall.replace(tzinfo=zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return [first.astimezone(UTC)]
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            # In a spring-forward gap: fold=0 maps it just past the gap. Run once, then.
            return [first.astimezone(UTC)]
        # Repeated by a fall-back change.
        if self.hour_is_wildcard:
            return [first.astimezone(UTC), second.astimezone(UTC)]
        return [first.astimezone(UTC)]

    def next_runs(self, after: datetime, timezone: str, count: int = 5) -> list[datetime]:
        runs = self.iter_after(after, timezone)
        return [next(runs) for _ in range(count)]

    def describe(self, locale: str = "en") -> str:
        from cron_descriptor import ExpressionDescriptor, Options

        options = Options()
        options.use_24hour_time_format = True
        options.locale_code = "zh_CN" if locale.startswith("zh") else "en_US"
        try:
            return ExpressionDescriptor(" ".join(self.fields), options).get_description()
        except Exception:  # the description is a courtesy; the expression itself is valid
            return self.text


def parse(text: object) -> CronExpr:
    """Validate and normalise ``text``; ``CronError`` names the field at fault."""
    if not isinstance(text, str) or not text.strip():
        raise CronError("expression", N_("give 5 fields (or 6 with seconds first) or an alias"))
    original = text.strip()
    expanded = ALIASES.get(original.lower(), original)
    if expanded.startswith("@"):
        raise CronError(
            "expression",
            N_("unknown alias %(value)s (%(names)s)"),
            value=repr(original[:40]),
            names=", ".join(ALIASES),
        )
    parts = expanded.split()
    if len(parts) not in (5, 6):
        raise CronError(
            "expression", N_("%(count)s fields; use 5, or 6 with seconds first"), count=len(parts)
        )
    names = FIELDS_6 if len(parts) == 6 else FIELDS_5
    allowed = {name: _parse_field(name, part) for name, part in zip(names, parts, strict=True)}
    dom_restricted = not parts[-3].startswith("*")
    dow_restricted = not parts[-1].startswith("*")
    if (
        dom_restricted
        and not dow_restricted
        and not any(
            day <= DAYS_IN_MONTH[month]
            for month in allowed["month"]
            for day in allowed["day_of_month"]
        )
    ):
        raise CronError(
            "day_of_month", N_("no month in the expression has that day: it never runs")
        )
    return CronExpr(original, tuple(p.lower() for p in parts))


MAX_TIMEZONE_NAME = 64  # the longest IANA name is 32 characters


def check_timezone(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise CronError("timezone", N_("give an IANA timezone name, like Asia/Shanghai"))
    if len(name) > MAX_TIMEZONE_NAME:
        raise CronError(
            "timezone", N_("%(value)s is not an IANA timezone name"), value=repr(name[:40]) + "…"
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise CronError(
            "timezone", N_("%(value)s is not an IANA timezone name"), value=repr(name)
        ) from None
    return name
