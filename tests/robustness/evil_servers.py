"""Misbehaving loopback servers on raw sockets: they hang, stall, lie about lengths, send garbage or floods.

http.server cannot lie on purpose, so these speak bytes. Every server stops itself: its connections wait on an
Event that the fixture sets at teardown, and every socket has a timeout.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Handler = Callable[[socket.socket, bytes, "EvilServer"], None]


@dataclass
class EvilServer:
    url: str
    port: int
    stop: threading.Event
    requests: list[bytes]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
    return data


def evil_server_fixture() -> Iterator[Callable[[Handler], EvilServer]]:
    """Start a raw-socket server for a handler(conn, request_bytes, server); returns the server."""
    stops: list[tuple[threading.Event, socket.socket]] = []

    def start(handler: Handler) -> EvilServer:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        server = EvilServer(f"http://127.0.0.1:{port}", port, threading.Event(), [])

        def one(conn: socket.socket) -> None:
            try:
                conn.settimeout(30)
                request = _read_request(conn)
                server.requests.append(request)
                handler(conn, request, server)
            except OSError:
                pass  # the client hung up: that is what a cap or a cancel does
            finally:
                conn.close()

        def accept_loop() -> None:
            while not server.stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                threading.Thread(target=one, args=(conn,), daemon=True).start()
            listener.close()

        threading.Thread(target=accept_loop, daemon=True).start()
        stops.append((server.stop, listener))
        return server

    yield start
    for stop, _listener in stops:
        stop.set()


def response_head(status: str, *headers: str) -> bytes:
    """A status line and header lines, ending the head; 'Connection: close' so nothing is reused."""
    lines = [f"HTTP/1.1 {status}", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def stream_zeros(conn: socket.socket, total: int, stop: threading.Event) -> None:
    """Send `total` bytes lazily in 64 KiB blocks until done, stopped, or the client hangs up."""
    block = b"x" * 65536
    sent = 0
    while sent < total and not stop.is_set():
        conn.sendall(block)
        sent += len(block)
