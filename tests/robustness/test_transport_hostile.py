"""core.transport.send against servers that hang, lie, flood, trickle or speak garbage: one clear
TransportFailure each, memory bounded by the body cap, and time bounded by the send's deadline."""

from __future__ import annotations

import threading
import tracemalloc

import pytest
import requests

from inspector.core.request import RequestSpec
from inspector.core.transport import MAX_HEADER_LINES, send
from tests.support.evil_servers import gzip_of_zeros, response_head, stream_zeros

MiB = 1024 * 1024


def hang_before_headers(conn, request, server):
    server.stop.wait(20)


def stall_mid_body(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 100") + b"abc")
    server.stop.wait(20)


def length_longer_than_sent(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 100") + b"abc")


def length_shorter_than_sent(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 3") + b"abcdefghijkl")


def close_mid_chunk(conn, request, server):
    conn.sendall(response_head("200 OK", "Transfer-Encoding: chunked") + b"10\r\nabc")


def not_http(conn, request, server):
    conn.sendall(b"GARBAGE\r\n\r\n")


def bad_status_code(conn, request, server):
    conn.sendall(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")


def ten_thousand_headers(conn, request, server):
    conn.sendall(response_head("200 OK", *(f"X-H{i}: v" for i in range(10_000)), "Content-Length: 0"))


def megabyte_header_line(conn, request, server):
    conn.sendall(response_head("200 OK", "X-Big: " + "a" * MiB, "Content-Length: 0"))


def megabyte_www_authenticate(conn, request, server):
    conn.sendall(response_head("401 Unauthorized", 'WWW-Authenticate: Bearer realm="' + "a" * MiB + '"',
                               "Content-Length: 0"))


def redirect_to_file(conn, request, server):
    conn.sendall(response_head("302 Found", "Location: file:///etc/passwd", "Content-Length: 0"))


def redirect_loop_two_origins(conn, request, server):
    other = "localhost" if b"Host: 127.0.0.1" in request else "127.0.0.1"
    conn.sendall(response_head("302 Found", f"Location: http://{other}:{server.port}/loop",
                               "Content-Length: 0"))


@pytest.mark.parametrize(
    ("handler", "kind", "says"),
    [
        (hang_before_headers, "timeout", "accepted the connection but did not answer in time"),
        (stall_mid_body, "timeout", "sent the status and headers, then stopped sending before the body"),
        (length_longer_than_sent, "connection",
         "was cut off: the connection closed after 3 bytes of the body, with 97 more announced"),
        (close_mid_chunk, "connection", "was cut off"),
        (not_http, "other",
         "answered with something that is not an HTTP response (its first line was 'GARBAGE')"),
        (bad_status_code, "other", "not an HTTP response (its first line was 'HTTP/1.1 abc OK')"),
        (ten_thousand_headers, "too-large", "headers from"),
        (megabyte_header_line, "too-large", "headers from"),
        (megabyte_www_authenticate, "too-large", "headers from"),
        (redirect_to_file, "invalid-url",
         "redirected to 'file:///etc/passwd', which is not an http or https URL"),
        (redirect_loop_two_origins, "too-many-redirects", "was redirected more than 5 times"),
    ],
)
def test_each_hostile_answer_is_one_clear_failure(evil_server, handler, kind: str, says: str) -> None:
    server = evil_server(handler)
    exchange = send(RequestSpec(url=f"{server.url}/x", timeout_s=1.0), max_redirects=5)
    assert exchange.error is not None and exchange.response is None
    assert exchange.error.kind == kind
    assert says in exchange.error.message
    assert exchange.error.message.startswith("GET http://")  # names the request
    assert "Traceback" not in exchange.error.message and "IncompleteRead(" not in exchange.error.message


def test_a_longer_body_than_announced_keeps_only_what_was_announced(evil_server) -> None:
    exchange = send(RequestSpec(url=evil_server(length_shorter_than_sent).url, timeout_s=2.0))
    assert exchange.error is None and exchange.response.body == b"abc"


def _peak_during(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_500_mb_body_stops_at_the_cap_with_memory_bounded(evil_server) -> None:
    def flood(conn, request, server):
        conn.sendall(response_head("200 OK", f"Content-Length: {500 * MiB}", "Content-Type: text/plain"))
        stream_zeros(conn, 500 * MiB, server.stop)

    server = evil_server(flood)
    cap = 8 * MiB
    spec = RequestSpec(url=server.url, timeout_s=5.0)
    exchange, peak = _peak_during(lambda: send(spec, max_body_bytes=cap))
    response = exchange.response
    assert exchange.error is None and response.body_truncated
    assert cap < response.body_bytes < cap + MiB  # stopped right after the cap, not at 500 MB
    assert len(response.body) == 1 * MiB  # the preview kept
    # the cap once plus a preview: holding the cap twice (join, then slice) was the old behaviour
    assert peak < cap * 1.5, f"peak {peak / MiB:.1f} MiB for a cap of {cap / MiB:.0f} MiB"


def test_a_gzip_bomb_is_capped_in_decoded_bytes(evil_server) -> None:
    bomb = gzip_of_zeros(512)  # 512 MiB of zeros, ~0.5 MB

    def gzip_bomb(conn, request, server):
        conn.sendall(response_head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(bomb)}") + bomb)

    server = evil_server(gzip_bomb)
    cap = 4 * MiB
    spec = RequestSpec(url=server.url, timeout_s=5.0)
    exchange, peak = _peak_during(lambda: send(spec, max_body_bytes=cap))
    assert exchange.error is None and exchange.response.body_truncated
    assert exchange.response.body_bytes < cap + MiB  # decoded bytes are what is counted
    assert peak < cap * 1.5 + len(bomb)


# --- a total deadline: a server that keeps every socket read busy cannot keep a send alive ------------------

TRICKLE_S = 30.0  # how long the servers below would keep going: far past the tests' timeouts


def _trickle(conn, server, finished, data: bytes) -> None:
    """Send data one byte every 0.5 s until done (TRICKLE_S), stopped, or the client hangs up."""
    for byte in data[: int(TRICKLE_S / 0.5)]:
        if server.stop.wait(0.5):
            return
        conn.sendall(bytes([byte]))
    finished.set()


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("body", "sent the status and headers, and was still sending the body when the 3 s limit for the "
                 "whole send (every hop, headers and body) ran out."),
        ("headers", "accepted the connection but did not answer in time: the 3 s limit for the whole send"),
    ],
)
def test_a_trickling_server_is_stopped_by_the_deadline(evil_server, where: str, says: str) -> None:
    finished = threading.Event()

    def trickle(conn, request, server):
        if where == "body":
            conn.sendall(response_head("200 OK", "Content-Length: 1000"))
            _trickle(conn, server, finished, b"y" * 1000)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            _trickle(conn, server, finished, b"X-Slow: " + b"z" * 1000)

    server = evil_server(trickle)
    exchange = send(RequestSpec(url=f"{server.url}/x", timeout_s=3.0))
    assert not finished.is_set(), "the send only ended when the server stopped trickling"
    assert exchange.error is not None and exchange.error.kind == "timeout"
    assert says in exchange.error.message
    assert exchange.error.message.startswith(f"GET {server.url}/x timed out")


def test_the_deadline_covers_every_hop_of_a_redirect_chain(evil_server) -> None:
    """Each hop answers within a read timeout, but the chain as a whole would take TRICKLE_S."""

    def slow_redirect(conn, request, server):
        if not server.stop.wait(0.5):
            n = len(server.requests)
            conn.sendall(response_head("302 Found", f"Location: /hop/{n}", "Content-Length: 0"))

    server = evil_server(slow_redirect)
    exchange = send(RequestSpec(url=f"{server.url}/hop/0", timeout_s=2.0), max_redirects=int(TRICKLE_S / 0.5))
    assert exchange.error is not None and exchange.error.kind == "timeout"
    assert len(exchange.hops) < TRICKLE_S / 0.5
    assert "the 2 s limit for the whole send (every hop, headers and body) ran out" in exchange.error.message


def test_the_deadline_covers_the_token_request(evil_server) -> None:
    from inspector.core.profiles.auth import AuthDefaults

    finished = threading.Event()

    def slow_token(conn, request, server):
        conn.sendall(response_head("200 OK", "Content-Type: application/json", "Content-Length: 1000"))
        _trickle(conn, server, finished, b" " * 1000)

    server = evil_server(slow_token)

    class TokenFirst(AuthDefaults):
        def token_request(self) -> requests.Request | None:
            return requests.Request("POST", f"{server.url}/token", data={"grant_type": "client_credentials"})

    exchange = send(RequestSpec(url=f"{server.url}/api", timeout_s=2.0), auth=TokenFirst())
    assert not finished.is_set()
    assert [h.role for h in exchange.hops] == ["token"]
    assert exchange.error is not None and exchange.error.kind == "timeout"
    assert exchange.error.message.startswith(f"POST {server.url}/token timed out")


def test_a_proxy_that_never_answers_is_named_in_the_timeout(evil_server, monkeypatch) -> None:
    proxy = evil_server(hang_before_headers)
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://user:pw-proxy-123@127.0.0.1:{proxy.port}")
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    exchange = send(RequestSpec(url="http://127.0.0.1:9/x", timeout_s=1.0))
    assert exchange.error is not None and exchange.error.kind == "timeout"
    assert f"the proxy 127.0.0.1:{proxy.port} accepted the connection but did not answer in time" \
        in exchange.error.message
    assert "pw-proxy-123" not in exchange.error.message


# --- header limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [150, MAX_HEADER_LINES - 1])
def test_many_header_lines_are_read(evil_server, count: int) -> None:
    def many(conn, request, server):
        # with Content-Length and response_head's Connection: close, `count` + 1 lines in all
        lines = [f"X-H{i}: v{i}" for i in range(count - 1)]
        conn.sendall(response_head("200 OK", *lines, "Content-Length: 2") + b"ok")

    exchange = send(RequestSpec(url=evil_server(many).url, timeout_s=5.0))
    assert exchange.error is None and exchange.response.body == b"ok"
    assert exchange.response.header(f"X-H{count - 2}") == f"v{count - 2}"
    assert len(exchange.response.headers) == count + 1


@pytest.mark.parametrize(
    "lines",
    [
        [f"X-H{i}: v" for i in range(MAX_HEADER_LINES + 1)],  # one line too many
        [f"X-Big{i}: " + "a" * 60_000 for i in range(20)],  # each line fits, 1.2 MB in all does not
    ],
    ids=["lines", "bytes"],
)
def test_header_limits_end_in_one_too_large_failure(evil_server, lines: list[str]) -> None:
    def flood(conn, request, server):
        conn.sendall(response_head("200 OK", *lines, "Content-Length: 0"))

    exchange = send(RequestSpec(url=evil_server(flood).url, timeout_s=5.0))
    assert exchange.error is not None and exchange.error.kind == "too-large"
    assert "headers from" in exchange.error.message
