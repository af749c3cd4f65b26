"""The demo API's everyday endpoints, over real loopback HTTP."""

from __future__ import annotations

import gzip
import json
import signal
import socket
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from inspector.demo import server as demo_server
from inspector.demo.scenarios import ENDPOINTS, MIB
from inspector.demo.server import slow_seconds, start_demo_server


def test_index_lists_every_endpoint_and_the_docstring_documents_them(demo_url: str) -> None:
    doc = requests.get(f"{demo_url}/", timeout=10).json()
    listed = {e["path"] for e in doc["endpoints"]}
    assert listed == {e.path for e in ENDPOINTS}
    assert doc["issuer"] == f"{demo_url}/"
    module_doc = demo_server.__doc__ or ""
    for endpoint in ENDPOINTS:
        assert endpoint.path.split("?")[0].replace("SCENARIO", "") in module_doc, endpoint.path


def test_json(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/json", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["id"] == "inv_1001"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_echo_json(demo_url: str, method: str) -> None:
    r = requests.request(
        method, f"{demo_url}/echo?a=1&a=2&b=x", json={"k": [1, 2]}, headers={"X-Custom": "yes"}, timeout=10
    )
    doc = r.json()
    assert (doc["method"], doc["json"], doc["query"]) == (method, {"k": [1, 2]}, {"a": ["1", "2"], "b": "x"})
    assert doc["headers"]["X-Custom"] == "yes"


def test_echo_form(demo_url: str) -> None:
    doc = requests.post(f"{demo_url}/echo", data={"name": "Ada", "tag": ["a", "b"]}, timeout=10).json()
    assert doc["form"] == {"name": "Ada", "tag": ["a", "b"]}


def test_echo_multipart_reports_files_by_name_and_size(demo_url: str) -> None:
    payload = bytes(range(256)) * 10 + b"\r\n--not-a-boundary\r\n"
    r = requests.post(
        f"{demo_url}/echo",
        data={"note": "hi"},
        files={"upload": ("report.bin", payload, "application/octet-stream")},
        timeout=10,
    )
    doc = r.json()
    assert doc["form"] == {"note": "hi"}
    assert doc["files"] == [
        {
            "name": "upload",
            "filename": "report.bin",
            "size": len(payload),
            "content_type": "application/octet-stream",
        }
    ]


def test_echo_reads_a_chunked_body(demo_url: str) -> None:
    r = requests.post(
        f"{demo_url}/echo",
        data=iter([b"hello ", b"chunked ", b"world"]),
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert r.json()["text"] == "hello chunked world"


def test_echo_reports_invalid_json(demo_url: str) -> None:
    doc = requests.post(
        f"{demo_url}/echo", data=b"{nope", headers={"Content-Type": "application/json"}, timeout=10
    ).json()
    assert "not valid JSON" in doc["json_error"]
    assert doc["text"] == "{nope"


def test_large_is_valid_json_of_about_the_size_asked(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/large?mb=1.5", timeout=30)
    assert r.status_code == 200
    assert abs(len(r.content) - 1.5 * MIB) < 1000
    assert int(r.headers["Content-Length"]) == len(r.content)
    items = json.loads(r.content)
    assert isinstance(items, list) and len(items) > 5000
    assert [it["id"] for it in items[:3]] == [0, 1, 2] and items[-1]["id"] == len(items) - 1
    again = requests.get(f"{demo_url}/large?mb=1.5", timeout=30)
    assert again.content == r.content  # served from the cache


@pytest.mark.parametrize("query", ["mb=0", "mb=-1", "mb=abc", "mb=nan"])
def test_large_refuses_bad_sizes(demo_url: str, query: str) -> None:
    r = requests.get(f"{demo_url}/large?{query}", timeout=10)
    assert r.status_code == 400
    assert "mb" in r.json()["message"]


def test_image_is_a_real_png(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/image.png", timeout=10)
    assert r.headers["Content-Type"] == "image/png"
    data = r.content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks[tag] = body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    assert b"IEND" in chunks


def test_binary(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/binary?bytes=1000", timeout=10)
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert len(r.content) == 1000


def test_slow_waits_at_least_s_seconds(demo_url: str) -> None:
    doc = requests.get(f"{demo_url}/slow?s=0.3", timeout=30).json()
    assert doc["s"] == 0.3
    assert doc["slept_s"] >= 0.3


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 5.0), ("", 5.0), ("0", 0.0), ("2.5", 2.5), ("60", 60.0), ("1000", 60.0)]
)
def test_slow_seconds_default_and_cap(raw: str | None, expected: float) -> None:
    assert slow_seconds(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "soon"])
def test_slow_seconds_refuses_bad_values(raw: str) -> None:
    with pytest.raises(ValueError, match="query parameter s"):
        slow_seconds(raw)


def test_slow_refuses_negative_over_http(demo_url: str) -> None:
    assert requests.get(f"{demo_url}/slow?s=-1", timeout=10).status_code == 400


def test_redirect_chain_has_n_hops_and_ends_at_json(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/redirect/4", timeout=10)
    assert [h.status_code for h in r.history] == [302] * 4
    assert [urlsplit(h.url).path for h in r.history] == [
        "/redirect/4",
        "/redirect/3",
        "/redirect/2",
        "/redirect/1",
    ]
    assert r.url == f"{demo_url}/json" and r.status_code == 200


@pytest.mark.parametrize("n", [0, 101])
def test_redirect_chain_bounds(demo_url: str, n: int) -> None:
    assert requests.get(f"{demo_url}/redirect/{n}", timeout=10).status_code == 400


def test_redirect_absolute(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/redirect-absolute", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == f"{demo_url}/json"


def test_redirect_other_origin_switches_loopback_name(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/redirect-other-origin?to=/auth/api-key", allow_redirects=False, timeout=10)
    location = urlsplit(r.headers["Location"])
    assert (location.hostname, location.port, location.path) == (
        "localhost",
        urlsplit(demo_url).port,
        "/auth/api-key",
    )
    back = requests.get(
        r.headers["Location"].replace("/auth/api-key", "/redirect-other-origin"),
        allow_redirects=False,
        timeout=10,
    )
    assert urlsplit(back.headers["Location"]).hostname == "127.0.0.1"


def test_redirect_other_origin_arrives_without_authorization(demo_url: str) -> None:
    r = requests.get(
        f"{demo_url}/redirect-other-origin?to=/headers", headers={"Authorization": "Bearer abc"}, timeout=10
    )
    assert len(r.history) == 1
    assert "Authorization" not in r.json()["headers"]


@pytest.mark.parametrize("to", ["https://evil.example/", "//evil.example/x", "headers"])
def test_redirect_other_origin_only_to_local_paths(demo_url: str, to: str) -> None:
    r = requests.get(
        f"{demo_url}/redirect-other-origin", params={"to": to}, allow_redirects=False, timeout=10
    )
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("code", "header", "value"),
    [
        (200, None, None),
        (204, None, None),
        (302, "Location", "/json"),
        (401, "WWW-Authenticate", 'Bearer realm="demo"'),
        (403, None, None),
        (404, None, None),
        (407, "Proxy-Authenticate", 'Basic realm="demo-proxy"'),
        (429, "Retry-After", "5"),
        (500, None, None),
        (599, None, None),
    ],
)
def test_status(demo_url: str, code: int, header: str | None, value: str | None) -> None:
    r = requests.get(f"{demo_url}/status/{code}", allow_redirects=False, timeout=10)
    assert r.status_code == code
    if header:
        assert r.headers[header] == value
    if code != 204:
        assert r.json()["status"] == code


def test_status_out_of_range(demo_url: str) -> None:
    assert requests.get(f"{demo_url}/status/199", timeout=10).status_code == 400


def test_headers_echo(demo_url: str) -> None:
    doc = requests.get(f"{demo_url}/headers", headers={"X-Trace": "t-1"}, timeout=10).json()
    assert doc["headers"]["X-Trace"] == "t-1"
    assert ["X-Trace", "t-1"] in doc["raw"]


@pytest.mark.parametrize(
    ("path", "ctype", "needle"),
    [
        ("/xml", "application/xml; charset=utf-8", "<invoices"),
        ("/html", "text/html; charset=utf-8", "<!doctype html>"),
        ("/text", "text/plain; charset=utf-8", "Plain text"),
    ],
)
def test_typed_documents(demo_url: str, path: str, ctype: str, needle: str) -> None:
    r = requests.get(f"{demo_url}{path}", timeout=10)
    assert r.headers["Content-Type"] == ctype
    assert needle in r.text


def test_lying_json_is_json_served_as_text(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/lying-json", timeout=10)
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.json()["ok"] is True


def test_gzip(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/gzip", stream=True, timeout=10)
    assert r.headers["Content-Encoding"] == "gzip"
    raw = r.raw.read(decode_content=False)
    assert json.loads(gzip.decompress(raw))["gzipped"] is True


def test_head_sends_headers_without_body(demo_url: str) -> None:
    r = requests.head(f"{demo_url}/json", timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["Content-Length"]) == len(requests.get(f"{demo_url}/json", timeout=10).content)


def test_unknown_path_and_wrong_method(demo_url: str) -> None:
    assert requests.get(f"{demo_url}/nope", timeout=10).status_code == 404
    r = requests.delete(f"{demo_url}/json", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


def test_keep_alive_survives_a_refused_request_with_a_body(demo_url: str) -> None:
    with requests.Session() as s:
        assert s.post(f"{demo_url}/api/invoices", json={"x": 1}, timeout=10).status_code == 401
        assert s.get(f"{demo_url}/json", timeout=10).status_code == 200


def test_server_is_quiet_and_stop_ends_pending_slow_requests(capfd: pytest.CaptureFixture[str]) -> None:
    server = start_demo_server()
    results: list[int] = []

    def slow() -> None:
        try:
            results.append(requests.get(f"{server.base_url}/slow?s=50", timeout=55).status_code)
        except requests.RequestException:
            results.append(-1)

    worker = threading.Thread(target=slow, daemon=True)
    worker.start()
    for path in ("/json", "/auth/api-key-query?api_key=secret-value", "/api/invoices", "/nope"):
        requests.get(server.base_url + path, timeout=10)
    server.stop()
    server.stop()  # idempotent
    worker.join(timeout=20)
    assert not worker.is_alive()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base_url}/json", timeout=5)


def test_stop_also_ends_kept_alive_connections() -> None:
    server = start_demo_server()
    with requests.Session() as session:
        assert session.get(f"{server.base_url}/json", timeout=10).status_code == 200
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{server.base_url}/json", timeout=5)


def test_oversized_body_is_refused_and_the_connection_closed(demo_url: str) -> None:
    # requests would correct the Content-Length, so speak HTTP by hand
    port = urlsplit(demo_url).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {64 * MIB}\r\n\r\nx".encode()
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head = reply.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 413 ")
    assert "Connection: close" in head


def test_verbose_log_masks_secrets() -> None:
    lines: list[str] = []
    with start_demo_server(log=lines.append) as server:
        requests.get(f"{server.base_url}/auth/api-key-query?api_key=demo_key_4f9c2a7e1b5d8c3a", timeout=10)
        requests.get(
            f"{server.base_url}/json", headers={"Authorization": "Bearer s3cr3t-token-value"}, timeout=10
        )
    assert len(lines) == 2
    assert lines[0].startswith("GET /auth/api-key-query?api_key=") and lines[0].endswith("-> 200")
    assert "4f9c2a7e1b5d8c3a" not in "\n".join(lines)
    assert "s3cr3t" not in "\n".join(lines)


def test_start_on_a_busy_port_is_a_clear_error() -> None:
    server = start_demo_server()
    try:
        with pytest.raises(demo_server.DemoError, match=f"cannot listen on 127.0.0.1:{server.port}"):
            start_demo_server("127.0.0.1", server.port)
    finally:
        server.stop()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_forever_stops_cleanly_on_a_signal(stop_signal: int) -> None:
    code = "from inspector.demo.server import run_forever; raise SystemExit(run_forever('127.0.0.1', 0))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Demo API running at http://127.0.0.1:")
        proc.send_signal(stop_signal)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and err == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_run_forever_prints_the_url_serves_and_stops_on_ctrl_c() -> None:
    code = "from inspector.demo.server import run_forever; raise SystemExit(run_forever('127.0.0.1', 0))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Demo API running at http://127.0.0.1:")
        url = line.split()[4].rstrip("/")
        assert requests.get(f"{url}/json", timeout=10).status_code == 200
        # another process's server: tokens and the environment come over HTTP
        token = demo_server.mint_token(url, "expired")
        r = requests.get(f"{url}/api/invoices", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert 'error_description="The access token expired"' in r.headers["WWW-Authenticate"]
        env = demo_server.demo_environment(url)
        ok = requests.get(
            f"{url}/api/invoices", headers={"Authorization": f"Bearer {env['DEMO_ACCESS_TOKEN']}"}, timeout=10
        )
        assert ok.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert out == "" and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
