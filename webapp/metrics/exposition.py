"""Prometheus' text format (version 0.0.4), from plain samples: no Flask, no database."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Family:
    """One metric: its name, type (counter, gauge, histogram), help and samples. A sample is
    (suffix, labels, value): suffix "" for counters and gauges, "_bucket"/"_sum"/"_count" for
    histograms."""

    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: object) -> Family:
        self.samples.append((suffix, {k: str(v) for k, v in labels.items()}, float(value)))
        return self


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sorted(labels.items()))
            label_part = "{" + text + "}" if text else ""
            lines.append(f"{family.name}{suffix}{label_part} {_number(value)}")
    return "\n".join(lines) + "\n"


def le(bound: float) -> str:
    """A histogram bucket's ``le`` label."""
    return "+Inf" if math.isinf(bound) else _number(bound)
