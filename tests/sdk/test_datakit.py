"""The DataKit helper against real HTTP servers on 127.0.0.1 (the app's receiver, and a stub)."""

import gzip
import http.server
import socket
import threading
import time
from datetime import datetime

import pytest

from webapp.sdk.datakit import DataKit, DataKitError


def fetch_logs(base, session, **params):
    return session.get(f"{base}/api/v1/logs", params=params).json()["logs"]


@pytest.fixture
def api_session(live_server):
    from tests.test_walkthrough import logged_in

    return logged_in(live_server)


def test_write_metric_and_logging_round_trip(live_server, api_session):
    dk = DataKit(url=live_server, source="sdk-tests")
    assert dk.get("/v1/ping")[1]["content"]["version"]
    stamp = time.time()
    assert dk.write_metric(
        "sdk_metric", tags={"t": "a"}, fields={"v": 1.5, "n": 2}, timestamp=stamp
    ) == (200, None)
    assert (
        dk.write_logging(
            "sdk_log", tags={"k": "v"}, fields={"message": "hi\nthere"}, timestamp=stamp
        )[0]
        == 200
    )
    rows = fetch_logs(live_server, api_session, source="sdk_log")
    assert rows[0]["message"] == "hi\nthere"
    # The microseconds of time.time() survive the trip (to within the float's rounding).
    stored = datetime.fromisoformat(rows[0]["time"]).timestamp()
    assert abs(stored - stamp) < 2e-6, (rows[0]["time"], stamp)


def test_many_points_go_in_batches_and_large_bodies_are_gzipped():
    requests_seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            requests_seen.append(
                (self.path, self.headers.get("Content-Encoding"), body.decode().count("\n") + 1)
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dk = DataKit(
            host="127.0.0.1",
            port=server.server_address[1],
            source="batch",
            batch_size=1000,
            gzip_threshold=1024,
        )
        points = [
            {
                "measurement": "m",
                "tags": {"i": str(i % 7)},
                "fields": {"v": i},
                "timestamp": 1_700_000_000 + i,
            }
            for i in range(2500)
        ]
        assert dk.write_metrics(points) == (200, None)
        assert [count for _path, _enc, count in requests_seen] == [1000, 1000, 500]
        assert all(path == "/v1/write/metric?input=batch" for path, _e, _c in requests_seen)
        assert all(encoding == "gzip" for _p, encoding, _c in requests_seen)
    finally:
        server.shutdown()


def test_invalid_points_are_refused_before_anything_is_sent():
    dk = DataKit(host="127.0.0.1", port=1)  # nothing listens: a send would fail differently
    for fields, key in [
        ({"v": float("nan")}, "'v'"),
        ({"v": {"nested": 1}}, "'v'"),
        ({}, "no fields"),
    ]:
        with pytest.raises(ValueError, match=key):
            dk.write_metric("m", fields=fields)
    with pytest.raises(ValueError, match="'region'"):
        dk.write_metric("m", tags={"region": 5}, fields={"v": 1})
    with pytest.raises(ValueError, match="unknown category"):
        dk.write_by_category("bogus", "m", fields={"v": 1})


def test_retries_then_a_clear_error_with_the_token_masked():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dk = DataKit(
        url=f"http://127.0.0.1:{port}", token="tkn_secret_value", max_retries=2, retry_backoff=0.01
    )
    started = time.monotonic()
    with pytest.raises(DataKitError) as info:
        dk.write_metric("m", fields={"v": 1})
    message = str(info.value)
    assert "could not connect after 3 attempt(s)" in message
    assert "tkn_secret_value" not in message and "token=*****" in message
    assert time.monotonic() - started < 5


def test_retry_on_503_then_success():
    statuses = [503, 503, 200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(statuses.pop(0))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dk = DataKit(host="127.0.0.1", port=server.server_address[1], retry_backoff=0.01)
        assert dk.write_metric("m", fields={"v": 1})[0] == 200
        assert statuses == []
    finally:
        server.shutdown()


def test_http_errors_raise_or_return_the_tuple(live_server):
    dk = DataKit(url=live_server)
    with pytest.raises(DataKitError) as info:
        dk.post_line_protocol("/v1/write/metric", "bad line")
    assert info.value.status_code == 400
    assert "HTTP 400 datakit.invalidLinePoint" in str(info.value)
    lenient = DataKit(url=live_server, raise_for_status=False)
    status, data = lenient.post_line_protocol("/v1/write/metric", "bad line")
    assert status == 400 and data["error_code"] == "datakit.invalidLinePoint"
    status, data = lenient.query("M::cpu LIMIT 1")
    assert status == 400 and data["error_code"] == "datakit.queryNotSupported"


def test_keep_alive_reuses_one_connection(live_server, monkeypatch):
    import urllib3.connection

    connects = []
    original = urllib3.connection.HTTPConnection.connect

    def counting_connect(self):
        connects.append(1)
        return original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", counting_connect)
    dk = DataKit(url=live_server)
    for _ in range(5):
        dk.write_metric("keepalive", fields={"v": 1})
    assert len(connects) == 1  # five requests, one TCP connection


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="url"):
        DataKit(url="localhost:9529")
    with pytest.raises(ValueError, match="protocol"):
        DataKit(protocol="udp")
    with pytest.raises(ValueError, match="batch_size"):
        DataKit(batch_size=0)


@pytest.mark.parametrize(
    ("options", "threshold"),
    [
        ({"host": "127.0.0.1"}, 0),
        ({"url": "http://localhost:9529"}, 0),
        ({"url": "http://[::1]:9529"}, 0),
        ({"host": "datakit.example"}, 16 * 1024),
        ({"url": "https://10.0.0.5:9529"}, 16 * 1024),
        ({"host": "127.0.0.1", "gzip_threshold": 1024}, 1024),
        ({"host": "datakit.example", "gzip_threshold": 0}, 0),
    ],
)
def test_gzip_by_default_only_towards_another_host(options, threshold):
    """Compressing for loopback costs CPU and saves nothing; an explicit threshold wins."""
    assert DataKit(**options).gzip_threshold == threshold


def test_an_agent_that_never_answers_is_a_timeout_not_a_refusal():
    with socket.socket() as listener:  # accepts (the kernel's backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        dk = DataKit(
            url=f"http://127.0.0.1:{listener.getsockname()[1]}",
            timeout=0.3,
            max_retries=1,
            retry_backoff=0.01,
        )
        with pytest.raises(DataKitError) as info:
            dk.write_metric("m", fields={"v": 1})
    assert "timed out after 2 attempt(s)" in str(info.value)


@pytest.fixture
def tls_agent(tmp_path):
    """An HTTPS agent on 127.0.0.1 with a self-signed certificate (not in any trust store)."""
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    received = []

    class Agent(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


def test_https_checks_the_certificate_unless_told_not_to(tls_agent):
    url, received = tls_agent
    with pytest.raises(DataKitError) as info:
        DataKit(url=url, max_retries=0).write_metric("m", fields={"v": 1})
    assert "could not connect" in str(info.value) and "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert received == []
    status, _ = DataKit(url=url, verify_https=False).write_metric("m", fields={"v": 2})
    assert status == 200 and received and received[0].startswith(b"m v=2")
