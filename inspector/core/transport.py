"""send(spec, ...) -> Exchange over a requests.Session, one hop at a time.

Redirects are followed here rather than by requests so that every hop is recorded and so that credentials a
profile adds go only to the origin the user asked for. Transport errors are translated into a kind and a
sentence in exactly one place: `describe_failure`.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
from requests.structures import CaseInsensitiveDict

from inspector.core.errors import RequestError, TransportError
from inspector.core.exchange import ErrorKind, Exchange, Hop, HopRole, Response, TransportFailure
from inspector.core.redact import Redactor, mask_url, url_secret_values
from inspector.core.request import CONTENT_TYPE_FOR_KIND, RequestSpec

MiB = 1024 * 1024
DEFAULT_MAX_BODY = 100 * MiB
TRUNCATED_PREVIEW = 1 * MiB  # what is kept of a body over the cap
CHUNK = 64 * 1024
USER_AGENT = "RequestInspector/0.1"
# Headers a user may set that carry credentials: dropped when a redirect leaves the origin, as browsers do.
_USER_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProfileAuth(Protocol):
    """What a profile's credentials can do; see inspector/core/profiles/auth.py. Methods are optional."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest: ...


ProgressFn = Callable[[int, int | None], None]


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def describe_failure(exc: BaseException, method: str, url: str) -> TransportFailure:
    """The one place where an exception from requests/urllib3/sockets becomes a kind and a sentence."""
    target = f"{method} {mask_url(url)}"  # the sentence is shown and stored: no API key or password in it
    parts = urlsplit(url)
    host = parts.hostname or url
    hostport = f"{host}:{parts.port}" if parts.port else host
    text = Redactor(url_secret_values(url)).scrub(str(exc))  # urllib3 quotes the path and query it tried
    if isinstance(exc, TransportError):
        return TransportFailure(exc.kind, str(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        detail, cert_problem = _ssl_reason(text)
        hint = (" If you trust this server (a test server with its own certificate), turn off 'Verify TLS'"
                " (--insecure)." if cert_problem else "")
        return TransportFailure("tls", f"{target} failed: the TLS handshake with {hostport} failed ({detail}).{hint}")
    # urllib3's own exceptions reach here unwrapped only from reading the body: status and headers had arrived.
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return TransportFailure(
            "timeout", f"{target} timed out: {hostport} sent the status and headers, then stopped sending before "
                       "the body was complete."
        )
    short_read = _find_cause(exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead)
    if short_read is not None:
        got, more = getattr(short_read, "partial", None), getattr(short_read, "expected", None)
        got = len(got) if isinstance(got, bytes) else got
        detail = (f": the connection closed after {got} bytes of the body, with {more} more announced"
                  if isinstance(got, int) and isinstance(more, int) else " before it was complete")
        return TransportFailure("connection", f"{target} failed: the response body from {hostport} was cut off"
                                              f"{detail}.")
    bad_status = _find_cause(exc, http.client.BadStatusLine)
    if bad_status is not None and not isinstance(bad_status, http.client.RemoteDisconnected):
        line = _short(str(bad_status.args[0]) if bad_status.args else "", 80)
        return TransportFailure("other", f"{target} failed: {hostport} answered with something that is not an "
                                         f"HTTP response (its first line was {line!r}).")
    if isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError)):
        exc = requests.exceptions.ChunkedEncodingError(text)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportFailure("timeout", f"{target} timed out while connecting to {hostport}.")
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.Timeout, socket.timeout)):
        return TransportFailure(
            "timeout", f"{target} timed out: {hostport} accepted the connection but did not answer in time."
        )
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)):
        return TransportFailure("invalid-url", f"{target} cannot be sent: the URL is not valid ({text}).")
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return TransportFailure("too-many-redirects", f"{target} was redirected too many times ({text}).")
    if isinstance(exc, requests.exceptions.ConnectionError):
        low = text.lower()
        if any(s in low for s in ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                                  "temporary failure in name resolution", "no address associated",
                                  "nameresolutionerror", "failed to resolve")):
            return TransportFailure(
                "dns", f"{target} failed: the host name '{host}' could not be resolved. Check the spelling."
            )
        if "refused" in low:
            return TransportFailure(
                "connection",
                f"{target} failed: the connection to {hostport} was refused. Is the server running on that port?",
            )
        if "read timed out" in low:
            return TransportFailure(
                "timeout", f"{target} timed out: {hostport} stopped sending before the response was complete."
            )
        if "timed out" in low or "timeout" in low:
            return TransportFailure("timeout", f"{target} timed out while connecting to {hostport}.")
        if "got more than" in low and "headers" in low or "line too long" in low or "linetoolong" in low:
            return TransportFailure(
                "too-large", f"{target} failed: the response headers from {hostport} are too large to read."
            )
        if "remotedisconnected" in low or "connection aborted" in low or "reset by peer" in low:
            return TransportFailure(
                "connection", f"{target} failed: {hostport} closed the connection without answering."
            )
        return TransportFailure("connection", f"{target} failed: could not talk to {hostport} ({_short(text)}).")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return TransportFailure(
            "connection", f"{target} failed: the response body from {hostport} was cut off or corrupt ({_short(text)})."
        )
    if isinstance(exc, (http.client.LineTooLong, http.client.HTTPException)):
        too_large = "too long" in text.lower() or "more than" in text.lower()
        kind: ErrorKind = "too-large" if too_large else "other"
        return TransportFailure(kind, f"{target} failed: {hostport} sent a response that cannot be read ({text}).")
    if isinstance(exc, OSError):
        return TransportFailure("connection", f"{target} failed: {exc.strerror or _short(text)}.")
    return TransportFailure("other", f"{target} failed: {type(exc).__name__}: {_short(text)}.")


