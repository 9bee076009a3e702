"""DFF.DATAWAY against a real HTTP server on 127.0.0.1: the token on every request (also from
the url), DataFlux Func's DWAY signature, no ?input=, gzip past 20,480 bytes, query needs a
token, and the class reachable as DFF.DATAWAY in the sandbox."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.runner.conftest import job
from tests.runner.conftest import pool as pool  # the fixture
from webapp.sdk.dataway import DataWay


@pytest.fixture
def server():
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            parts = urlsplit(self.path)
            seen.append({"path": parts.path, "query": parse_qs(parts.query),
                         "headers": dict(self.headers), "body": body})  # fmt: skip
            answer = json.dumps({"content": [{"series": []}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", seen
    httpd.shutdown()


def test_token_signature_and_gzip(server):
    base, seen = server
    dataway = DataWay(url=f"{base}?token=tkn_abc", access_key="ak1", secret_key="sk1")
    status, _ = dataway.write_logging("app", tags={"host": "w1"}, fields={"message": "hello"})
    assert status == 200
    request = seen[-1]
    assert request["path"] == "/v1/write/logging"
    assert request["query"] == {"token": ["tkn_abc"]}  # no ?input= for DataWay
    date = request["headers"]["Date"]
    empty_md5 = base64.b64encode(hashlib.md5(b"").digest()).decode()
    expected = base64.b64encode(
        hmac.new(b"sk1", f"POST\n{empty_md5}\n\n{date}".encode(), hashlib.sha1).digest()
    ).decode()
    assert request["headers"]["Authorization"] == f"DWAY ak1:{expected}"
    assert b'message="hello"' in request["body"]
    assert "Content-Encoding" not in request["headers"]
    big = [{"measurement": "m", "fields": {"v": "x" * 300}} for _ in range(100)]
    dataway.write_logging_many(big)
    assert seen[-1]["headers"]["Content-Encoding"] == "gzip"  # past 20,480 bytes


def test_query_needs_a_token(server):
    base, seen = server
    with pytest.raises(ValueError, match="needs a token"):
        DataWay(url=base).query("M::cpu LIMIT 1")
    status, data = DataWay(url=base, token="tkn_q").query("M::cpu LIMIT 1")
    assert status == 200 and data == {"series": []}
    assert json.loads(seen[-1]["body"])["token"] == "tkn_q"


def test_dff_dataway_is_the_class_in_the_sandbox(pool):
    code = (
        "def main():\n"
        "    helper = DFF.DATAWAY(url='http://127.0.0.1:9?token=tkn_z', dry_run=True)\n"
        "    return [type(helper).__name__, helper.token, helper.base_url,\n"
        "            helper.write_metric('cpu', fields={'v': 1}), DFF.dataway is DFF.DATAWAY]\n"
    )
    result = pool.run(job(code, script_id="dw__main"))
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == ["DataWay", "tkn_z", "http://127.0.0.1:9", [0, None], True]
