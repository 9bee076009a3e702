"""Prometheus' text format, as Prometheus' own parser reads it."""

import math

from prometheus_client.parser import text_string_to_metric_families

from webapp.metrics.collect import quantile
from webapp.metrics.exposition import Family, render


def test_what_we_render_is_what_prometheus_parses():
    runs = Family("funcpad_runs_total", "counter", "Runs.\nAll of them.")
    runs.add(3, origin="api", status="success")
    runs.add(1, origin='we"ird\\', status="fail\nure")
    histogram = Family("funcpad_run_duration_seconds", "histogram", "How long.")
    for bound, count in (("0.1", 2), ("1", 3), ("+Inf", 4)):
        histogram.add(count, "_bucket", le=bound)
    histogram.add(2.5, "_sum").add(4, "_count")
    gauge = Family("funcpad_queue_depth", "gauge", "Waiting.").add(0.25, queue=1)
    parsed = {f.name: f for f in text_string_to_metric_families(render([runs, histogram, gauge]))}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for s in parsed["funcpad_runs"].samples
    }
    assert samples[("funcpad_runs_total", (("origin", "api"), ("status", "success")))] == 3
    assert samples[("funcpad_runs_total", (("origin", 'we"ird\\'), ("status", "fail\nure")))] == 1
    assert parsed["funcpad_runs"].documentation == "Runs.\nAll of them."
    buckets = [
        s for s in parsed["funcpad_run_duration_seconds"].samples if s.name.endswith("_bucket")
    ]
    assert [(s.labels["le"], s.value) for s in buckets] == [("0.1", 2), ("1", 3), ("+Inf", 4)]
    assert parsed["funcpad_queue_depth"].samples[0].value == 0.25


def test_quantiles_from_buckets_interpolate_as_prometheus_does():
    buckets = [(0.1, 50.0), (1.0, 90.0), (math.inf, 100.0)]
    assert quantile(buckets, 0.5) == 0.1
    assert abs(quantile(buckets, 0.7) - 0.55) < 1e-9
    assert quantile(buckets, 0.99) == 1.0  # inside +Inf: the largest finite bound
    assert quantile([], 0.5) is None and quantile([(1.0, 0.0), (math.inf, 0.0)], 0.5) is None
