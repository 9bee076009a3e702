"""Interop with a real line-protocol server from Debian (victoria-metrics), on 127.0.0.1:
what the DataKit helper encodes is accepted and reads back with the same numbers, timestamps
(at VictoriaMetrics' millisecond resolution) and tags."""

import json
import random
import shutil
import subprocess
import time

import pytest
import requests

from tests.conftest import free_port
from webapp.sdk.datakit import DataKit


@pytest.fixture(scope="module")
def victoria_metrics(tmp_path_factory):
    binary = shutil.which("victoria-metrics")
    assert binary, "victoria-metrics is installed by scripts/setup.sh --test"
    port = free_port()
    data = tmp_path_factory.mktemp("vm")
    process = subprocess.Popen(
        [
            binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={data}",
            "-retentionPeriod=100y",
            "-loggerLevel=ERROR",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/health", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (
            "victoria-metrics did not start"
        )
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)


def export(base: str, name_regex: str) -> list[dict]:
    requests.get(f"{base}/internal/force_flush", timeout=10).raise_for_status()
    response = requests.get(
        f"{base}/api/v1/export", params={"match[]": f'{{__name__=~"{name_regex}"}}'}, timeout=10
    )
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_points_read_back_identically(victoria_metrics):
    rng = random.Random(7)
    tag_values = [
        "plain",
        "with space",
        "comma,inside",
        "equals=inside",
        "中文 标签",
        "a\\b",
        'quote"d',
    ]
    base_seconds = 1_700_000_000
    points = []
    for i in range(200):
        points.append(
            {
                "measurement": "interop_check",
                "tags": {"region": tag_values[i % len(tag_values)], "idx": str(i)},
                # VictoriaMetrics keeps 12 significant decimal digits of every value; stay within
                # that so equality tests our encoding, not its storage precision.
                "fields": {
                    "f": round(rng.uniform(-1e6, 1e6), 5),
                    "i": rng.randint(-(10**11), 10**11),
                    "b": bool(i % 2),
                    "s": "strings are not stored by VictoriaMetrics",
                },
                # Seconds with a millisecond fraction, as floats: the fraction must survive.
                "timestamp": base_seconds + i + rng.randint(0, 999) / 1000,
            }
        )
    dk = DataKit(url=victoria_metrics, batch_size=64, gzip_threshold=512)
    status, _ = dk.post_line_protocol("/write", points)
    assert status in (200, 204)

    exported = export(victoria_metrics, "interop_check_.*")
    got = {}
    for series in exported:
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        for value, stamp in zip(series["values"], series["timestamps"], strict=True):
            got[(name, labels["idx"])] = (value, stamp, labels)
    for i, point in enumerate(points):
        expected_ms = round(point["timestamp"] * 1000)
        for field, expected in (
            ("f", point["fields"]["f"]),
            ("i", point["fields"]["i"]),
            ("b", 1.0 if point["fields"]["b"] else 0.0),
        ):
            value, stamp, labels = got[(f"interop_check_{field}", str(i))]
            assert value == expected, (field, i)
            assert stamp == expected_ms, (field, i)
            assert labels == {"region": point["tags"]["region"], "idx": str(i)}
