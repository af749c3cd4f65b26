"""Misbehaving loopback servers on raw sockets: they hang, stall, lie about lengths, send garbage or floods.

http.server cannot lie on purpose, so these speak bytes. Every server stops itself: its connections wait on an
Event that the fixture sets at teardown, every socket has a timeout, and the fixture shuts every open
connection and joins every thread.
"""

from __future__ import annotations

import socket
import struct
import threading
import zlib
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


class EvilServers:
    """Raw-socket servers for one test; stop_all() shuts every connection and joins every thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: list[EvilServer] = []
        self._listeners: list[socket.socket] = []
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    def _thread(self, target: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def start(self, handler: Handler) -> EvilServer:
        """Serve handler(conn, request_bytes, server) for each connection; returns the server."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.05)  # how soon the accept loop notices stop
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
                with self._lock:
                    self._connections.discard(conn)
                conn.close()

        def accept_loop() -> None:
            while not server.stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with self._lock:
                    self._connections.add(conn)
                self._thread(one, conn, name=f"evil-server-{port}-connection")
            listener.close()

        self._thread(accept_loop, name=f"evil-server-{port}")
        with self._lock:
            self._servers.append(server)
            self._listeners.append(listener)
        return server

    def stop_all(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            servers, connections = list(self._servers), list(self._connections)
        for server in servers:
            server.stop.set()  # handlers waiting on it return
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # a handler blocked in send or recv returns
            except OSError:
                pass
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout_s)


def evil_server_fixture() -> Iterator[Callable[[Handler], EvilServer]]:
    """The `evil_server` fixture: start(handler) -> EvilServer; all stopped and joined after the test."""
    servers = EvilServers()
    yield servers.start
    servers.stop_all()


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


def gzip_of_zeros(mib: int) -> bytes:
    """A valid gzip member that decodes to `mib` MiB of zeros in about mib KiB (a gzip bomb).

    Built from one compressed MiB repeated: a full flush after each MiB resets the compressor, so every MiB
    compresses to the same bytes; this takes a fraction of a second where compressing 512 MiB takes seconds.
    """
    zeros = b"\0" * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: gzip's header and trailer come below
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name or mtime, level 9, OS unknown
    return header + block * mib + packer.flush() + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)
