"""The demo API: a loopback HTTP server that shows every outcome the inspector explains.

`start_demo_server()` runs it in daemon threads (tests, `python main.py --demo`); `run_forever()` runs it in
the foreground (`python main.py demo-server`). Tokens are RS256 JWTs signed by a key generated when the server
starts (JWKS at /.well-known/jwks.json, issuer f"{base_url}/", audience DEMO_AUDIENCE); `mint_token()` makes
one for any scenario, `demo_environment()` makes the ${env:...} values the demo profiles refer to, and
`materialize_demo_profiles()` writes those profiles with the server's URL filled in.

Every refusal copies the headers and body a real service sends (GitHub, Auth0, AWS API Gateway, Azure AD,
FastAPI, Flask-JWT-Extended, Google, Kong, Spring), so the explainer meets real evidence.

| Method | Path | What it answers |
|---|---|---|
| GET | / | This index as JSON (every endpoint, every token scenario). |
| GET | /json | 200, a small JSON document. |
| POST PUT PATCH DELETE | /echo | Method, headers, query, parsed body (JSON, form, multipart files + sizes). |
| GET | /large?mb=10 | A valid JSON array of about N MiB (max 200), generated once and cached. |
| GET | /image.png | A small real PNG. |
| GET | /binary?bytes=4096 | application/octet-stream bytes (max 10 MiB). |
| GET | /slow?s=5 | Waits s seconds (max 60) in small steps, then answers. |
| GET | /redirect/N | N 302s in a chain (N <= 100), ending at /json. |
| GET | /redirect-absolute | One 302 to the absolute URL of /json. |
| GET | /redirect-other-origin?to=PATH | 302 to PATH on the other loopback name (127.0.0.1 <-> localhost). |
| ANY | /status/CODE | That status (200-599); 401/407 carry a challenge, 3xx a Location. |
| GET | /headers | The request headers, as received. |
| GET | /xml, /html, /text | A document of that type. |
| GET | /lying-json | JSON served as text/plain. |
| GET | /gzip | JSON with Content-Encoding: gzip. |
| GET | /.well-known/jwks.json | The public key of the demo tokens. |
| GET | /.well-known/openid-configuration | Issuer metadata. |
| GET | /tokens, /tokens/SCENARIO | Fresh tokens for the token scenarios (see TOKEN_SCENARIOS). |
| GET | /api/invoices | Bearer JWT + scope invoices:read; every token problem is answered here (401). |
| POST | /api/invoices | Needs invoices:write: 403 `Bearer error="insufficient_scope", scope=...`. |
| GET | /api/reports | Needs reports:read: 403 with insufficient_scope in the body only. |
| GET | /api/admin/users | Needs role admin: 403 authenticated but not permitted (Google shape). |
| GET | /api/transfers | Needs acr urn:mfa within 300 s: 401 insufficient_user_authentication (RFC 9470). |
| GET | /api/dpop/invoices | 401 `DPoP algs="ES256", error="use_dpop_nonce"` + DPoP-Nonce. |
| GET | /api/skewed/invoices | Like /api/invoices with the server clock and Date 7 minutes ahead. |
| GET | /api/moved | 302 to /api/invoices on the other loopback origin: the token is dropped, 401. |
| ANY | /scenario/no-challenge | 401 {"message":"Unauthorized"}, no WWW-Authenticate (AWS API Gateway). |
| ANY | /scenario/lowercase-bearer | 401 with a lowercase `bearer` challenge. |
| ANY | /scenario/multiple-challenges | 401 with Bearer + Basic on one line, Negotiate on another. |
| ANY | /scenario/fastapi | 401 {"detail":"Not authenticated"}. |
| ANY | /scenario/problem-json | 401 application/problem+json. |
| ANY | /scenario/flask-jwt-422 | 422 {"msg":"Signature verification failed"}. |
| ANY | /scenario/aws-signature-expired | 403 {"message":"Signature expired: ..."}. |
| ANY | /scenario/aws-missing-token | 403 {"message":"Missing Authentication Token"}. |
| ANY | /scenario/rate-limited | 403 with X-RateLimit-Remaining: 0 (GitHub). |
| ANY | /scenario/too-many-requests | 429 with Retry-After. |
| ANY | /scenario/proxy-auth | 407 with Proxy-Authenticate. |
| ANY | /scenario/waf-blocked | 403 HTML block page. |
| ANY | /scenario/clock-skew | 200 with a Date header 7 minutes ahead. |
| GET | /auth/basic | Basic (user demo); 401 `Basic realm="demo", charset="UTF-8"`. |
| GET | /auth/digest, /auth/digest/md5, /auth/digest/sha-256 | Digest (RFC 7616, qop=auth). |
| GET | /auth/api-key | X-API-Key header (Kong-style 401s). |
| GET | /auth/api-key-query?api_key=KEY | API key in the query. |
| POST | /oauth/token | client_credentials (body or Basic client auth), refresh_token; expires_in 300. |
| POST | /oauth/token-short | The same with expires_in 5. |
| GET POST | /app/login | A Django-style login form (csrftoken cookie, csrfmiddlewaretoken): sessionid. |
| POST | /app/logout, /app/expire-sessions | End the session (cookie deleted), or every session server-side. |
| GET | /app/ | The signed-in page; 302 to /app/login?next=... without a session. |
| GET POST | /app/notes | Session API: a login redirect without a session; POST needs X-CSRFToken. |
| GET | /app/profile | Session API answering 401 JSON without a session. |
| POST | /app/api/login | JSON login answering {"access_token": ...}. |
| GET | /app/demo-session | A signed-in session id (the demo cookie profile's value). |
| GET | /oauth/authorize | Authorization code, PKCE (S256) and state, loopback redirects; signs in at once. |
| POST | /oauth/device | Device authorization (RFC 8628); GET /device?user_code=... approves it. |
| GET | /device | The page where a device code is allowed (or denied with action=deny). |
| POST | /keys/rotate | A new signing key: tokens signed before no longer verify (unknown kid). |
| GET | /.well-known/oauth-authorization-server | RFC 8414 metadata (also for the issuer /tenant-b). |
| GET | /tls | The HTTPS endpoints: mTLS (TLS 1.3 and 1.2), self-signed, wrong host, expired; the CA files. |
| ANY | /vendors/... | Refusals shaped like other vendors' (GraphQL, RPC, Vault, API Gateway, SOAP). |
| GET | /burst/tokens | The incident burst's tokens: before the key rotation, after it, expired together. |
| GET | /burst/api/orders, /burst/api/invoices | The burst's API, which still trusts the old key (burst.py). |

The sign-in endpoints live in identity.py, the HTTPS endpoints in tls.py, the vendor-shaped ones in
vendors.py and the incident burst in burst.py; their routes join the table here.

The server prints nothing unless asked (run_forever(verbose=True)): then one masked line per request.
"""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import math
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self, TextIO
from urllib.parse import parse_qs, unquote_plus, urlsplit

import jwt
import requests

