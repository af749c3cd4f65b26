"""core.transport.send against servers that hang, lie, flood or speak garbage: one clear TransportFailure each,
and memory bounded by the body cap."""

from __future__ import annotations

import tracemalloc

import pytest

from inspector.core.request import RequestSpec
from inspector.core.transport import send
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
    conn.sendall(response_head("302 Found", f"Location: http://{other}:{server.port}/loop", "Content-Length: 0"))


@pytest.mark.parametrize(
    ("handler", "kind", "says"),
    [
        (hang_before_headers, "timeout", "accepted the connection but did not answer in time"),
        (stall_mid_body, "timeout", "sent the status and headers, then stopped sending before the body"),
        (length_longer_than_sent, "connection",
         "was cut off: the connection closed after 3 bytes of the body, with 97 more announced"),
        (close_mid_chunk, "connection", "was cut off"),
        (not_http, "other", "answered with something that is not an HTTP response (its first line was 'GARBAGE')"),
        (bad_status_code, "other", "not an HTTP response (its first line was 'HTTP/1.1 abc OK')"),
        (ten_thousand_headers, "too-large", "headers from"),
        (megabyte_header_line, "too-large", "headers from"),
        (megabyte_www_authenticate, "too-large", "headers from"),
        (redirect_to_file, "invalid-url", "redirected to 'file:///etc/passwd', which is not an http or https URL"),
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
    exchange, peak = _peak_during(lambda: send(RequestSpec(url=server.url, timeout_s=5.0), max_body_bytes=cap))
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
    exchange, peak = _peak_during(lambda: send(RequestSpec(url=server.url, timeout_s=5.0), max_body_bytes=cap))
    assert exchange.error is None and exchange.response.body_truncated
    assert exchange.response.body_bytes < cap + MiB  # decoded bytes are what is counted
    assert peak < cap * 1.5 + len(bomb)