def _find_cause(exc: BaseException, *types: type[BaseException]) -> BaseException | None:
    """The first exception of these types inside exc: requests and urllib3 nest them in args and causes."""
    todo: list[object] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 20:  # bounded: chains are short, but never loop on a cycle
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, types):
            return item
        todo.extend([*item.args, item.__cause__, item.__context__])
    return None


def _ssl_reason(text: str) -> tuple[str, bool]:
    """A reason in words, and whether it is about the certificate (so --insecure would help)."""
    low = text.lower()
    if "certificate verify failed" in low:
        if "self-signed" in low or "self signed" in low:
            return "the certificate is self-signed", True
        if "hostname mismatch" in low or "doesn't match" in low:
            return "the certificate is for another host name", True
        if "expired" in low:
            return "the certificate has expired", True
        return "the certificate could not be verified", True
    if "wrong version number" in low or "record layer failure" in low or "packet length too long" in low:
        return "the server does not speak TLS on this port; try http://", False
    return _short(text), False


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_request(spec: RequestSpec, stack: ExitStack) -> requests.Request:
    """The requests.Request for a spec: headers, and the body by its kind. Files are opened on `stack`."""
    headers: dict[str, str] = {}
    for name, value in spec.enabled_headers():
        # Keep the user's spelling; a repeated name keeps the last value (requests holds one per name).
        for existing in list(headers):
            if existing.lower() == name.lower():
                del headers[existing]
        headers[name.strip()] = value
    has_ctype = any(k.lower() == "content-type" for k in headers)
    body = spec.body
    data: Any = None
    files: Any = None
    if body.kind in ("json", "text"):
        data = body.text.encode("utf-8")
    elif body.kind == "form":
        data = [(f.name, f.value) for f in body.fields if f.enabled and f.name]
    elif body.kind == "multipart":
        data = [(f.name, f.value) for f in body.fields if f.enabled and f.name and not f.is_file]
        files = []
        for f in body.fields:
            if not (f.enabled and f.name and f.is_file):
                continue
            path = Path(f.value).expanduser()
            try:
                handle = stack.enter_context(path.open("rb"))
            except OSError as exc:
                raise RequestError(
                    f"The file '{path}' for multipart field '{f.name}' cannot be read: {exc.strerror}."
                ) from None
            files.append((f.name, (path.name, handle)))
        if not files:
            # requests only writes multipart when there are files; force it for a fields-only multipart body
            files = [(name, (None, value)) for name, value in data]
            data = None
    if not has_ctype and body.kind in CONTENT_TYPE_FOR_KIND:
        headers["Content-Type"] = CONTENT_TYPE_FOR_KIND[body.kind]
    return requests.Request(spec.method.upper(), spec.url.strip(), headers=headers, data=data, files=files)