from inspector.core.cookies import is_loopback
from inspector.core.errors import InspectorError
from inspector.core.files import SHARED_FILE, atomic_write
from inspector.core.redact import mask_url
from inspector.demo import burst, identity, vendors
from inspector.demo import tls as demo_tls
from inspector.demo.messages import BadRequest as _BadRequest
from inspector.demo.messages import DemoRequest, Reply, json_reply, text_reply
from inspector.demo.scenarios import (
    ALL_SCOPES,
    CONFIDENTIAL_CLIENT_ID,
    DEFAULT_TOKEN_SCOPE,
    DEMO_API_KEY,
    DEMO_AUDIENCE,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REFRESH_TOKEN,
    DEMO_USER,
    DIGEST_ALGORITHMS,
    ENDPOINTS,
    MAX_BINARY_BYTES,
    MAX_LARGE_MB,
    MAX_REDIRECTS,
    MAX_SLOW_S,
    NONCE_LIFETIME_S,
    REALM,
    SKEW_S,
    STEP_UP_ACR,
    STEP_UP_MAX_AGE_S,
    SUBJECT,
    TOKEN_SCENARIOS,
    DemoKey,
    LargeBodyCache,
    UnknownScenarioError,
    access_claims,
    bearer_challenge,
    binary_bytes,
    challenge,
    describe_body,
    digest_response,
    make_nonce,
    mint_with_key,
    nonce_age,
    parse_digest_params,
    png_image,
)

__all__ = [
    "DemoError",
    "DemoServer",
    "UnknownScenarioError",
    "demo_environment",
    "materialize_demo_profiles",
    "mint_token",
    "run_forever",
    "start_demo_server",
]

MAX_REQUEST_BODY = 32 * 1024 * 1024
LEEWAY_S = 30  # the demo API's own tolerance for nbf
LOG_LINE_MAX = 200


class DemoError(InspectorError):
    """The demo API cannot start, or cannot be reached to mint a token."""


# ---------------------------------------------------------------------------------------------------------
# Server state and routing
class _DemoState:
    """Everything one running demo server knows: its URL, its signing key, caches, and its stop flag."""

    def __init__(self, base_url: str, port: int, log: Callable[[str], None] | None) -> None:
        self.base_url = base_url
        self.port = port
        self.issuer = base_url + "/"
        self.key = DemoKey.generate()
        self.stopping = threading.Event()
        self.large = LargeBodyCache()
        self.nonce_secret = os.urandom(32)
        self.digest_opaque = secrets.token_hex(16)
        self.log = log
        self.identity = identity.IdentityState()  # sessions, codes, device codes (identity.py)
        self.tls: demo_tls.DemoTls | None = None  # the HTTPS endpoints (tls.py), started with the server
        self.burst = burst.BurstState()  # the incident burst's keys (burst.py), made on first use

    def now(self) -> float:
        return time.time()


_Handler = Callable[[DemoRequest, _DemoState], Reply]
_ROUTES: list[tuple[re.Pattern[str], frozenset[str] | None, _Handler]] = []
_ANY = None


def _route(pattern: str, methods: Iterable[str] | None = ("GET",)) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _ROUTES.append((re.compile(pattern + r"\Z"), frozenset(methods) if methods else None, fn))
        return fn

    return register


def _dispatch(req: DemoRequest, state: _DemoState) -> Reply:
    allowed: set[str] = set()
    for pattern, methods, fn in _ROUTES:
        m = pattern.match(req.path)
        if not m:
            continue
        method = "GET" if req.method == "HEAD" else req.method
        if methods is None or method in methods:
            try:
                return fn(replace(req, groups=m.groups()), state)
            except _BadRequest as exc:
                return json_reply(exc.status, {"error": "bad_request", "message": str(exc)})
        allowed |= methods
    if allowed:
        allow = ", ".join(sorted(allowed | ({"HEAD"} if "GET" in allowed else set())))
        return json_reply(
            405, {"error": "method_not_allowed", "message": f"{req.path} answers {allow}."}, ("Allow", allow)
        )
    return json_reply(
        404,
        {
            "error": "not_found",
            "message": f"There is no demo endpoint {req.path}: GET / lists every endpoint.",
        },
    )


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so bodies are always drained and lengths always sent
    timeout = 120  # an idle kept-alive connection is closed after this many seconds
    server_version = "RequestInspectorDemo/1.0"
    sys_version = ""
    _date_offset_s = 0.0

    def date_time_string(self, timestamp: float | None = None) -> str:
        if timestamp is None:
            timestamp = time.time() + self._date_offset_s
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: http.server would print every request (with its query string) to stderr."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        state: _DemoState = self.server.state  # type: ignore[attr-defined]
        close = False
        try:
            body = self._read_body()
        except _BadRequest as exc:
            # the unread body would corrupt the next request on this connection: close it
            reply, close = json_reply(exc.status, {"error": "bad_request", "message": str(exc)}), True
        else:
            parts = urlsplit(self.path)
            req = DemoRequest(
                method=self.command,
                target=self.path,
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=tuple(self.headers.items()),
                body=body,
            )
            try:
                reply = _dispatch(req, state)
            except Exception as exc:
                reply = json_reply(500, {"error": "internal_error", "message": type(exc).__name__})
        self._write(reply, head=self.command == "HEAD", close=close)
        if state.log is not None:
            line = f"{self.command} {mask_url(self.path)} -> {reply.status}"
            state.log(line if len(line) <= LOG_LINE_MAX else line[: LOG_LINE_MAX - 1] + "…")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            raise _BadRequest(f"The Content-Length header '{raw[:40]}' is not a byte count.") from None
        if length > MAX_REQUEST_BODY:
            raise _BadRequest(
                f"The request body is too large: the demo accepts {MAX_REQUEST_BODY} bytes.", 413
            )
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("The chunked request body has a bad chunk size line.") from None
            if size == 0:
                for _ in range(100):  # trailers end with an empty line
                    if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                        break
                return bytes(out)
            if len(out) + size > MAX_REQUEST_BODY:
                raise _BadRequest(
                    f"The request body is too large: the demo accepts {MAX_REQUEST_BODY} bytes.", 413
                )
            out += self.rfile.read(size)
            self.rfile.readline(8)

    def _write(self, reply: Reply, *, head: bool, close: bool) -> None:
        self._date_offset_s = reply.date_offset_s
        chunks = reply.body if isinstance(reply.body, tuple) else (reply.body,)
        bodiless = reply.status in (204, 304) or reply.status < 200
        try:
            self.send_response(reply.status)
            if reply.content_type and not bodiless:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers:
                self.send_header(name, value)
            if not bodiless:
                self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if not head and not bodiless:
                for chunk in chunks:
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client went away (e.g. cancelled a large download)


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: _DemoState

    def server_activate(self) -> None:
        super().server_activate()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections too, so a stopped server answers nobody."""
        with self._connections_lock:
            open_now = list(self._connections)
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its client

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client hanging up mid-request is normal here; endpoint bugs are answered with 500."""
        if self.state.log is not None:
            kind = sys.exc_info()[0]
            self.state.log(
                f"connection error from {client_address[0]}: {kind.__name__ if kind else 'unknown'}"
            )


class _DemoHTTPServer6(_DemoHTTPServer):
    address_family = socket.AF_INET6


