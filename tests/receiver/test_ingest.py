"""The write rules as pure functions: size limits, host tag, and the metric fast path agreeing
with the general rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.receiver.ingest import (
    MAX_FIELDS,
    MAX_TAG_VALUE_BYTES,
    MAX_TAGS,
    IngestError,
    Params,
    _apply_limits,
    apply_category_rules,
    ingest,
)
from webapp.sdk import lineprotocol

NOW = 1_700_000_000 * 10**9


def run(body: str, category: str = "metric", **params):
    return ingest(category, body.encode(), "text/plain", None, Params(**params), NOW, "box")


@pytest.mark.parametrize("category", ["metric", "logging"])
def test_a_long_tag_value_is_trimmed_with_a_warning_strict_or_not(category):
    body = f"m,t={'é' * 1000} v=1 1700000000"
    for strict in (False, True):  # DataKit trims; strict refuses fix-ups only
        result = run(body, category, strict=strict)
        (point,) = result.points
        assert len(point["tags"]["t"].encode()) <= MAX_TAG_VALUE_BYTES
        assert point["tags"]["t"] == "é" * (MAX_TAG_VALUE_BYTES // 2)
        assert any("'t'" in warning for warning in result.warnings)


def test_too_many_tags_and_fields_are_cut_to_the_limits():
    tags = ",".join(f"t{i}=x" for i in range(MAX_TAGS + 10))
    fields = ",".join(f"f{i}=1" for i in range(MAX_FIELDS + 10))
    (point,) = run(f"m,{tags} {fields} 1700000000", ignore_global_host_tags=True).points
    assert len(point["tags"]) == MAX_TAGS
    assert len(point["fields"]) == MAX_FIELDS


def test_a_long_measurement_is_trimmed():
    (point,) = run(f"{'m' * 2000} v=1 1700000000").points
    assert point["measurement"] == "m" * 1024


def test_the_host_tag_is_added_unless_present_or_turned_off():
    assert run("m v=1").points[0]["tags"] == {"host": "box"}
    assert run("m,host=mine v=1").points[0]["tags"] == {"host": "mine"}
    assert run("m v=1", ignore_global_host_tags=True).points[0]["tags"] == {}


def test_a_metric_with_only_string_fields_is_refused():
    with pytest.raises(IngestError, match="no numeric field"):
        run('m s="x" 1700000000')


HEADS = st.sampled_from(["m", "m,a=1", "m,a=1,b=2", "m,host=h", "x" * 300, "m,t=" + "y" * 300])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(HEADS, st.integers(1, 3)), min_size=1, max_size=6),
    st.booleans(),
    st.booleans(),
)
def test_the_metric_fast_path_applies_exactly_the_general_rules(lines, strict, no_host):
    """Bodies without quotes take a fused loop; its points, warnings and refusals must be those
    of the per-point rules every other body goes through."""
    body = "\n".join(
        f"{head} {','.join(f'f{i}={i}' for i in range(n))} 1700000000" for head, n in lines
    )
    params = {"strict": strict, "ignore_global_host_tags": no_host}
    try:
        fast = run(body, **params)
        fast_outcome = (fast.points, fast.warnings)
    except IngestError as exc:
        fast_outcome = ("refused", exc.message)
    expected_points, _errors = lineprotocol.parse(body, now_ns=NOW)
    warnings: list[str] = []
    try:
        for point in expected_points:
            _apply_limits(point, warnings, strict)
            apply_category_rules("metric", point, warnings, strict)
            if not no_host and "host" not in point["tags"]:
                point["tags"]["host"] = "box"
        expected = (expected_points, warnings)
    except IngestError as exc:
        expected = ("refused", exc.message)
    assert fast_outcome == expected
