"""Loopback HTTP servers for tests: quiet, threaded, and stopped for good (no thread outlives its test).

    servers = LoopbackServers()
    url = servers.start(Handler)          # "http://127.0.0.1:PORT", serving at once
    ...
    servers.stop_all()                    # shut down, end open connections, join every thread

Handlers derive from `QuietHandler` (no request log; `read_body`, `reply`, `reply_json`), or come from
`answering(...)` (the same answer to every request) or `responding(fn)` (fn(handler, body) -> the answer).
The `http_server` fixture in tests/conftest.py hands out `LoopbackServers.start`, and stops them after the
test.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Answer = tuple[int, Headers, bytes]

STOP_S = 5.0  # how long stop() waits for request threads once their connections are ended


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing, with helpers to read the request body and answer."""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def read_body(self) -> bytes:
        """The request body as announced by Content-Length (empty without one)."""
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status: int, body: bytes = b"", headers: Headers = (), reason: str | None = None) -> None:
        """Status (with the standard reason phrase unless given), headers (a value with "\\n" is one header
        line each) and Content-Length, then the body."""
        self.send_response(status, reason)
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in pairs:
            for line in value.split("\n"):
                self.send_header(name, line)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status: int, doc: object, headers: Headers = ()) -> None:
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
        self.reply(status, json.dumps(doc).encode(), [("Content-Type", "application/json"), *pairs])

    def echo_document(self, body: bytes | None = None) -> dict[str, object]:
        """What was asked: method, path, headers and the body as text (latin-1, so any bytes survive)."""
        data = self.read_body() if body is None else body
        return {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                "body": data.decode("latin-1")}


def responding(respond: Callable[[QuietHandler, bytes], Answer], *,
               keep_alive: bool = True) -> type[QuietHandler]:
    """A handler class calling respond(handler, request_body) -> (status, headers, body) for every method."""

    class Responding(QuietHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def _serve(self) -> None:
            status, headers, body = respond(self, self.read_body())
            self.reply(status, body, headers)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    return Responding


def answering(status: int = 200, body: bytes | str = b"", headers: Headers = (), *,
              gate: threading.Event | None = None, gate_s: float = 5.0) -> type[QuietHandler]:
    """A handler class giving every request the same answer; with a gate, it first waits (at most gate_s
    seconds) until the test opens it."""
    data = body.encode() if isinstance(body, str) else body
    fixed = list(headers.items() if isinstance(headers, Mapping) else headers)

    def respond(_handler: QuietHandler, _body: bytes) -> Answer:
        if gate is not None:
            gate.wait(gate_s)  # bounded: the test opens it when done
        return status, fixed, data

    return responding(respond, keep_alive=False)


class QuietServer(ThreadingHTTPServer):
    """A threaded server that keeps count of its connections and threads, so stop() can end them all;
    `accepted` counts the connections it took (a kept-alive one counts once)."""

    daemon_threads = True  # never keeps the interpreter alive; stop() joins them instead

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: list[threading.Thread] = []
        self._serving: threading.Thread | None = None
        self.accepted = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name=f"test-server-{self.server_address[1]}-request", daemon=True)
        with self._lock:
            self.accepted += 1
            self._connections.add(request)
            self._workers = [t for t in self._workers if t.is_alive()]
            self._workers.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (timeouts, cancels) is part of what the tests do.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def serve_in_background(self) -> None:
        # a short poll: shutdown() waits up to one poll interval, once per test
        self._serving = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02},
                                         name=f"test-server-{self.server_address[1]}", daemon=True)
        self._serving.start()

    def stop(self, timeout_s: float = STOP_S) -> None:
        """Stop serving, end every open connection (a kept-alive one holds its thread), join the threads."""
        if self._serving is not None:
            self.shutdown()
            self._serving.join(timeout_s)
        self.server_close()
        with self._lock:
            connections, workers = list(self._connections), list(self._workers)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # its client closed it already
        for thread in workers:
            thread.join(timeout_s)


class _QuietServer6(QuietServer):
    address_family = socket.AF_INET6


class LoopbackServers:
    """Servers started for one test (or one module); stop_all() ends them all."""

    def __init__(self) -> None:
        self.servers: list[QuietServer] = []

    def start(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> str:
        """Serve `handler` on a free port of `host`; returns the base URL (http://127.0.0.1:PORT)."""
        server = (_QuietServer6 if ":" in host else QuietServer)((host, 0), handler)
        server.serve_in_background()
        self.servers.append(server)
        return server.url

    def stop_all(self) -> None:
        while self.servers:
            self.servers.pop().stop()


__all__ = ["Answer", "Headers", "LoopbackServers", "QuietHandler", "QuietServer", "answering", "responding"]