# ---------------------------------------------------------------------------------------------------------
# Small helpers for endpoints
def _number(req: DemoRequest, name: str, default: float, low: float, high: float) -> float:
    """A numeric query parameter; below `low` or not a number is a 400, above `high` is capped."""
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _BadRequest(f"The query parameter {name}='{raw[:40]}' is not a number.") from None
    if math.isnan(value) or value < low:
        raise _BadRequest(f"The query parameter {name} must be at least {low:g}, not '{raw[:40]}'.")
    return min(value, high)


def slow_seconds(raw: str | None) -> float:
    """How long /slow waits for ?s=raw: default 5, capped at 60; ValueError for negatives and non-numbers."""
    req = DemoRequest("GET", "/slow", "/slow", {"s": [raw]} if raw is not None else {}, (), b"")
    try:
        return _number(req, "s", 5.0, 0.0, MAX_SLOW_S)
    except _BadRequest as exc:
        raise ValueError(str(exc)) from None


def _other_origin(req: DemoRequest, state: _DemoState) -> str:
    """The same server under the other loopback name: a different origin for clients and browsers."""
    hostname = urlsplit(f"http://{req.host}").hostname if req.host else None
    other = "127.0.0.1" if hostname == "localhost" else "localhost"
    return f"http://{other}:{state.port}"


def _scopes(claims: dict[str, Any]) -> set[str]:
    value = claims.get("scope", claims.get("scp", ""))
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def _bytes_eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------------
# Basics
@_route(r"/")
def _index(req: DemoRequest, st: _DemoState) -> Reply:
    return json_reply(
        200,
        {
            "name": "Request Inspector demo API",
            "base_url": st.base_url,
            "issuer": st.issuer,
            "audience": DEMO_AUDIENCE,
            "start_here": [
                "GET /api/invoices with the 'expired' token: a 401 explained",
                "POST /api/invoices with the 'missing-scope' token: a 403 explained",
            ],
            "endpoints": [
                {"methods": e.methods.split(), "path": e.path, "summary": e.summary, "group": e.group}
                for e in ENDPOINTS
            ],
            "token_scenarios": dict(TOKEN_SCENARIOS),
            "vendors": [
                {"methods": methods.split(), "path": path, "summary": summary}
                for methods, path, summary in vendors.ENDPOINTS
            ],
        },
    )


@_route(r"/json")
def _json(req: DemoRequest, st: _DemoState) -> Reply:
    return json_reply(
        200,
        {
            "id": "inv_1001",
            "customer": {"id": "cus_42", "name": "Ada Lovelace", "email": "ada@example.com"},
            "amount": {"value": "129.90", "currency": "EUR"},
            "paid": False,
            "lines": [
                {"sku": "KB-01", "description": "Keyboard", "quantity": 1, "unit_price": "89.90"},
                {"sku": "MS-02", "description": "Mouse", "quantity": 2, "unit_price": "20.00"},
            ],
            "tags": ["demo", "invoice"],
            "due": None,
        },
    )


@_route(r"/echo", ("POST", "PUT", "PATCH", "DELETE"))
def _echo(req: DemoRequest, st: _DemoState) -> Reply:
    headers: dict[str, str] = {}
    for name, value in req.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    query = {k: v[0] if len(v) == 1 else v for k, v in req.query.items()}
    return json_reply(
        200,
        {
            "method": req.method,
            "path": req.path,
            "query": query,
            "headers": headers,
            **describe_body(req.header("Content-Type"), req.body),
        },
    )


@_route(r"/large")
def _large(req: DemoRequest, st: _DemoState) -> Reply:
    mb = _number(req, "mb", 10.0, 0.0, MAX_LARGE_MB)
    if mb <= 0:
        raise _BadRequest("The query parameter mb must be more than 0.")
    chunks, size = st.large.get(mb)
    return Reply(
        200, chunks, "application/json", [("X-Demo-Size-MB", f"{mb:g}"), ("X-Demo-Bytes", str(size))]
    )


@_route(r"/image\.png")
def _image(req: DemoRequest, st: _DemoState) -> Reply:
    return Reply(200, png_image(), "image/png", [("Cache-Control", "public, max-age=3600")])


@_route(r"/binary")
def _binary(req: DemoRequest, st: _DemoState) -> Reply:
    size = int(_number(req, "bytes", 4096, 0, MAX_BINARY_BYTES))
    return Reply(
        200,
        binary_bytes(size),
        "application/octet-stream",
        [("Content-Disposition", 'attachment; filename="demo.bin"')],
    )


@_route(r"/slow")
def _slow(req: DemoRequest, st: _DemoState) -> Reply:
    seconds = _number(req, "s", 5.0, 0.0, MAX_SLOW_S)
    start = time.monotonic()
    deadline = start + seconds
    # Small steps on the stop flag: stopping the server ends the wait at once.
    while not st.stopping.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        st.stopping.wait(min(0.1, left))
    return json_reply(
        200, {"requested_s": req.arg("s"), "s": seconds, "slept_s": round(time.monotonic() - start, 3)}
    )


@_route(r"/redirect/(\d{1,6})")
def _redirect(req: DemoRequest, st: _DemoState) -> Reply:
    n = int(req.groups[0])
    if not 1 <= n <= MAX_REDIRECTS:
        raise _BadRequest(f"A redirect chain has 1 to {MAX_REDIRECTS} hops, not {n}.")
    location = "/json" if n == 1 else f"/redirect/{n - 1}"
    return json_reply(302, {"redirect_to": location}, ("Location", location))


@_route(r"/redirect-absolute")
def _redirect_absolute(req: DemoRequest, st: _DemoState) -> Reply:
    location = f"http://{req.host}/json" if req.host else f"{st.base_url}/json"
    return json_reply(302, {"redirect_to": location}, ("Location", location))


@_route(r"/redirect-other-origin", ("GET", "POST", "PUT", "PATCH", "DELETE"))
def _redirect_other_origin(req: DemoRequest, st: _DemoState) -> Reply:
    to = req.arg("to") or "/headers"
    if not to.startswith("/") or to.startswith("//"):
        raise _BadRequest(
            f"The query parameter to='{to[:60]}' must be a path on this server, such as /headers."
        )
    location = _other_origin(req, st) + to
    return json_reply(302, {"redirect_to": location}, ("Location", location))


@_route(r"/status/(\d{3})", _ANY)
def _status(req: DemoRequest, st: _DemoState) -> Reply:
    code = int(req.groups[0])
    if not 200 <= code <= 599:
        raise _BadRequest(f"The demo answers statuses 200 to 599, not {code}.")
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = ""
    headers: list[tuple[str, str]] = []
    if code == 401:
        headers.append(("WWW-Authenticate", bearer_challenge()))
    elif code == 407:
        headers.append(("Proxy-Authenticate", challenge("Basic", realm="demo-proxy")))
    elif code in (301, 302, 303, 307, 308):
        headers.append(("Location", "/json"))
    elif code in (429, 503):
        headers.append(("Retry-After", "5"))
    return json_reply(code, {"status": code, "reason": reason}, *headers)


@_route(r"/headers")
def _headers(req: DemoRequest, st: _DemoState) -> Reply:
    joined: dict[str, str] = {}
    for name, value in req.headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return json_reply(200, {"headers": joined, "raw": [list(h) for h in req.headers]})


