"""The receiver's own port, served off the app's request threads: ``python -m
webapp.receiver.server --fd N --processes P``.

A real DataKit agent has a port of its own (9529); so does the embedded receiver
(``FUNCPAD_RECEIVER_BIND``). Under gunicorn, the master binds it (gunicorn.conf.py, so a busy
port stops the start like the app's own) and starts this program with the socket: a supervisor
that forks ``P`` server processes sharing it (``FUNCPAD_RECEIVER_PROCESSES``), restarts one that
dies, and ends them all when it is told to or when gunicorn's master goes away.

Each server process answers with the same rules as the app's port (``write_api``) from threads
of its own, stores through its own ``PointWriter`` (so parsing runs on as many cores as there
are processes; SQLite serialises their commits), and serves nothing but ``/v1/ping`` and
``/v1/write/<category>``: scripts may reach this port, so it must not be a way into the app.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.server
import logging
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from webapp.config import load_config
from webapp.receiver import write_api
from webapp.receiver.store import PointStore
from webapp.receiver.writer import PointWriter

log = logging.getLogger("funcpad.receiver")
HOSTNAME = write_api.HOSTNAME
STARTED = time.monotonic()
STOP_SECONDS = 12  # a server still running this long after SIGTERM is killed
ACCEPT_YIELD_SECONDS = 0.002
IDLE_SECONDS = 30  # a keep-alive connection left idle this long is closed
WRITE_PREFIX = "/v1/write/"
ONLY_DATAKIT = write_api.error(
    "datakit.notFound", "this port serves only /v1/ping and /v1/write/<category>", 404
)


class BodyTooLarge(Exception):
    pass


class IngestHandler(http.server.BaseHTTPRequestHandler):
    """One keep-alive connection; each request's answer leaves in one write."""

    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "DataKit-compatible (Funcpad)"

    wbufsize = 64 * 1024  # headers and body buffered, sent together when the request ends
    timeout = IDLE_SECONDS
    server: IngestServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_expect_100(self) -> bool:
        super().handle_expect_100()
        self.wfile.flush()  # the interim answer cannot wait in the buffer for the final one
        return True

    def log_message(self, format: str, *args) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v1/ping":
            self._send(write_api.ping(STARTED, HOSTNAME))
        elif path.startswith(WRITE_PREFIX):
            self._send(write_api.unknown("GET", path))
        else:
            self._send(ONLY_DATAKIT)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith(WRITE_PREFIX):
            self._discard_body()
            self._send(ONLY_DATAKIT)
            return
        try:
            body = self._read_body()
        except BodyTooLarge:
            self.close_connection = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            answer = write_api.body_too_large(self.server.settings.max_body)
            self.server.writer.store.count_refused(answer.code)
            self._send(answer)
            return
        except ValueError as exc:
            self.close_connection = True
            self._send(write_api.error("datakit.badRequest", f"unreadable body: {exc}"))
            return
        request = write_api.WriteRequest(
            category=url.path[len(WRITE_PREFIX) :],
            query=dict(reversed(parse_qsl(url.query, keep_blank_values=True))),
            body=body,
            remote_addr=self.client_address[0],
            content_type=self.headers.get("Content-Type"),
            content_encoding=self.headers.get("Content-Encoding"),
            authorization=self.headers.get("Authorization", ""),
        )
        try:
            answer = write_api.write(
                request,
                self.server.settings,
                self.server.writer.write,
                on_refused=self.server.writer.store.count_refused,
            )
        except Exception:  # a bug must still get an answer, and the process must keep serving
            log.exception("write to %s failed", url.path)
            answer = write_api.error(
                "datakit.internalError", "the receiver failed; see its log", 500
            )
        self._send(answer)

    def _other_method(self) -> None:
        self._discard_body()
        path = urlsplit(self.path).path
        self._send(write_api.unknown(self.command, path) if path.startswith(WRITE_PREFIX)
                   else ONLY_DATAKIT)  # fmt: skip

    do_PUT = do_DELETE = do_PATCH = _other_method

    def _discard_body(self) -> None:
        try:
            self._read_body()
        except (BodyTooLarge, ValueError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        limit = self.server.settings.max_body
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > limit:
            self._skip(length)  # read in small steps and thrown away: the connection stays usable
            raise BodyTooLarge
        return self.rfile.read(length)

    def _skip(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1024 * 1024))
            if not chunk:
                break
            length -= len(chunk)

    def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"x", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return bytes(body)
            if len(body) + size > limit:
                raise BodyTooLarge
            body += self.rfile.read(size)
            self.rfile.readline(8)  # the CRLF after each chunk

    def _send(self, answer: write_api.Answer) -> None:
        self.send_response(answer.status)
        if answer.content_type:
            self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)


class IngestServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """An HTTP server on a socket it was given (bound by someone else), a thread a connection,
    at most ``max_connections`` at once: scripts can reach this port, and one that opens
    thousands of idle connections must not cost this process a thread each."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, sock: socket.socket, settings: write_api.WriteSettings,
                 writer: PointWriter, max_connections: int = 512,
                 has_siblings: bool = False) -> None:  # fmt: skip
        super().__init__(sock.getsockname()[:2], IngestHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        self.settings = settings
        self.writer = writer
        self.max_connections = max_connections
        self._open = threading.BoundedSemaphore(max_connections)
        self.open_connections = 0
        self._count_lock = threading.Lock()
        self.has_siblings = has_siblings

    def get_request(self):
        # Every server process wakes for a new connection and the first to accept it wins. One
        # that is already serving lets idle siblings win: otherwise two busy clients can land
        # on one process (and one core) while the other idles. Costs a new connection 2 ms,
        # and only when this process already has one.
        if self.has_siblings and self.open_connections:
            time.sleep(ACCEPT_YIELD_SECONDS)
        return super().get_request()

    def process_request(self, request, client_address) -> None:
        if not self._open.acquire(blocking=False):
            log.warning("refusing %s: %d connections open", client_address[0],
                        self.max_connections)  # fmt: skip
            self.shutdown_request(request)
            return
        with self._count_lock:
            self.open_connections += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self.open_connections -= 1
            self._open.release()


def settings_from(config: dict) -> write_api.WriteSettings:
    return write_api.WriteSettings(
        hostname=HOSTNAME,
        max_body=config["FUNCPAD_RECEIVER_MAX_BODY_MB"] * 1024 * 1024,
        ingest_token=config["FUNCPAD_INGEST_TOKEN"],
    )


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent goes away (gunicorn's master, or the
    supervisor), so no receiver outlives the app that started it."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # gone before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _exit_now(_signum, _frame) -> None:
    raise SystemExit(0)  # out of serve_forever, through the ``finally`` that drains the writer


def serve(sock: socket.socket, config: dict, has_siblings: bool = False) -> None:
    """One server process: answer on ``sock`` until SIGTERM, then store what is queued."""
    signal.signal(signal.SIGTERM, _exit_now)  # before anything can send it
    signal.signal(signal.SIGINT, _exit_now)
    _die_with_parent()
    # Several processes wait on one socket: all may wake for a connection only one gets, so
    # accept must not block (a blocked accept would also never see the stop).
    sock.setblocking(False)
    store = PointStore(Path(config["FUNCPAD_DATA_DIR"]) / "points.db")  # after the fork
    writer = PointWriter(store)
    server = IngestServer(
        sock,
        settings_from(config),
        writer,
        config["FUNCPAD_RECEIVER_MAX_CONNECTIONS"],
        has_siblings=has_siblings,
    )
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        writer.close(timeout=10)


def supervise(sock: socket.socket, config: dict, processes: int) -> int:
    """Fork ``processes`` servers on ``sock`` and keep that many running until SIGTERM."""
    _die_with_parent()
    stopping = threading.Event()
    children: dict[int, float] = {}  # pid -> start time

    def start_one() -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                serve(sock, config, has_siblings=processes > 1)
            except BaseException:
                log.exception("receiver server process failed")
                code = 1
            finally:
                os._exit(code)
        children[pid] = time.monotonic()

    def stop(_signum, _frame) -> None:
        stopping.set()
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        # Servers get a moment to finish what they hold; then they are ended.
        timer = threading.Timer(STOP_SECONDS, kill_left)
        timer.daemon = True
        timer.start()

    def kill_left() -> None:
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        start_one()
    log.info("receiver listening on %s:%s (%d processes)", *sock.getsockname()[:2], processes)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None or stopping.is_set():
            continue
        log.error("receiver process %d ended (status %d); starting another", pid, status)
        if time.monotonic() - started < 1:
            time.sleep(1)  # one that dies at once must not spin
        start_one()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="a listening TCP socket")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sock = socket.socket(fileno=args.fd)
    config = load_config(os.environ)
    return supervise(sock, config, max(1, args.processes))


if __name__ == "__main__":
    sys.exit(main())