def new_session() -> requests.Session:
    """A session whose direct connections a cancel can break off, even while a read is blocked."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    for prefix in ("http://", "https://"):
        session.mount(prefix, _CancellableAdapter())
    return session


# -- Cancelling a blocked read ---------------------------------------------------------------------------------
# A thread waiting for a slow server sits inside http.client's recv(); a flag it checks between reads cannot
# reach it there. Each send's thread registers the sockets its requests wait on, and a small watcher shuts
# them down when the cancel event is set: the blocked recv() returns at once and the send ends as cancelled.

_LOCAL = threading.local()


class _SocketWatch:
    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.done = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
        if self.cancel.is_set():
            self._shut()

    def watch(self) -> None:
        while not self.done.is_set():
            if self.cancel.wait(0.05):
                self._shut()
                return

    def _shut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


class _WatchedConnection:
    """Mixin for urllib3 connections: register the socket with the current send's watch while it waits."""

    sock: socket.socket | None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_LOCAL, "watch", None)
        if watch is not None:
            watch.add(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CancellableAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Cancelled(Exception):
    pass


def send(
    spec: RequestSpec,
    *,
    session: requests.Session | None = None,
    auth: Any | None = None,
    cancel: threading.Event | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    max_redirects: int = 30,
    clock: Callable[[], datetime] = utc_now,
    on_progress: ProgressFn | None = None,
    body_sink: IO[bytes] | None = None,
) -> Exchange:
    """Send a request and every redirect hop it leads to; never raises for a transport failure.

    RequestError propagates for bad input. With `body_sink`, the final body is streamed there uncapped
    (for "save the whole body to a file") and the Exchange keeps only a preview.
    """
    spec.validate()
    own_session = session is None
    session = session or new_session()
    cancel = cancel or threading.Event()
    hops: list[Hop] = []
    extra: dict[str, object] = {}
    started = clock()
    watch = _SocketWatch(cancel)
    _LOCAL.watch = watch
    threading.Thread(target=watch.watch, name="inspector-cancel-watch", daemon=True).start()
    try:
        with ExitStack() as stack:
            base = session.prepare_request(build_request(spec, stack))
            error = _run(spec, session, auth, base, hops, extra, cancel, max_body_bytes, max_redirects, clock,
                         on_progress, body_sink)
    finally:
        watch.done.set()
        _LOCAL.watch = None
        if own_session:
            session.close()
    first = next((h for h in hops if h.role == "request"), None)
    return Exchange(
        spec=spec,
        hops=tuple(hops),
        error=error,
        sent_at=first.sent_at if first and first.sent_at else started,
        received_at=clock(),
        extra=extra,
    )


def _run(
    spec: RequestSpec,
    session: requests.Session,
    auth: Any | None,
    base: requests.PreparedRequest,
    hops: list[Hop],
    extra: dict[str, object],
    cancel: threading.Event,
    max_body_bytes: int,
    max_redirects: int,
    clock: Callable[[], datetime],
    on_progress: ProgressFn | None,
    body_sink: IO[bytes] | None,
) -> TransportFailure | None:
    timeout = (spec.timeout_s, spec.timeout_s)
    settings = session.merge_environment_settings(base.url or spec.url, {}, None, spec.verify_tls, None)
    proxies, verify = settings["proxies"], settings["verify"]

    def one(prepared: requests.PreparedRequest, role: HopRole, stripped: tuple[str, ...] = (),
            netrc: bool = False, sink: IO[bytes] | None = None) -> Hop:
        if cancel.is_set():
            raise _Cancelled
        sent_at = clock()
        t0 = time.monotonic()
        try:
            resp = session.send(prepared, stream=True, allow_redirects=False, timeout=timeout, verify=verify,
                                proxies=proxies)
        except Exception:  # recorded as a hop without a response, then translated by describe_failure
            hops.append(Hop(prepared.method or "", prepared.url or "", _sent_headers(prepared),
                            _sent_body(prepared), None, time.monotonic() - t0, sent_at, role, stripped, netrc))
            raise
        try:
            body, received, truncated = _read_body(resp, cancel, max_body_bytes, on_progress, sink)
        finally:
            resp.close()
        response = Response(
            status=resp.status_code,
            reason=resp.reason or http.client.responses.get(resp.status_code, ""),
            headers=_raw_header_lines(resp),
            body=body,
            body_bytes=received,
            body_truncated=truncated,
            http_version=_http_version(resp),
        )
        hop = Hop(prepared.method or "", prepared.url or "", _sent_headers(prepared), _sent_body(prepared),
                  response, time.monotonic() - t0, sent_at, role, stripped, netrc)
        hops.append(hop)
        return hop

    current = base
    try:
        # 1. A token the profile must fetch first (OAuth 2): its own hop, judged like any other.
        token_req = auth.token_request() if auth is not None and hasattr(auth, "token_request") else None
        if auth is not None and token_req is not None:
            token_prepared = session.prepare_request(token_req)
            current = token_prepared
            token_hop = one(token_prepared, "token")
            problem = auth.accept_token_response(token_hop, clock())
            if problem:
                extra["token_problem"] = problem
                return None
        # 2. The user's request, then each redirect.
        start_origin = origin(base.url or "")
        user_auth = base.headers.get("Authorization")
        spec_auth = spec.header("Authorization")
        netrc = spec_auth is not None and user_auth != spec_auth
        current = _with_auth(base.copy(), auth)
        stripped: tuple[str, ...] = ()
        retried: set[str] = set()
        while True:
            sink = body_sink
            hop = one(current, "request", stripped, netrc, sink)
            response = hop.response
            assert response is not None
            if response.status == 401 and auth is not None and hasattr(auth, "retry_after_challenge") \
                    and current.url not in retried:
                answer = auth.retry_after_challenge(current, response)
                if answer is not None:
                    retried.add(current.url or "")
                    current = answer
                    continue
            if not (spec.follow_redirects and response.is_redirect):
                return None
            if len([h for h in hops if h.role == "request"]) > max_redirects:
                return TransportFailure(
                    "too-many-redirects",
                    f"{spec.method} {mask_url(spec.url)} was redirected more than {max_redirects} times; "
                    f"the last hop went to {mask_url(hop.url)}.",
                )
            current, stripped = _next_hop(session, current, hop, response, start_origin, auth, base)
    except _Cancelled:
        return TransportFailure("cancelled", f"{spec.method} {mask_url(spec.url)} was cancelled.")
    except Exception as exc:  # noqa: BLE001 - every failure becomes an Exchange.error, in one place
        if cancel.is_set():  # the watch broke the connection off: that is the cancel, not a server fault
            return TransportFailure("cancelled", f"{spec.method} {mask_url(spec.url)} was cancelled.")
        return describe_failure(exc, current.method or spec.method, current.url or spec.url)


def _with_auth(prepared: requests.PreparedRequest, auth: Any | None) -> requests.PreparedRequest:
    return auth(prepared) if auth is not None else prepared


def _next_hop(
    session: requests.Session,
    previous: requests.PreparedRequest,
    hop: Hop,
    response: Response,
    start_origin: tuple[str, str, int],
    auth: Any | None,
    base: requests.PreparedRequest,
) -> tuple[requests.PreparedRequest, tuple[str, ...]]:
    """The request for the hop after a redirect, following browser rules for methods and credentials."""
    location = response.header("Location") or ""
    location = location.split(",")[0].strip() if location.count("http") > 1 else location.strip()
    url = urljoin(hop.url, location)
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise TransportError("invalid-url", f"{hop.method} {mask_url(hop.url)} redirected to '{mask_url(location)}', which is not an "
                                            "http or https URL.")
    # Start from the request without profile credentials; add them back only on the original origin.
    nxt = base.copy()
    nxt.prepare_url(url, None)
    method = previous.method or "GET"
    if response.status == 303 and method != "HEAD" or response.status in (301, 302) and method == "POST":
        method = "GET"
    nxt.method = method
    if method == "GET" and response.status in (301, 302, 303):
        nxt.body = None
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            nxt.headers.pop(name, None)
    same_origin = origin(url) == start_origin
    stripped: list[str] = []
    nxt.headers.pop("Cookie", None)  # re-derived from the jar for the new URL below
    if not same_origin:
        for name in _USER_CREDENTIAL_HEADERS:
            if name in base.headers:
                nxt.headers.pop(name, None)
                stripped.append(name)
        if auth is not None and hasattr(auth, "added_names"):
            stripped.extend(n for n in auth.added_names() if n not in stripped)
    else:
        user_cookie = base.headers.get("Cookie")
        if user_cookie is not None:
            nxt.headers["Cookie"] = user_cookie
    nxt.prepare_cookies(session.cookies)
    if same_origin:
        nxt = _with_auth(nxt, auth)
    return nxt, tuple(stripped)


def _read_body(
    resp: requests.Response,
    cancel: threading.Event,
    cap: int,
    on_progress: ProgressFn | None,
    sink: IO[bytes] | None,
) -> tuple[bytes, int, bool]:
    total_header = resp.headers.get("Content-Length")
    try:
        total = int(total_header) if total_header else None
    except ValueError:
        total = None
    chunks: list[bytes] = []
    kept = 0
    received = 0
    truncated = False
    keep_limit = TRUNCATED_PREVIEW if sink is not None else cap
    # read1 returns what has arrived (up to CHUNK) instead of waiting for a full chunk, so a slow body still
    # reports progress and notices a cancel promptly.
    while True:
        chunk = resp.raw.read1(CHUNK, decode_content=True)
        if not chunk:
            if cancel.is_set():  # the cancel watch shut the socket: not the end of the body
                raise _Cancelled
            break
        if cancel.is_set():
            raise _Cancelled
        received += len(chunk)
        if sink is not None:
            sink.write(chunk)
        if kept < keep_limit:
            piece = chunk[: keep_limit - kept]
            chunks.append(piece)
            kept += len(piece)
        if on_progress is not None:
            on_progress(received, total)
        if sink is None and received > cap:
            truncated = True
            break
    if truncated:
        # join only the preview's chunks: joining everything kept first would hold the cap in memory twice
        preview: list[bytes] = []
        size = 0
        while chunks and size < TRUNCATED_PREVIEW:
            piece = chunks.pop(0)[: TRUNCATED_PREVIEW - size]
            preview.append(piece)
            size += len(piece)
        chunks = preview
    body = b"".join(chunks)
    return body, received, truncated


def _raw_header_lines(resp: requests.Response) -> tuple[tuple[str, str], ...]:
    """Header lines as the server sent them: names in their case, repeated lines kept apart."""
    original = getattr(resp.raw, "_original_response", None)
    msg = getattr(original, "msg", None)
    if msg is not None:
        return tuple((k, v) for k, v in msg.items())
    return tuple(resp.raw.headers.items()) if resp.raw is not None else tuple(resp.headers.items())


def _http_version(resp: requests.Response) -> str:
    version = getattr(resp.raw, "version", 11)
    return {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(version, "HTTP/1.1")


def _sent_headers(prepared: requests.PreparedRequest) -> tuple[tuple[str, str], ...]:
    headers: CaseInsensitiveDict[str | bytes] = prepared.headers
    lines = [(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in headers.items()]
    return tuple(lines)


def _sent_body(prepared: requests.PreparedRequest, limit: int = MiB) -> bytes:
    body = prepared.body
    if body is None:
        return b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, bytes):
        return body[:limit]
    return b""  # a stream: not kept