@_route(r"/xml")
def _xml(req: DemoRequest, st: _DemoState) -> Reply:
    return text_reply(
        200,
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<invoices count="2">\n'
            '  <invoice id="inv_1001" paid="false"><customer>Ada Lovelace</customer>'
            '<amount currency="EUR">129.90</amount></invoice>\n'
            '  <invoice id="inv_1002" paid="true"><customer>Alan Turing</customer>'
            '<amount currency="GBP">42.00</amount></invoice>\n'
            "</invoices>\n"
        ),
        "application/xml; charset=utf-8",
    )


@_route(r"/html")
def _html(req: DemoRequest, st: _DemoState) -> Reply:
    return text_reply(
        200,
        (
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Demo page</title></head>\n'
            "<body>\n  <h1>Request Inspector demo</h1>\n  <p>An <em>HTML</em> response, for the viewer.</p>\n"
            '  <ul><li><a href="/json">/json</a></li><li><a href="/">index</a></li></ul>\n</body>\n</html>\n'
        ),
        "text/html; charset=utf-8",
    )


@_route(r"/text")
def _text(req: DemoRequest, st: _DemoState) -> Reply:
    return text_reply(
        200, "Plain text from the demo API.\nSecond line, with ünïcödé.\n", "text/plain; charset=utf-8"
    )


_LYING_DOC = {"note": "This is JSON, but the server says text/plain.", "items": [1, 2, 3], "ok": True}


@_route(r"/lying-json")
def _lying_json(req: DemoRequest, st: _DemoState) -> Reply:
    return json_reply(200, _LYING_DOC, content_type="text/plain; charset=utf-8")


@_route(r"/gzip")
def _gzip(req: DemoRequest, st: _DemoState) -> Reply:
    doc = {"gzipped": True, "message": "This body travelled gzip-encoded.", "numbers": list(range(50))}
    body = gzip.compress(json.dumps(doc, indent=2).encode("utf-8"), mtime=0)
    return Reply(200, body, "application/json", [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])


# ---------------------------------------------------------------------------------------------------------
# Keys and tokens
@_route(r"/\.well-known/jwks\.json")
def _jwks(req: DemoRequest, st: _DemoState) -> Reply:
    return json_reply(200, st.key.jwks(), ("Cache-Control", "public, max-age=300"))


@_route(r"/\.well-known/openid-configuration")
def _oidc(req: DemoRequest, st: _DemoState) -> Reply:
    return json_reply(
        200,
        {
            "issuer": st.issuer,
            "jwks_uri": f"{st.base_url}/.well-known/jwks.json",
            "token_endpoint": f"{st.base_url}/oauth/token",
            "grant_types_supported": ["client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(ALL_SCOPES),
            **identity.metadata(st),  # the browser and device flows' endpoints
        },
    )


@_route(r"/tokens")
def _tokens(req: DemoRequest, st: _DemoState) -> Reply:
    now = st.now()
    return json_reply(
        200,
        {"tokens": {name: mint_with_key(st.key, st.issuer, name, now) for name in TOKEN_SCENARIOS}},
        ("Cache-Control", "no-store"),
    )


@_route(r"/tokens/([A-Za-z0-9_-]+)")
def _token(req: DemoRequest, st: _DemoState) -> Reply:
    name = req.groups[0]
    if name not in TOKEN_SCENARIOS:
        return json_reply(
            404,
            {
                "error": "unknown_scenario",
                "message": f"There is no token scenario '{name}'.",
                "scenarios": list(TOKEN_SCENARIOS),
            },
        )
    return json_reply(
        200,
        {
            "scenario": name,
            "description": TOKEN_SCENARIOS[name],
            "token_type": "Bearer",
            "access_token": mint_with_key(st.key, st.issuer, name, st.now()),
        },
        ("Cache-Control", "no-store"),
    )


# ---------------------------------------------------------------------------------------------------------
# The protected API: the server decides from the token it receives.
_EXPIRED = "The access token expired"


def _invalid_token(description: str, *extra: tuple[str, str]) -> Reply:
    return json_reply(
        401,
        {"error": "invalid_token", "error_description": description},
        ("WWW-Authenticate", bearer_challenge(error="invalid_token", error_description=description)),
        *extra,
    )


def _not_authenticated() -> Reply:
    # RFC 6750 §3.1: no error code when the request carried no credentials; FastAPI's body.
    return json_reply(401, {"detail": "Not authenticated"}, ("WWW-Authenticate", bearer_challenge()))


def _authenticate(req: DemoRequest, st: _DemoState, now: float) -> dict[str, Any] | Reply:
    """The verified claims of the Bearer token sent, or the 401 a careful API answers instead."""
    auth = (req.header("Authorization") or "").strip()
    if not auth:
        return _not_authenticated()
    scheme, _, token = auth.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer":
        return json_reply(
            401,
            {"detail": f"The authorization scheme '{scheme[:20]}' is not supported here."},
            ("WWW-Authenticate", bearer_challenge()),
        )
    if not token or " " in token or '"' in token:
        return _invalid_token("The access token is malformed")
    segments = token.split(".")
    if len(segments) == 5:
        return _invalid_token("Encrypted tokens (JWE) are not accepted; send a signed JWT")
    if len(segments) != 3:
        return _invalid_token("The access token is invalid")  # opaque: only its issuer could introspect it
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return _invalid_token("The access token is malformed")
    alg = str(header.get("alg", ""))
    if alg.lower() == "none" or not segments[2]:
        return _invalid_token("The access token is not signed")
    if alg != "RS256":
        return _invalid_token(f"The signing algorithm {alg[:20]} is not accepted")
    if header.get("kid") != st.key.kid:
        return _invalid_token("No signing key matches the token's kid")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            st.key.public_key,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        return _invalid_token("The signature is invalid")
    except jwt.PyJWTError:
        return _invalid_token("The access token is malformed")
    if claims.get("token_use") == "id" or "nonce" in claims or "at_hash" in claims:
        return _invalid_token("An ID token was sent; this API needs an access token")
    if claims.get("token_type") == "refresh":
        return _invalid_token("A refresh token was sent; this API needs an access token")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        return _invalid_token("The access token has no expiry")
    if exp <= now:
        return _invalid_token(_EXPIRED)
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf > now + LEEWAY_S:
        return _invalid_token("The access token is not valid yet")
    if claims.get("iss") != st.issuer:
        return _invalid_token(f"The issuer '{str(claims.get('iss'))[:80]}' is not trusted")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if DEMO_AUDIENCE not in audiences:
        # Azure AD's wording, which names the audience it got
        return _invalid_token(f"The audience '{str(aud)[:80]}' is invalid")
    return claims


def _insufficient_scope_challenge(claims: dict[str, Any], needed: str) -> Reply:
    description = "The request requires higher privileges than provided by the access token"
    return json_reply(
        403,
        {"error": "insufficient_scope", "error_description": description, "scope": needed},
        (
            "WWW-Authenticate",
            bearer_challenge(error="insufficient_scope", error_description=description, scope=needed),
        ),
        # GitHub's way of saying the same thing in headers
        ("X-OAuth-Scopes", ", ".join(sorted(_scopes(claims)))),
        ("X-Accepted-OAuth-Scopes", needed),
    )


_INVOICES = [
    {"id": "inv_1001", "customer": "Ada Lovelace", "amount": "129.90", "currency": "EUR", "paid": False},
    {"id": "inv_1002", "customer": "Alan Turing", "amount": "42.00", "currency": "GBP", "paid": True},
]


def _invoices_reply(claims: dict[str, Any], date_offset_s: float = 0.0) -> Reply:
    if "invoices:read" not in _scopes(claims):
        reply = _insufficient_scope_challenge(claims, "invoices:read")
    else:
        reply = json_reply(
            200, {"invoices": _INVOICES, "subject": claims.get("sub"), "scopes": sorted(_scopes(claims))}
        )
    reply.date_offset_s = date_offset_s
    return reply


@_route(r"/api/invoices", ("GET", "POST"))
def _api_invoices(req: DemoRequest, st: _DemoState) -> Reply:
    claims = _authenticate(req, st, st.now())
    if isinstance(claims, Reply):
        return claims
    if req.method == "POST":
        if "invoices:write" not in _scopes(claims):
            return _insufficient_scope_challenge(claims, "invoices:write")
        created = describe_body(req.header("Content-Type"), req.body).get("json", {})
        return json_reply(
            201,
            {
                "created": {
                    "id": "inv_" + secrets.token_hex(3),
                    **(created if isinstance(created, dict) else {"data": created}),
                }
            },
            ("Location", "/api/invoices/new"),
        )
    return _invoices_reply(claims)


@_route(r"/api/reports")
def _api_reports(req: DemoRequest, st: _DemoState) -> Reply:
    claims = _authenticate(req, st, st.now())
    if isinstance(claims, Reply):
        return claims
    if "reports:read" not in _scopes(claims):
        # Body only, no challenge: what many frameworks' default error handlers produce.
        return json_reply(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The access token does not grant access to reports",
            },
        )
    return json_reply(200, {"reports": [{"id": "rep_q1", "title": "Q1 revenue"}]})


