"""Shared fixtures: headless Qt, loopback HTTP servers on 127.0.0.1, the demo API."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep tests away from the user's real settings, keyring and data folders.
os.environ.setdefault("INSPECTOR_TESTING", "1")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up early (timeouts, cancels) is part of what the tests do.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture
def http_server() -> Iterator[Callable[[type[BaseHTTPRequestHandler]], str]]:
    """Start a loopback server for a handler class; returns its base URL (http://127.0.0.1:PORT)."""
    servers: list[_QuietServer] = []

    def start(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> str:
        server = _QuietServer((host, 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{host}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """The demo API on a free loopback port for the whole test session."""
    from inspector.demo.server import start_demo_server

    server = start_demo_server("127.0.0.1", 0)
    try:
        yield server.base_url
    finally:
        server.stop()
