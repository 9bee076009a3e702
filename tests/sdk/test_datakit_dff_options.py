"""The DataKit helper's DataFlux Func options and query shapes, against a DataKit stand-in on
127.0.0.1: dry_run sends nothing, split_size batches, min_gzip_bytes compresses, debug prints
with the token masked, unknown options are refused, query answers in DFF's three shapes."""

import gzip
import http.server
import io
import json
import threading
from contextlib import redirect_stdout

import pytest

from webapp.sdk.datakit import DataKit

POINT = {"measurement": "m", "fields": {"v": 1}, "timestamp": 1_700_000_000}


@pytest.fixture
def agent():
    """A stand-in agent: records every request; /v1/query/raw answers with paged series."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            seen.append(
                {"path": self.path, "gzip": self.headers.get("Content-Encoding"), "body": body}
            )
            answer = b""
            if self.path.startswith("/v1/query/raw"):
                query = json.loads(body)["queries"][0]
                offset = query.get("soffset", 0)
                count = 500 if offset == 0 and "slimit" in query else 2
                series = [
                    {
                        "name": "cpu",
                        "columns": ["time", "usage"],
                        "values": [[1, offset + i]],
                        "tags": {"host": f"h{offset + i}"},
                    }
                    for i in range(count)
                ]
                answer = json.dumps({"content": [{"series": series}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_dry_run_checks_the_points_but_sends_nothing(agent):
    url, seen = agent
    helper = DataKit(url=url, dry_run=True)
    assert helper.write_metric("m", fields={"v": 1}) == (0, None)
    with pytest.raises(ValueError):
        helper.write_metric("m", fields={})  # still validated
    assert seen == []


def test_split_size_and_min_gzip_bytes(agent):
    url, seen = agent
    DataKit(url=url, split_size=2, min_gzip_bytes=True).write_metrics([POINT] * 5)
    assert [request["body"].count(b"\n") + 1 for request in seen] == [2, 2, 1]
    assert all(request["gzip"] == "gzip" for request in seen)


def test_debug_prints_requests_with_the_token_masked(agent):
    url, _ = agent
    printed = io.StringIO()
    with redirect_stdout(printed):
        DataKit(url=url, token="tkn_secret_value", debug=True).write_metric("m", fields={"v": 1})
    text = printed.getvalue()
    assert "POST" in text and "/v1/write/metric" in text and "-> 200" in text
    assert "tkn_secret_value" not in text and "*****" in text


def test_unknown_options_are_refused_as_in_dataflux_func():
    with pytest.raises(TypeError, match="wirte_size"):
        DataKit(url="http://127.0.0.1:9", wirte_size=10)


def test_query_answers_in_dataflux_funcs_shapes(agent):
    url, seen = agent
    helper = DataKit(url=url)
    status, default = helper.query("M::cpu LIMIT 2", limit=2, offset=None)
    assert status == 200 and len(default["series"]) == 2
    sent = json.loads(seen[-1]["body"])
    assert sent == {"queries": [{"query": "M::cpu LIMIT 2", "limit": 2}], "mask_visible": True}
    _, rows = helper.query("M::cpu", dict_output=True)
    assert rows["series"][0] == [{"time": 1, "usage": 0, "tags": {"host": "h0"}}]
    _, raw = helper.query("M::cpu", raw=True)
    assert "content" in raw and len(raw["content"][0]["series"]) == 2
    _, everything = helper.query("M::cpu", all_series=True)
    assert len(everything["series"]) == 502  # a full page of 500, then the last 2
    pages = [json.loads(r["body"])["queries"][0] for r in seen[-2:]]
    assert [(p["slimit"], p["soffset"]) for p in pages] == [(500, 0), (500, 500)]


def test_convert_to_ns_and_prepare_line_protocol():
    assert DataKit.convert_to_ns(1_700_000_000) == 1_700_000_000 * 10**9
    assert DataKit.convert_to_ns(1_700_000_000_123) == 1_700_000_000_123 * 10**6
    assert DataKit.convert_to_ns(1.7e18) == int(1.7e18)
    assert DataKit.convert_to_ns() > 1.7e18
    text = DataKit.prepare_line_protocol(
        [{"measurement": "cpu", "tags": {"h": "a b"}, "fields": {"u": 1}, "timestamp": 1}]
    )
    assert text == "cpu,h=a\\ b u=1i 1000000000"