@_route(r"/api/admin/users")
def _api_admin(req: DemoRequest, st: _DemoState) -> Reply:
    claims = _authenticate(req, st, st.now())
    if isinstance(claims, Reply):
        return claims
    roles = claims.get("roles")
    roles = roles if isinstance(roles, list) else []
    if "admin" not in roles:
        return json_reply(
            403,
            {
                "error": {
                    "code": 403,
                    "message": "The caller does not have permission",
                    "status": "PERMISSION_DENIED",
                }
            },
        )
    return json_reply(200, {"users": [{"id": SUBJECT, "roles": roles}]})


@_route(r"/api/transfers")
def _api_transfers(req: DemoRequest, st: _DemoState) -> Reply:
    now = st.now()
    claims = _authenticate(req, st, now)
    if isinstance(claims, Reply):
        return claims
    auth_time = claims.get("auth_time")
    fresh = isinstance(auth_time, (int, float)) and now - auth_time <= STEP_UP_MAX_AGE_S
    if claims.get("acr") != STEP_UP_ACR or not fresh:
        description = (
            "A different authentication level is required"
            if claims.get("acr") != STEP_UP_ACR
            else "More recent authentication is required"
        )
        return json_reply(
            401,
            {
                "error": "insufficient_user_authentication",
                "error_description": description,
                "acr_values": STEP_UP_ACR,
                "max_age": STEP_UP_MAX_AGE_S,
            },
            (
                "WWW-Authenticate",
                bearer_challenge(
                    error="insufficient_user_authentication",
                    error_description=description,
                    acr_values=STEP_UP_ACR,
                    max_age=STEP_UP_MAX_AGE_S,
                ),
            ),
        )
    return json_reply(200, {"transfers": [{"id": "tr_1", "amount": "1000.00", "currency": "EUR"}]})


@_route(r"/api/dpop/invoices")
def _api_dpop(req: DemoRequest, st: _DemoState) -> Reply:
    if not (req.header("Authorization") or "").strip():
        return json_reply(
            401,
            {"error": "invalid_request", "error_description": "A DPoP-bound token is required"},
            ("WWW-Authenticate", challenge("DPoP", algs="ES256")),
        )
    description = "Resource server requires nonce in DPoP proof"
    return json_reply(
        401,
        {"error": "use_dpop_nonce", "error_description": description},
        (
            "WWW-Authenticate",
            challenge("DPoP", algs="ES256", error="use_dpop_nonce", error_description=description),
        ),
        ("DPoP-Nonce", secrets.token_urlsafe(24)),
    )


@_route(r"/api/skewed/invoices")
def _api_skewed(req: DemoRequest, st: _DemoState) -> Reply:
    claims = _authenticate(req, st, st.now() + SKEW_S)
    if isinstance(claims, Reply):
        claims.date_offset_s = SKEW_S
        return claims
    return _invoices_reply(claims, SKEW_S)


@_route(r"/api/moved", ("GET", "POST"))
def _api_moved(req: DemoRequest, st: _DemoState) -> Reply:
    location = _other_origin(req, st) + "/api/invoices"
    return json_reply(302, {"redirect_to": location}, ("Location", location))


# ---------------------------------------------------------------------------------------------------------
# Canned scenarios: refusals copied from real services, whatever token arrives.
def _aws_ids() -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amz-apigw-id", secrets.token_urlsafe(12)[:16])]


def _sigv4_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def _scenario_replies(req: DemoRequest, st: _DemoState) -> dict[str, Callable[[], Reply]]:
    now = st.now()
    return {
        "no-challenge": lambda: json_reply(
            401, {"message": "Unauthorized"}, ("x-amzn-ErrorType", "UnauthorizedException"), *_aws_ids()
        ),
        "lowercase-bearer": lambda: json_reply(
            401,
            {"error": "invalid_token", "error_description": "The access token is invalid"},
            (
                "WWW-Authenticate",
                (
                    'bearer realm="demo", error="invalid_token", '
                    'error_description="The access token is invalid"'
                ),
            ),
        ),
        "multiple-challenges": lambda: json_reply(
            401,
            {"detail": "Authentication credentials were not provided."},
            ("WWW-Authenticate", f'{bearer_challenge()}, Basic realm="{REALM}", charset="UTF-8"'),
            ("WWW-Authenticate", "Negotiate"),
        ),
        "fastapi": lambda: json_reply(401, {"detail": "Not authenticated"}, ("WWW-Authenticate", "Bearer")),
        "problem-json": lambda: json_reply(
            401,
            {
                "type": "https://example.com/problems/invalid-token",
                "title": "Invalid token",
                "status": 401,
                "detail": "The token could not be validated: signature mismatch.",
                "instance": req.path,
            },
            ("WWW-Authenticate", bearer_challenge(error="invalid_token")),
            content_type="application/problem+json",
        ),
        "flask-jwt-422": lambda: json_reply(422, {"msg": "Signature verification failed"}),
        "aws-signature-expired": lambda: json_reply(
            403,
            {
                "message": f"Signature expired: {_sigv4_time(now - 600)} is now earlier than "
                f"{_sigv4_time(now - 300)} ({_sigv4_time(now)} - 5 min.)"
            },
            ("x-amzn-ErrorType", "InvalidSignatureException"),
            *_aws_ids(),
        ),
        "aws-missing-token": lambda: json_reply(
            403,
            {"message": "Missing Authentication Token"},
            ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
            *_aws_ids(),
        ),
        "rate-limited": lambda: json_reply(
            403,
            {
                "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
                "requests get a higher rate limit. Check out the documentation for more details.)",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            },
            ("X-RateLimit-Limit", "60"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", str(int(now) + 1800)),
            ("X-RateLimit-Used", "60"),
            ("X-RateLimit-Resource", "core"),
        ),
        "too-many-requests": lambda: json_reply(
            429,
            {
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": "Rate limit of 100 requests per minute exceeded. Retry after 30 seconds.",
            },
            ("Retry-After", "30"),
            ("RateLimit-Limit", "100"),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "30"),
            content_type="application/problem+json",
        ),
        "proxy-auth": lambda: text_reply(
            407,
            "<html><body><h1>407 Proxy Authentication Required</h1><p>The corporate proxy needs your "
            "credentials before this request can go out.</p></body></html>\n",
            "text/html; charset=utf-8",
            ("Proxy-Authenticate", "Negotiate"),
            ("Proxy-Authenticate", 'Basic realm="Corporate Proxy"'),
        ),
        "waf-blocked": lambda: text_reply(
            403,
            "<!doctype html><html><head><title>Attention Required!</title></head><body><h1>Sorry, you "
            "have been blocked</h1><p>This website is using a security service to protect itself from "
            "online attacks.</p><p>Ray ID: 7d1e2f3a4b5c6d7e</p></body></html>\n",
            "text/html; charset=utf-8",
            ("cf-ray", "7d1e2f3a4b5c6d7e-FRA"),
            ("cf-mitigated", "challenge"),
        ),
        "clock-skew": lambda: json_reply(
            200,
            {
                "server_time": _iso(now + SKEW_S),
                "note": "This server's clock runs 7 minutes ahead; see the Date header.",
            },
            date_offset_s=SKEW_S,
        ),
    }


@_route(r"/scenario/([A-Za-z0-9_-]+)", _ANY)
def _scenario(req: DemoRequest, st: _DemoState) -> Reply:
    replies = _scenario_replies(req, st)
    make = replies.get(req.groups[0])
    if make is None:
        return json_reply(
            404,
            {
                "error": "unknown_scenario",
                "message": f"There is no scenario '{req.groups[0]}'.",
                "scenarios": sorted(replies),
            },
        )
    return make()


# ---------------------------------------------------------------------------------------------------------
# Refusals shaped like other vendors' (vendors.py): registered here, answered there.
def _vendor_endpoint(handle: vendors.Handler) -> _Handler:
    def answer(req: DemoRequest, st: _DemoState) -> Reply:
        out = handle(req, st)
        return Reply(out.status, out.body, out.content_type, list(out.headers))

    return answer


for _pattern, _methods, _handle in vendors.ROUTES:
    _route(_pattern, _methods)(_vendor_endpoint(_handle))


# ---------------------------------------------------------------------------------------------------------
# Basic, Digest, API keys
def _basic_credentials(req: DemoRequest) -> tuple[str, str] | None:
    auth = (req.header("Authorization") or "").strip()
    scheme, _, encoded = auth.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    return (user, password) if sep else None


@_route(r"/auth/basic")
def _auth_basic(req: DemoRequest, st: _DemoState) -> Reply:
    creds = _basic_credentials(req)
    if creds and _bytes_eq(creds[0], DEMO_USER) and _bytes_eq(creds[1], DEMO_PASSWORD):
        return json_reply(200, {"authenticated": True, "user": creds[0], "scheme": "Basic"})
    # Spring Security's default error body
    return json_reply(
        401,
        {"timestamp": _iso(st.now()), "status": 401, "error": "Unauthorized", "path": req.path},
        ("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"'),
    )


def _digest(req: DemoRequest, st: _DemoState, algorithms: tuple[str, ...]) -> Reply:
    now = st.now()

    def refuse(message: str, stale: bool = False) -> Reply:
        nonce = make_nonce(st.nonce_secret, now)
        lines = [
            (
                "WWW-Authenticate",
                f'Digest realm="{REALM}", qop="auth", algorithm={alg}, nonce="{nonce}", '
                f'opaque="{st.digest_opaque}"' + (", stale=true" if stale else ""),
            )
            for alg in algorithms
        ]
        return json_reply(401, {"error": "unauthorized", "message": message}, *lines)

    auth = (req.header("Authorization") or "").strip()
    scheme, _, rest = auth.partition(" ")
    if scheme.lower() != "digest":
        return refuse("Digest authentication is required.")
    p = parse_digest_params(rest)
    algorithm = p.get("algorithm", "MD5").upper()
    if algorithm not in algorithms:
        return refuse(f"The algorithm {algorithm[:20]} is not offered here; use {' or '.join(algorithms)}.")
    missing = [
        k for k in ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce") if k not in p
    ]
    if missing:
        return refuse(f"The Digest credentials lack {', '.join(missing)}.")
    if p["qop"] != "auth":
        return refuse("Only qop=auth is supported.")
    if p["uri"] != req.target:
        return refuse("The Digest uri does not match the request target.")
    if p["realm"] != REALM or p.get("opaque", st.digest_opaque) != st.digest_opaque:
        return refuse("The Digest realm or opaque value does not match the challenge.")
    age = nonce_age(st.nonce_secret, p["nonce"], now)
    if age is None:
        return refuse("The nonce was not issued by this server.")
    if age > NONCE_LIFETIME_S:
        return refuse("The nonce is stale: answer the new challenge.", stale=True)
    expected = digest_response(
        algorithm,
        p["username"],
        REALM,
        DEMO_PASSWORD,
        req.method,
        p["uri"],
        p["nonce"],
        p["nc"],
        p["cnonce"],
        p["qop"],
    )
    if not (_bytes_eq(p["username"], DEMO_USER) and _bytes_eq(p["response"].lower(), expected)):
        return refuse("The user name or password is wrong.")
    return json_reply(
        200, {"authenticated": True, "user": p["username"], "scheme": "Digest", "algorithm": algorithm}
    )


@_route(r"/auth/digest")
def _auth_digest(req: DemoRequest, st: _DemoState) -> Reply:
    # RFC 7616 §3.7: the preferred algorithm first
    return _digest(req, st, ("SHA-256", "MD5"))


@_route(r"/auth/digest/(md5|sha-256)")
def _auth_digest_one(req: DemoRequest, st: _DemoState) -> Reply:
    algorithm = req.groups[0].upper()
    assert algorithm in DIGEST_ALGORITHMS
    return _digest(req, st, (algorithm,))


def _api_key_reply(key: str | None, where: str) -> Reply:
    # Kong's key-auth plugin
    challenge_line = ("WWW-Authenticate", f'Key realm="{REALM}"')
    if not key:
        return json_reply(401, {"message": "No API key found in request"}, challenge_line)
    if not _bytes_eq(key, DEMO_API_KEY):
        return json_reply(401, {"message": "Invalid authentication credentials"}, challenge_line)
    return json_reply(200, {"authenticated": True, "scheme": "api-key", "in": where})


@_route(r"/auth/api-key")
def _auth_api_key(req: DemoRequest, st: _DemoState) -> Reply:
    return _api_key_reply(req.header("X-API-Key"), "header")


@_route(r"/auth/api-key-query")
def _auth_api_key_query(req: DemoRequest, st: _DemoState) -> Reply:
    return _api_key_reply(req.arg("api_key"), "query")


# ---------------------------------------------------------------------------------------------------------
# OAuth 2 token endpoint (RFC 6749 §4.4, §6, §5.2)
def _oauth_error(status: int, error: str, description: str, *headers: tuple[str, str]) -> Reply:
    return json_reply(
        status,
        {"error": error, "error_description": description},
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
        *headers,
    )


def _token_params(req: DemoRequest) -> dict[str, str]:
    try:
        return req.form()
    except ValueError:
        raise _BadRequest("The token request body is not valid JSON.") from None


def _token_endpoint(req: DemoRequest, st: _DemoState, lifetime_s: int) -> Reply:
    params = _token_params(req)
    invalid_client = (
        401,
        "invalid_client",
        "Client authentication failed",
        ("WWW-Authenticate", f'Basic realm="{REALM}"'),
    )
    basic = _basic_credentials(req)
    if basic and (
        "client_secret" in params or "client_id" in params and params["client_id"] != unquote_plus(basic[0])
    ):
        return _oauth_error(400, "invalid_request", "Use one client authentication method, not two.")
    client_secret: str | None
    if basic:
        client_id, client_secret = unquote_plus(basic[0]), unquote_plus(basic[1])
    else:
        client_id, client_secret = params.get("client_id", ""), params.get("client_secret")
    if client_id == CONFIDENTIAL_CLIENT_ID:
        if client_secret is None or not _bytes_eq(client_secret, DEMO_CLIENT_SECRET):
            return _oauth_error(*invalid_client)
    elif client_id in identity.PUBLIC_CLIENTS:  # demo-cli, and the device flow's demo clients
        if client_secret:
            return _oauth_error(*invalid_client)
    else:
        return _oauth_error(*invalid_client)

    grant = params.get("grant_type")
    refresh = None
    if not grant:
        return _oauth_error(400, "invalid_request", "The grant_type parameter is missing.")
    if grant == "client_credentials":
        if client_id != CONFIDENTIAL_CLIENT_ID:
            return _oauth_error(400, "unauthorized_client", "This client may not use client_credentials.")
    elif grant == "refresh_token":
        given = params.get("refresh_token", "")
        if given and identity.refresh_token_scope(st, given) is not None:  # from a browser or device sign-in
            return identity.issue_tokens(st, client_id, identity.refresh_token_scope(st, given) or "")
        if not given or not _bytes_eq(given, DEMO_REFRESH_TOKEN):
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid or expired.")
        refresh = DEMO_REFRESH_TOKEN  # not rotated, so the demo's refresh token keeps working
    elif grant in identity.GRANTS:  # authorization_code, device_code, password
        return identity.grant(grant, params, client_id, st)
    else:
        return _oauth_error(400, "unsupported_grant_type", f"The grant type '{grant[:40]}' is not supported.")

    requested = params.get("scope", "").split() or [DEFAULT_TOKEN_SCOPE]
    unknown = [s for s in requested if s not in ALL_SCOPES]
    if unknown:
        return _oauth_error(400, "invalid_scope", f"Unknown scope: {' '.join(unknown)[:80]}.")
    audience = params.get("audience")
    if audience and audience != DEMO_AUDIENCE:
        # Auth0's answer for an API it does not know
        return _oauth_error(403, "access_denied", f"Service not enabled within domain: {audience[:80]}")
    scope = " ".join(requested)
    claims = access_claims(st.issuer, st.now(), scope=scope, lifetime_s=lifetime_s, client_id=client_id)
    if grant == "client_credentials":
        claims.update(sub=f"{client_id}@clients", gty="client-credentials")
        claims.pop("acr")
        claims.pop("auth_time")
    body: dict[str, Any] = {
        "access_token": st.key.sign(claims),
        "token_type": "Bearer",
        "expires_in": lifetime_s,
        "scope": scope,
    }
    if refresh:
        body["refresh_token"] = refresh
    return json_reply(200, body, ("Cache-Control", "no-store"), ("Pragma", "no-cache"))


@_route(r"/oauth/token", ("POST",))
def _oauth_token(req: DemoRequest, st: _DemoState) -> Reply:
    return _token_endpoint(req, st, 300)


@_route(r"/oauth/token-short", ("POST",))
def _oauth_token_short(req: DemoRequest, st: _DemoState) -> Reply:
    return _token_endpoint(req, st, 5)


# The sign-in side (login form, browser and device flows, key rotation) and the TLS index live beside this
# module; their routes join the table here.
for _pattern, _methods, _handler in (*identity.ROUTES, *demo_tls.ROUTES, *burst.ROUTES):
    _route(_pattern, _methods)(_handler)


# ---------------------------------------------------------------------------------------------------------
# Running servers
_REGISTRY_LOCK = threading.Lock()
_RUNNING: dict[int, _DemoState] = {}  # by port: mint_token finds the key of a server in this process


class DemoServer:
    """A running demo API. stop() is idempotent and ends pending slow requests at once."""

    def __init__(self, httpd: _DemoHTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self._httpd.state.base_url

    @property
    def port(self) -> int:
        return self._httpd.state.port

    @property
    def issuer(self) -> str:
        return self._httpd.state.issuer

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        state = self._httpd.state
        state.stopping.set()
        with _REGISTRY_LOCK:
            if _RUNNING.get(state.port) is state:
                del _RUNNING[state.port]
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(timeout=5)
        if state.tls is not None:
            state.tls.stop()  # its servers, and the private folder of its keys

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DemoServer({self.base_url!r}, stopped={self._stopped})"


def _url_host(host: str) -> str:
    """The host as it goes in the base URL: a wildcard bind is reached on loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def start_demo_server(
    host: str = "127.0.0.1", port: int = 0, *, log: Callable[[str], None] | None = None
) -> DemoServer:
    """Start the demo API in a daemon thread and return at once. `log` gets one masked line per request."""
    server_class = _DemoHTTPServer6 if ":" in host else _DemoHTTPServer
    try:
        httpd = server_class((host, port), _RequestHandler, bind_and_activate=False)
        httpd.server_bind()
        httpd.server_activate()
    except OSError as exc:
        raise DemoError(
            f"The demo API cannot listen on {host}:{port}: {exc.strerror or exc}. "
            "Choose another port with --port, or 0 for any free port."
        ) from None
    actual_port = int(httpd.server_address[1])
    base_url = f"http://{_url_host(host)}:{actual_port}"
    httpd.state = _DemoState(base_url, actual_port, log)
    try:
        httpd.state.tls = demo_tls.DemoTls.start(host)
    except (OSError, ssl.SSLError, ValueError) as exc:  # the HTTP demo still runs; GET /tls says why not
        if log is not None:
            log(f"The demo's TLS endpoints did not start: {exc}")
    with _REGISTRY_LOCK:
        _RUNNING[actual_port] = httpd.state
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name=f"demo-api-{actual_port}", daemon=True
    )
    thread.start()
    return DemoServer(httpd, thread)


def run_forever(
    host: str = "127.0.0.1", port: int = 8765, *, verbose: bool = False, out: TextIO | None = None
) -> int:
    """`python main.py demo-server`: print the URL, serve until Ctrl+C, stop cleanly; returns 0."""
    out = out or sys.stdout

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    server = start_demo_server(host, port, log=log if verbose else None)
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Ctrl+C and a service manager's SIGTERM both stop cleanly. SIGINT is installed explicitly too: a
        # process started in the background by a non-interactive shell inherits SIGINT as ignored. Installed
        # before the URL is printed, since whoever reads the URL may signal at once.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _raise_keyboard_interrupt)
    try:
        print(f"Demo API running at {server.base_url}/ (Ctrl+C to stop)", file=out, flush=True)
        if not is_loopback(host):
            print(
                "Warning: the demo API is reachable from other machines; its demo secrets are public.",
                file=sys.stderr,
                flush=True,
            )
        forever = threading.Event()
        while not forever.wait(0.5):  # short waits keep Ctrl+C responsive on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            if handler is not None:  # None: the old handler was not installed from Python
                signal.signal(sig, handler)
    return 0


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------------------------
# Tokens, environment and profiles for the app
def _state_for(base_url: str) -> _DemoState | None:
    try:
        port = urlsplit(base_url).port
    except ValueError:
        return None
    with _REGISTRY_LOCK:
        return _RUNNING.get(port) if port is not None else None


def _fetch_json(url: str) -> dict[str, Any]:
    """Ask a demo API in another process (loopback only)."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise DemoError(f"The demo API must run on this machine (127.0.0.1 or localhost), not at {url}.")
    try:
        with requests.Session() as session:
            session.trust_env = False  # no proxy or .netrc for a loopback call
            response = session.get(url, timeout=10)
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DemoError(
            f"The demo API at {url} did not answer with a token ({type(exc).__name__}): start it "
            "with 'python main.py demo-server' and pass its URL."
        ) from None
    if not isinstance(doc, dict):
        raise DemoError(f"The demo API at {url} answered with something that is not a JSON object.")
    return doc


def mint_token(base_url: str, scenario: str) -> str:
    """A fresh token for a scenario of TOKEN_SCENARIOS, from the demo server at base_url.

    A server running in this process signs directly; another process's server is asked at /tokens/SCENARIO.
    """
    if scenario not in TOKEN_SCENARIOS:
        raise UnknownScenarioError(
            f"There is no demo token scenario '{scenario}': use one of {', '.join(TOKEN_SCENARIOS)}."
        )
    state = _state_for(base_url)
    if state is not None:
        return mint_with_key(state.key, state.issuer, scenario, state.now())
    doc = _fetch_json(f"{base_url.rstrip('/')}/tokens/{scenario}")
    return str(doc.get("access_token", ""))


def burst_token_set(base_url: str) -> dict[str, str]:
    """The incident burst's tokens (burst.burst_tokens) from the demo server at base_url: signed directly when
    it runs in this process, else asked at /burst/tokens."""
    state = _state_for(base_url)
    if state is not None:
        return burst.burst_tokens(state)
    found = _fetch_json(f"{base_url.rstrip('/')}/burst/tokens").get("tokens", {})
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def env_name(scenario: str) -> str:
    """The environment variable that holds a scenario's token: DEMO_TOKEN_NOT_YET_VALID, ..."""
    return "DEMO_TOKEN_" + scenario.upper().replace("-", "_")


def demo_environment(base_url: str) -> dict[str, str]:
    """The ${env:...} values the demo profiles refer to: fresh tokens (valid 1 h) and the demo secrets."""
    state = _state_for(base_url)
    if state is not None:
        now = state.now()
        tokens = {name: mint_with_key(state.key, state.issuer, name, now) for name in TOKEN_SCENARIOS}
    else:
        fetched = _fetch_json(f"{base_url.rstrip('/')}/tokens").get("tokens", {})
        tokens = {str(k): str(v) for k, v in fetched.items()} if isinstance(fetched, dict) else {}
    env = {
        "INSPECTOR_DEMO_URL": base_url.rstrip("/"),
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "DEMO_API_KEY": DEMO_API_KEY,
        "DEMO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "DEMO_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
        "DEMO_KEY_PASSWORD": demo_tls.DEMO_KEY_PASSWORD,
    }
    # a signed-in session of the login form, for the cookie profile (as if copied from a browser)
    if state is not None:
        env["DEMO_SESSION_COOKIE"] = state.identity.new_session(state.now(), 3600)
    else:
        env["DEMO_SESSION_COOKIE"] = str(_fetch_json(f"{base_url.rstrip('/')}/app/demo-session")
                                         .get("sessionid", ""))
    if "valid" in tokens:
        env["DEMO_ACCESS_TOKEN"] = tokens["valid"]
    env.update({env_name(name): token for name, token in tokens.items()})
    return env


DEMO_PLACEHOLDER = "{demo}"
TLS_FILES_PLACEHOLDER = "{demo-tls}"  # the folder of the demo PKI's files
MTLS_PLACEHOLDER = "{demo-mtls}"  # the URL of the demo's mTLS endpoint


def demo_profile_sources() -> list[tuple[str, str]]:
    """(file name, text) of the demo profiles shipped in resources/profiles, sorted by name."""
    from inspector.assets import resource

    folder = resource("profiles")
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml") and entry.is_file():
            out.append((entry.name, entry.read_text(encoding="utf-8")))
    return sorted(out)


def _tls_places(base: str) -> tuple[str, str]:
    """The demo PKI's folder and the mTLS endpoint's URL of the demo at base. Without a server to ask, a
    folder that does not exist (profiles check says so) and the /tls index to look them up."""
    state = _state_for(base)
    info: dict[str, Any] | None = state.tls.info() if state is not None and state.tls is not None else None
    if info is None and state is None:
        try:
            info = _fetch_json(f"{base}/tls")
        except DemoError:
            info = None
    files = info.get("files") if isinstance(info, dict) else None
    servers = info.get("servers") if isinstance(info, dict) else None
    if (isinstance(files, dict) and isinstance(servers, dict) and files.get("ca_bundle")
            and servers.get("mtls")):
        return str(Path(str(files["ca_bundle"])).parent), str(servers["mtls"])
    return str(Path(tempfile.gettempdir()) / "inspector-demo-tls-not-running"), f"{base}/tls"


def materialize_demo_profiles(base_url: str, folder: Path) -> Path:
    """Write the demo profiles into folder with "{demo}" replaced by base_url (and the TLS profile's
    "{demo-tls}" and "{demo-mtls}" by the running demo's PKI folder and mTLS URL); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    tls: tuple[str, str] | None = None
    for name, text in demo_profile_sources():
        if TLS_FILES_PLACEHOLDER in text or MTLS_PLACEHOLDER in text:
            tls = tls or _tls_places(base)
            text = text.replace(TLS_FILES_PLACEHOLDER, tls[0]).replace(MTLS_PLACEHOLDER, tls[1])
        # atomic: a watcher never sees half a file
        atomic_write(folder / name, text.replace(DEMO_PLACEHOLDER, base).encode("utf-8"), SHARED_FILE)
    return folder
