"""send(spec, ...) -> Exchange over a requests.Session, one hop at a time.

Redirects are followed here rather than by requests so that every hop is recorded and so that credentials
go only where they were meant to: `may_carry_credentials` is the one origin rule for every credential (a
profile's, the secret headers the user typed, a Digest answer, a .netrc entry), and proxy credentials go only
to the proxy chosen for each hop. The whole send (token request, every hop, headers and body) has one
deadline, `spec.timeout_s`. Transport errors become a kind and a sentence in one place, `describe_failure`
(and `_Sender.deadline_failure` for the deadline, which needs to know what the send was waiting for).

Sends share a session (`new_session`: one per window tab, one per CLI process through `shared_session`):
connections are kept alive between sends, each TLS setting (CA bundle, client certificate, key password)
gets its own SSL context, built once, and its own pooled connections, and one watcher thread breaks off the
blocked reads of every send in flight. Cookies never outlive a send: they go to the profile's jar, or to the
send's own jar (redirects and sign-in steps within it), never to the shared session's.
"""

from __future__ import annotations

import hashlib
import http.client
import http.cookiejar
import os
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import requests.auth
import requests.cookies
import requests.utils
import urllib3
import urllib3.connection
import urllib3.util.ssl_
from requests.structures import CaseInsensitiveDict

from inspector.core.cookies import CookieJar
from inspector.core.errors import RequestError, TransportError
from inspector.core.exchange import (
    ErrorKind,
    Exchange,
    HeldCookie,
    Hop,
    HopRole,
    Response,
    TlsReport,
    TransportFailure,
    as_hop_role,
)
from inspector.core.profiles.base import ProfileAuth
from inspector.core.redact import Redactor, is_secret_header, mask_header_value, mask_url, url_secret_values
from inspector.core.request import CONTENT_TYPE_FOR_KIND, RequestSpec
from inspector.core.tls import ClientTls, describe_tls_failure, find_ssl_error

MiB = 1024 * 1024
DEFAULT_MAX_BODY = 100 * MiB
TRUNCATED_PREVIEW = 1 * MiB  # what is kept of a body over the cap
CHUNK = 64 * 1024
USER_AGENT = "RequestInspector/0.1"
# Response header limits, per response (http.client allows only 100 lines, and real APIs behind several
# gateways send more): 1,000 lines and 1 MiB in all bound memory for a hostile server, as browsers do (Chrome
# stops at 256 KiB). A single line stays within http.client's 64 KiB.
MAX_HEADER_LINES = 1000
MAX_HEADER_BYTES = 1 * MiB

# What resolvers and urllib3 say when a host name does not resolve
_TUNNEL_FAILED = "Tunnel connection failed:"
_NAME_NOT_FOUND = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                   "temporary failure in name resolution", "no address associated", "nameresolutionerror",
                   "failed to resolve")

Origin = tuple[str, str, int]
ProgressFn = Callable[[int, int | None], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


def origin(url: str) -> Origin:
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def may_carry_credentials(url: str, meant_for: Origin) -> bool:
    """The one origin rule: a credential meant for an origin goes there only (same scheme, host and port).

    Applied per hop to the profile's credentials, the secret headers the user typed, a .netrc entry and a
    Digest answer; proxy credentials go only to the proxy chosen for each hop (see `_Sender.one`).
    """
    return origin(url) == meant_for


def describe_failure(exc: BaseException, method: str, url: str, proxy: str | None = None) -> TransportFailure:
    """The one place where an exception from requests/urllib3/sockets becomes a kind and a sentence.

    `proxy` is the proxy URL the request went through, if any: a failure to reach it is the proxy's, not the
    target host's.
    """
    target = f"{method} {mask_url(url)}"  # the sentence is shown and stored: no API key or password in it
    host, hostport = _host_and_hostport(url)
    secrets = url_secret_values(url) + (url_secret_values(proxy) if proxy else [])
    text = Redactor(secrets).scrub(str(exc))  # urllib3 quotes the path and query it tried
    if isinstance(exc, TransportError):
        return TransportFailure(exc.kind, str(exc))
    if proxy is not None and isinstance(exc, requests.exceptions.ProxyError):
        return _proxy_failure(target, hostport, proxy, exc, text)
    # TLS 1.3 sends a refused client certificate's alert after the handshake: it surfaces as a connection
    # error on the first read, with the ssl.SSLError inside.
    if isinstance(exc, requests.exceptions.SSLError) or (
            find_ssl_error(exc) is not None and not isinstance(exc, requests.exceptions.ProxyError)):
        detail, cert_problem = _ssl_reason(text)
        hint = (" If you trust this server (a test server with its own certificate), turn off 'Verify TLS'"
                " (--insecure), or trust its CA with ca_bundle in the profile's [tls] table."
                if cert_problem else "")
        return TransportFailure("tls", f"{target} failed: the TLS handshake with {hostport} failed "
                                       f"({detail}).{hint}")
    # urllib3's own exceptions reach here unwrapped only from reading the body: the head had arrived.
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return TransportFailure(
            "timeout", f"{target} timed out: {hostport} sent the status and headers, then stopped sending "
                       "before the body was complete."
        )
    short_read = _find_cause(exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead)
    if short_read is not None:
        got, more = getattr(short_read, "partial", None), getattr(short_read, "expected", None)
        got = len(got) if isinstance(got, bytes) else got
        detail = (f": the connection closed after {got} bytes of the body, with {more} more announced"
                  if isinstance(got, int) and isinstance(more, int) else " before it was complete")
        return TransportFailure("connection", f"{target} failed: the response body from {hostport} was cut "
                                              f"off{detail}.")
    bad_status = _find_cause(exc, http.client.BadStatusLine)
    if bad_status is not None and not isinstance(bad_status, http.client.RemoteDisconnected):
        line = _short(str(bad_status.args[0]) if bad_status.args else "", 80)
        return TransportFailure("other", f"{target} failed: {hostport} answered with something that is not "
                                         f"an HTTP response (its first line was {line!r}).")
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
        if any(s in low for s in _NAME_NOT_FOUND):
            return TransportFailure(
                "dns", f"{target} failed: the host name '{host}' could not be resolved. Check the spelling."
            )
        if "refused" in low:
            return TransportFailure(
                "connection",
                f"{target} failed: the connection to {hostport} was refused. "
                "Is the server running on that port?",
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
        return TransportFailure("connection",
                                f"{target} failed: could not talk to {hostport} ({_short(text)}).")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return TransportFailure(
            "connection",
            f"{target} failed: the response body from {hostport} was cut off or corrupt ({_short(text)}).",
        )
    if isinstance(exc, (http.client.LineTooLong, http.client.HTTPException)):
        too_large = "too long" in text.lower() or "more than" in text.lower()
        kind: ErrorKind = "too-large" if too_large else "other"
        return TransportFailure(kind,
                                f"{target} failed: {hostport} sent a response that cannot be read ({text}).")
    if isinstance(exc, OSError):
        return TransportFailure("connection", f"{target} failed: {exc.strerror or _short(text)}.")
    return TransportFailure("other", f"{target} failed: {type(exc).__name__}: {_short(text)}.")


def _host_and_hostport(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port
    except ValueError:
        port = None
    return host, f"{host}:{port}" if port else host


def _proxy_name(proxy: str) -> str:
    """The proxy as host:port, never with its user name or password."""
    return _host_and_hostport(requests.utils.prepend_scheme_if_needed(proxy, "http"))[1]


def _proxy_failure(target: str, hostport: str, proxy: str, exc: BaseException, text: str) -> TransportFailure:
    """A failure to reach or use the proxy: it names the proxy, not the target host behind it."""
    name = _proxy_name(proxy)
    has_credentials = "@" in urlsplit(requests.utils.prepend_scheme_if_needed(proxy, "http")).netloc
    setting = "the proxy setting (HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, or the session's proxies)"
    low = text.lower()
    tunnel = _find_cause(exc, OSError, urllib3.exceptions.ProxyError, requests.exceptions.ProxyError,
                         where=lambda e: str(e).startswith(_TUNNEL_FAILED))
    if tunnel is not None:  # urllib3: "Tunnel connection failed: 407 Proxy Authentication Required"
        answer = _short(str(tunnel)[len(_TUNNEL_FAILED):].strip(), 80)
        fix = ""
        if answer.startswith("407"):
            fix = (" The proxy did not accept the credentials in the proxy setting." if has_credentials
                   else f" The proxy wants credentials: put them in {setting} as http://user:password@host:port.")
        return TransportFailure("connection", f"{target} failed: the proxy {name} would not open a tunnel to "
                                              f"{hostport}: it answered {answer}.{fix}")
    if any(s in low for s in _NAME_NOT_FOUND):
        return TransportFailure("dns", f"{target} failed: the proxy host name in {name} could not be "
                                       f"resolved. Check {setting}.")
    if "refused" in low:
        return TransportFailure("connection", f"{target} failed: the proxy {name} refused the connection. "
                                              f"Is the proxy running, and is {setting} right?")
    if "timed out" in low or "timeout" in low:
        return TransportFailure("timeout", f"{target} timed out while connecting to the proxy {name}.")
    return TransportFailure("connection",
                            f"{target} failed: could not talk to the proxy {name} ({_short(text)}).")


def _find_cause(exc: BaseException, *types: type[BaseException],
                where: Callable[[BaseException], bool] = lambda e: True) -> BaseException | None:
    """The first exception of these types (and matching `where`) inside exc: requests and urllib3 nest them in
    args, causes and MaxRetryError.reason."""
    todo: list[object] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 20:  # bounded: chains are short, but never loop on a cycle
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, types) and where(item):
            return item
        todo.extend([*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)])
    return None


def _ssl_reason(text: str) -> tuple[str, bool]:
    """A reason in words, and whether it is about the certificate (so --insecure would help)."""
    low = text.lower()
    if "certificate verify failed" in low:
        if "self-signed" in low or "self signed" in low:
            return "the certificate is self-signed", True
        if "hostname mismatch" in low or "doesn't match" in low or "ip address mismatch" in low:
            return "the certificate is for another host name", True
        if "expired" in low:
            return "the certificate has expired", True
        if "not yet valid" in low:
            return "the certificate is not valid yet", True
        if "local issuer" in low or "unknown ca" in low:
            return "the certificate is signed by a CA this computer does not trust", True
        return "the certificate could not be verified", True
    if "certificate required" in low or "certificate_required" in low:
        return "the server wants a client certificate, and none was sent", False
    if any(a in low for a in ("alert unknown ca", "alert bad certificate", "alert certificate expired",
                              "alert certificate revoked", "alert certificate unknown", "alert_unknown_ca",
                              "alert_bad_certificate", "alert_certificate_expired",
                              "alert_certificate_revoked", "alert_certificate_unknown")):
        return f"the server refused the client certificate ({_short(text, 120)})", False
    if "alert handshake failure" in low or "alert_handshake_failure" in low:
        return ("the server ended the handshake (handshake failure alert): it may want a client "
                "certificate, or no cipher or protocol version is shared"), False
    if "password is required" in low or "bad decrypt" in low or "pem lib" in low:
        return "the client key could not be read: its password is missing or wrong", False
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
    """A session for many sends: connections kept alive between them, a cancel or the deadline can break a
    blocked read off, each TLS setting's SSL context built once, and no cookie kept from one send to the next.

    The window keeps one per tab, the CLI one per process (`shared_session`); close() it when done.
    """
    return _Session()


@contextmanager
def shared_session() -> Iterator[requests.Session]:
    """Within the block, send() without a session of its own uses this one (the CLI: one per process)."""
    session = new_session()
    _SHARED.append(session)
    try:
        yield session
    finally:
        _SHARED.remove(session)
        session.close()


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The session's own jar keeps nothing: cookies live in a profile's jar, or in one send's own jar."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class _Session(requests.Session):
    """requests.Session with the cancellable adapters; holds the shared watcher from its first send until
    close() so that sends in a row do not start a thread each."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        self.cookies.set_policy(_NoCookies())
        for prefix in ("http://", "https://"):
            self.mount(prefix, _CancellableAdapter())
        self._state_lock = threading.Lock()
        self._holding = False
        self._closed = False
        self.settings_cache: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}

    def hold_watcher(self) -> None:
        with self._state_lock:
            if self._holding or self._closed:
                return
            self._holding = True
        _WATCHER.hold()

    def close(self) -> None:
        super().close()
        with self._state_lock:
            holding, self._holding, self._closed = self._holding, False, True
        if holding:
            _WATCHER.release()


_SHARED: list[requests.Session] = []  # what shared_session() installed, newest last

# The proxies and CA bundle the environment sets for a URL: requests reads them by walking the whole
# environment twice per request (more than the rest of a kept-alive request costs). A session keeps the answer
# per origin while the variables that decide it are unchanged, and for a few seconds at most (on macOS and
# Windows the system's proxy settings count too).
_SETTINGS_TTL_S = 5.0
_SETTINGS_MAX = 64
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _environment_settings(session: requests.Session, url: str, verify: bool | str) -> dict[str, Any]:
    """session.merge_environment_settings(url, {}, None, verify, None), remembered by a session of ours."""
    cache: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] | None = getattr(session, "settings_cache", None)
    if cache is None or not session.trust_env:
        return session.merge_environment_settings(url, {}, None, verify, None)
    environ = os.environ
    decisive = tuple((name, environ[name]) for name in environ
                     if name.lower().endswith("_proxy") or name in _CA_VARIABLES)
    parts = urlsplit(url)
    key = (parts.scheme.lower(), parts.netloc.lower(), verify, decisive)
    now = time.monotonic()
    found = cache.get(key)
    if found is not None and now - found[0] < _SETTINGS_TTL_S:
        settings = found[1]
    else:
        settings = session.merge_environment_settings(url, {}, None, verify, None)
        if len(cache) >= _SETTINGS_MAX:
            cache.clear()
        cache[key] = (now, settings)
    return {**settings, "proxies": dict(settings["proxies"])}


# -- Breaking off a blocked read -----------------------------------------------------------------------------
# A thread waiting for a slow server sits inside http.client's recv(); a flag it checks between reads cannot
# reach it there, and a socket timeout bounds each recv(), not the whole send (a server trickling a byte every
# half second never trips it). Each send's thread registers the sockets its requests use, and one watcher
# thread for every send in flight shuts them down when a send's cancel event is set or its deadline passes:
# the blocked recv() returns at once and the send ends as cancelled or timed out.

_LOCAL = threading.local()
WATCH_POLL_S = 0.05  # how soon a cancel is noticed


class _SendState:
    """What one send's thread shares with the watcher: the cancel, the deadline, what it is waiting for."""

    def __init__(self, cancel: threading.Event, limit_s: float) -> None:
        self.cancel = cancel
        self.limit_s = limit_s
        self.deadline = time.monotonic() + limit_s
        self.expired = threading.Event()
        # what the current hop waits for ("before": it could not start; "connect", "headers", "body"),
        # when its last body byte came, and the proxy it goes through: for the words of a timeout
        self.phase = "connect"
        self.last_byte = time.monotonic()
        self.proxy: str | None = None
        # the password of the client key the current hop presents: the adapter builds its SSL context with it
        self.key_password: str | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._paused = 0
        self._finished = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """While a person acts (a browser sign-in, a device code): the send's deadline does not run."""
        with self._lock:
            self._paused += 1
        started = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1
                self.deadline += time.monotonic() - started

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
        if self.cancel.is_set() or self.expired.is_set():
            self._shut()

    def look(self, now: float) -> float | None:
        """The watcher's look: shut the sockets at a cancel or at the deadline. Seconds until the next look,
        or None when this send needs no more."""
        if self._finished:
            return None
        if self.cancel.is_set():
            self._shut()
            return None
        if self._paused:
            return WATCH_POLL_S
        remaining = self.deadline - now
        if remaining <= 0:
            self.expired.set()
            self._shut()
            return None
        return min(WATCH_POLL_S, remaining)

    def finish(self) -> None:
        """The send is over: its sockets went back to the pool and must never be shut from here."""
        with self._lock:
            self._finished = True
            self._sockets = []

    def _shut(self) -> None:
        with self._lock:
            sockets: list[socket.socket] = [] if self._finished else self._sockets
            self._sockets = []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


class _Watcher:
    """The one thread that watches every send in flight (instead of a thread per send).

    It runs while something holds it: each send for its duration, and each session from its first send until
    it is closed; when the last hold goes it stops and is joined, so no thread outlives a window or a CLI run.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._states: list[_SendState] = []
        self._holds = 0
        self._thread: threading.Thread | None = None
        self._idle = False  # waiting without a timeout: a new send must wake it

    def hold(self) -> None:
        with self._cond:
            self._holds += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inspector-send-watch", daemon=True)
                self._thread.start()

    def release(self) -> None:
        with self._cond:
            self._holds -= 1
            if self._holds > 0 or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        thread.join()

    def watch(self, state: _SendState) -> None:
        with self._cond:
            self._states.append(state)
            if self._idle:  # otherwise it looks again within WATCH_POLL_S anyway: sends in a row wake nobody
                self._idle = False
                self._cond.notify_all()

    def forget(self, state: _SendState) -> None:
        state.finish()
        with self._cond:
            if state in self._states:
                self._states.remove(state)

    @property
    def running(self) -> bool:
        with self._cond:
            return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        me = threading.current_thread()
        with self._cond:
            while self._thread is me:
                now = time.monotonic()
                wait: float | None = None
                for state in list(self._states):
                    later = state.look(now)
                    if later is None:
                        self._states.remove(state)
                    else:
                        wait = later if wait is None else min(wait, later)
                self._idle = wait is None
                self._cond.wait(wait)  # None: until a send starts or the last hold goes


_WATCHER = _Watcher()


def _current_state() -> _SendState | None:
    state: _SendState | None = getattr(_LOCAL, "state", None)
    return state


class _HeaderReplay:
    """Hands http.client's header parser lines already read and checked, several per readline().

    http.client counts readline() calls against its module-wide limit of 100 header lines; batching the lines
    (each batch within its 64 KiB line limit) keeps our own limit per response without changing that global.
    """

    def __init__(self, raw: Any, batches: list[bytes]) -> None:
        self.raw = raw
        self._batches = batches

    def readline(self, limit: int = -1) -> bytes:
        return self._batches.pop(0) if self._batches else b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


_MAX_LINE: int = getattr(http.client, "_MAXLINE", 65536)  # http.client's limit for one line


def _read_header_block(fp: Any) -> list[bytes]:
    """The header lines after a status line, within our limits, batched for http.client; the end line last."""
    lines: list[bytes] = []
    total = 0
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            end = line
            break
        lines.append(line)
        total += len(line)
        if len(lines) > MAX_HEADER_LINES:
            raise http.client.HTTPException(f"got more than {MAX_HEADER_LINES} headers")
        if total > MAX_HEADER_BYTES:
            raise http.client.HTTPException(f"got more than {MAX_HEADER_BYTES} bytes of headers")
    batches: list[bytes] = []
    batch = b""
    for line in lines:
        if batch and len(batch) + len(line) > _MAX_LINE:
            batches.append(batch)
            batch = b""
        batch += line
    if batch:
        batches.append(batch)
    return [*batches, end]


class _HTTPResponse(http.client.HTTPResponse):
    """http.client's response, reading headers with our limits (MAX_HEADER_LINES, MAX_HEADER_BYTES)."""

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if status != http.client.CONTINUE:
            self.fp = _HeaderReplay(self.fp, _read_header_block(self.fp))  # type: ignore[assignment]
        return version, status, reason

    def begin(self) -> None:
        try:
            super().begin()
        finally:
            if isinstance(self.fp, _HeaderReplay):
                self.fp = self.fp.raw  # type: ignore[assignment]


class _WatchedConnection:
    """Mixin for urllib3 connections: register the socket with the current send; read headers our way."""

    sock: socket.socket | None
    response_class: type[http.client.HTTPResponse] = _HTTPResponse

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        state = _current_state()
        if state is not None:
            state.add(self.sock)

    def putrequest(self, *args: Any, **kwargs: Any) -> None:
        # a kept-alive connection is not connected again: its socket is this send's from the request's start
        state = _current_state()
        if state is not None:
            state.add(self.sock)
        super().putrequest(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        state = _current_state()
        if state is not None:
            state.add(self.sock)
            state.phase = "headers"
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def _validate_conn(self, conn: Any) -> None:
        """urllib3's check, without its InsecureRequestWarning when this pool was made not to verify.

        The user turned verification off for this request ('Verify TLS' / --insecure) and the app says so
        itself; urllib3's warning would only print a stray line on stderr. Other pools in the process, and our
        verifying ones, keep the warning: nothing global is switched off.
        """
        if self.cert_reqs not in ("CERT_NONE", 0):  # ssl.CERT_NONE is 0
            super()._validate_conn(conn)
            return
        urllib3.HTTPConnectionPool._validate_conn(self, conn)
        closed = getattr(conn, "is_closed", None)
        if closed if closed is not None else getattr(conn, "sock", None) is None:
            conn.connect()  # what urllib3 does here before its warning: connect early


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _CancellableAdapter(requests.adapters.HTTPAdapter):
    """Connections a cancel or the deadline can break off; HTTPS over SSL contexts built once per setting."""

    def __init__(self) -> None:
        self._contexts = _TlsContexts()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # a proxied request can be cancelled and timed out too
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """HTTPS pools keyed by the SSL context of their TLS setting: one CA bundle, client certificate and key
        password per context, so a connection is reused only by sends with the very same setting."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") != "https":
            return host_params, pool_kwargs
        state = _current_state()
        password = state.key_password if state is not None and cert else None
        context = self._contexts.get(verify, cert, password)
        if context is None:  # not buildable here: urllib3 builds one per connection, and says why it fails
            if password:
                pool_kwargs["key_password"] = password
            return host_params, pool_kwargs
        for name in ("ca_certs", "ca_cert_dir", "cert_file", "key_file"):
            pool_kwargs.pop(name, None)
        pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # the same checks and messages for missing files
        if self._contexts.built(getattr(conn, "conn_kw", {}).get("ssl_context")):
            # the context holds the CA bundle and the certificate: urllib3 must not load them per connection
            conn.ca_certs = conn.ca_cert_dir = conn.cert_file = conn.key_file = None


_FileStamp = tuple[str, int, int]


def _stamp(path: str) -> _FileStamp:
    """A file as a cache key: a bundle or certificate replaced on disk gets a new SSL context."""
    st = os.stat(path)
    return path, st.st_mtime_ns, st.st_size


class _TlsContexts:
    """SSL contexts by TLS setting (verification, CA bundle, client certificate, key password), each built
    once: loading a CA bundle takes longer than a whole request over a kept-alive connection."""

    MAX = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[Any, ...], ssl.SSLContext] = {}
        self._all: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()

    def built(self, context: object) -> bool:
        with self._lock:
            return isinstance(context, ssl.SSLContext) and context in self._all

    def get(self, verify: Any, cert: Any, password: str | None) -> ssl.SSLContext | None:
        """The context for this setting, or None when it cannot be built (a missing or unreadable file)."""
        try:
            ca = None if verify is False else (
                verify if isinstance(verify, str) else requests.utils.DEFAULT_CA_BUNDLE_PATH)
            files = (cert,) if isinstance(cert, str) else tuple(cert or ())
            # the password only as a digest: a secret is not kept as a key here
            key = (verify is not False, _stamp(ca) if ca else None, tuple(_stamp(f) for f in files if f),
                   hashlib.sha256(password.encode()).hexdigest() if password else None)
        except (OSError, TypeError):
            return None
        with self._lock:
            found = self._by_key.get(key)
        if found is not None:
            return found
        try:
            context = urllib3.util.ssl_.create_urllib3_context(
                cert_reqs=ssl.CERT_REQUIRED if ca else ssl.CERT_NONE)
            if ca:
                if os.path.isdir(ca):
                    context.load_verify_locations(capath=ca)
                else:
                    context.load_verify_locations(cafile=ca)
            if files and files[0]:
                context.load_cert_chain(files[0], files[1] if len(files) > 1 and files[1] else None, password)
        except (OSError, ValueError):  # ssl.SSLError is an OSError
            return None
        with self._lock:
            context = self._by_key.setdefault(key, context)
            self._all.add(context)
            while len(self._by_key) > self.MAX:
                del self._by_key[next(iter(self._by_key))]  # the oldest; pools still using it keep it alive
        return context


class _Cancelled(Exception):
    pass


class _DeadlineExceeded(Exception):
    pass


class _NoAuth(requests.auth.AuthBase):
    """An explicit 'no auth' for Session.prepare_request, which otherwise reads .netrc under trust_env."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


def netrc_credentials(session: requests.Session, url: str, use_netrc: bool | None) -> tuple[str, str] | None:
    """The .netrc login for url, only when the user chose it.

    use_netrc=None (the default) reads only a file the NETRC environment variable names, an explicit choice;
    True also reads ~/.netrc (requests' own lookup); False never reads one. Never with trust_env off.
    """
    if use_netrc is False or not session.trust_env:
        return None
    if use_netrc is None and not os.environ.get("NETRC"):
        return None
    return requests.utils.get_netrc_auth(url)


def send(
    spec: RequestSpec,
    *,
    session: requests.Session | None = None,
    auth: ProfileAuth | None = None,
    cancel: threading.Event | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    max_redirects: int = 30,
    clock: Callable[[], datetime] = utc_now,
    on_progress: ProgressFn | None = None,
    body_sink: IO[bytes] | None = None,
    use_netrc: bool | None = None,
) -> Exchange:
    """Send a request and every redirect hop it leads to; never raises for a transport failure.

    RequestError propagates for bad input. With `body_sink`, the final body is streamed there uncapped
    (for "save the whole body to a file") and the Exchange keeps only a preview. `spec.timeout_s` bounds the
    whole send. A .netrc entry is used only as `netrc_credentials` says, and never with a profile's `auth`.
    Without a `session`, the one `shared_session` installed is used, else a new one closed afterwards.
    """
    spec.validate()
    session = session or (_SHARED[-1] if _SHARED else None)
    own_session = session is None
    session = session or new_session()
    state = _SendState(cancel or threading.Event(), spec.timeout_s)
    sender = _Sender(spec, session, auth, state, max_body_bytes, max_redirects, clock, on_progress)
    started = clock()
    outer = _current_state()
    _LOCAL.state = state
    _WATCHER.hold()  # for this send; a session of ours holds it from its first send until it is closed
    if isinstance(session, _Session):
        session.hold_watcher()
    _WATCHER.watch(state)
    try:
        with ExitStack() as stack:
            request = build_request(spec, stack)
            login = None if auth is not None else netrc_credentials(session, str(request.url), use_netrc)
            # An explicit auth keeps requests from reading .netrc on its own.
            request.auth = requests.auth.HTTPBasicAuth(*login) if login else (session.auth or _NoAuth())
            base = sender.prepare(request)
            spec_auth = spec.header("Authorization")
            netrc_applied = (login is not None and spec_auth is not None
                             and base.headers.get("Authorization") != spec_auth)
            error = sender.run(base, netrc_applied, body_sink)
    finally:
        _WATCHER.forget(state)
        _LOCAL.state = outer
        if own_session:
            session.close()
        _WATCHER.release()  # the last hold joins the watcher: no thread outlives the sends that needed it
    first = next((h for h in sender.hops if h.role == "request"), None)
    return Exchange(
        spec=spec,
        hops=tuple(sender.hops),
        error=error,
        sent_at=first.sent_at if first and first.sent_at else started,
        received_at=clock(),
        token_problem=sender.token_problem,
        proxy=sender.proxy,
    )


class _Sender:
    """One send's hops: the token request, the user's request, challenge answers and redirects."""

    def __init__(self, spec: RequestSpec, session: requests.Session, auth: ProfileAuth | None,
                 state: _SendState, max_body_bytes: int, max_redirects: int, clock: Callable[[], datetime],
                 on_progress: ProgressFn | None) -> None:
        self.spec = spec
        self.session = session
        self.auth = auth
        self.state = state
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        self.clock = clock
        self.on_progress = on_progress
        self.hops: list[Hop] = []
        self.token_problem: str | None = None  # why the profile's token fetch gave no usable token
        self.proxy: str | None = None  # the proxy the user's request went through (no user name or password)
        self.meant_for = origin(spec.url)
        # A profile's own cookie jar (session and cookie kinds) and client certificate / CA bundle ([tls])
        self._jar_for: Callable[[str], CookieJar | None] | None = getattr(auth, "cookie_jar", None)
        client_tls: Callable[[], ClientTls | None] | None = getattr(auth, "client_tls", None)
        self.tls: ClientTls | None = client_tls() if client_tls is not None else None
        # Cookies set during this send (redirects, sign-in steps) when the profile has no jar of its own:
        # never the session's, which a tab's or the CLI's sends share.
        self.cookies = requests.cookies.RequestsCookieJar()

    def prepare(self, request: requests.Request) -> requests.PreparedRequest:
        """session.prepare_request with this send's cookies (the session's own jar is always empty)."""
        jar = requests.cookies.RequestsCookieJar()
        jar.update(self.cookies)
        if request.cookies:
            requests.cookies.merge_cookies(jar, request.cookies)
        request.cookies = jar
        return self.session.prepare_request(request)

    def run(self, base: requests.PreparedRequest, netrc_applied: bool, body_sink: IO[bytes] | None
            ) -> TransportFailure | None:
        spec, auth = self.spec, self.auth
        current = base
        try:
            # 1. What the profile does first to sign in (discovery, a login form, a browser or device flow):
            #    every request it makes is a hop with its role. A failed step ends the send on its hop.
            sign_in = getattr(auth, "sign_in", None)
            if sign_in is not None:
                problem = sign_in(_Steps(self, base.url or spec.url))
                if problem:
                    self.token_problem = problem
                    return None
            # 2. A token the profile must fetch first (OAuth 2): its own hop, judged like any other.
            token_req = auth.token_request() if auth is not None else None
            if auth is not None and token_req is not None:
                if token_req.auth is None:
                    token_req.auth = _NoAuth()  # .netrc never replaces the client's own credentials
                current = self.prepare(token_req)
                token_hop = self.one(current, "token")
                problem = auth.accept_token_response(token_hop, self.clock())
                if problem:
                    self.token_problem = problem
                    return None
            # 3. The user's request, then each challenge answer and redirect.
            meant_for = self.meant_for = origin(base.url or "")
            current = auth(base.copy()) if auth is not None else base.copy()
            stripped: tuple[str, ...] = ()
            answered: set[str] = set()
            while True:
                hop = self.one(current, "request", stripped, netrc_applied, body_sink)
                response = hop.response
                assert response is not None
                url = current.url or ""
                if (response.status == 401 and auth is not None and url not in answered
                        and may_carry_credentials(url, meant_for)):
                    answer = auth.retry_after_challenge(current, response)
                    if answer is not None:
                        answered.add(url)
                        current = answer
                        continue
                if not (spec.follow_redirects and response.is_redirect):
                    return None
                if len([h for h in self.hops if h.role == "request"]) > self.max_redirects:
                    return TransportFailure(
                        "too-many-redirects",
                        f"{spec.method} {mask_url(spec.url)} was redirected more than {self.max_redirects} "
                        f"times; the last hop went to {mask_url(hop.url)}.",
                    )
                current, stripped = self.next_hop(base, current, hop, response, meant_for)
        except _Cancelled:
            return self.cancelled()
        except _DeadlineExceeded:
            return self.deadline_failure(current.method or spec.method, current.url or spec.url)
        except TransportError as exc:  # a sign-in step that got no answer: its own kind and sentence
            if self.state.cancel.is_set():
                return self.cancelled()
            return TransportFailure(exc.kind, str(exc))
        except Exception as exc:
            if self.state.cancel.is_set():  # the watch broke the connection off: a cancel, not a server fault
                return self.cancelled()
            method, url = current.method or spec.method, current.url or spec.url
            if self.state.expired.is_set():
                return self.deadline_failure(method, url)
            failure = describe_failure(exc, method, url, self.state.proxy)
            if failure.kind == "timeout":  # every socket timeout is the time left: the deadline ran out
                return self.deadline_failure(method, url)
            return failure

    def cancelled(self) -> TransportFailure:
        return TransportFailure("cancelled", f"{self.spec.method} {mask_url(self.spec.url)} was cancelled.")

    def one(self, prepared: requests.PreparedRequest, role: HopRole, stripped: tuple[str, ...] = (),
            netrc: bool = False, sink: IO[bytes] | None = None, record: bool = True) -> Hop:
        """Send one request (no redirect followed) and read its response, within what is left of the time.

        record=False sends a hop that is not kept (a device flow's "authorization_pending" polls).
        """
        state = self.state
        if state.cancel.is_set():
            raise _Cancelled
        remaining = state.remaining()
        if remaining <= 0:
            state.phase = "before"
            raise _DeadlineExceeded
        url = prepared.url or ""
        tls = self.tls
        verify: bool | str = self.spec.verify_tls
        if verify and tls is not None and tls.ca_bundle:
            verify = tls.ca_bundle
        # the client certificate is a credential: the profile's sign-in endpoints and the request's origin
        use_cert = bool(tls is not None and tls.client_cert
                        and (role != "request" or may_carry_credentials(url, self.meant_for)))
        jar = self._jar_for(role) if self._jar_for is not None else None
        cookies_sent: tuple[str, ...] = ()
        cookies_held: tuple[HeldCookie, ...] = ()
        if jar is not None:
            # The profile's jar decides the cookies (RFC 6265); a Cookie the user typed goes on its origin.
            jar_cookie, cookies_sent, cookies_held = jar.header_for(url, self.clock())
            own_origin = role == "request" and may_carry_credentials(url, self.meant_for)
            typed_cookie = self.spec.header("Cookie") if own_origin else None
            cookie = "; ".join(c for c in (typed_cookie, jar_cookie) if c)
            if cookie:
                prepared.headers["Cookie"] = cookie
            else:
                prepared.headers.pop("Cookie", None)
        # Proxies are chosen per hop (scheme, NO_PROXY): a redirect may leave or enter the proxy's reach.
        settings = _environment_settings(self.session, url, verify)
        proxies = settings["proxies"]
        proxy = requests.utils.select_proxy(url, proxies)
        state.proxy, state.phase = proxy, "connect"
        if role == "request":
            if proxy:  # where the answer came from, without the proxy's user name and password
                scheme = urlsplit(requests.utils.prepend_scheme_if_needed(proxy, "http")).scheme
                self.proxy = f"{scheme}://{_proxy_name(proxy)}"
            else:
                self.proxy = None
        sent_headers = _sent_headers(prepared)
        typed = {k.lower() for k, _v in sent_headers}  # a header the user typed wins over the proxy setting's
        proxy_lines = self._proxy_header_lines(url, proxy)
        sent_headers += tuple((k, v) for k, v in proxy_lines if k.lower() not in typed)
        sent_at = self.clock()
        t0 = time.monotonic()

        def hop(response: Response | None, tls_report: TlsReport | None = None) -> Hop:
            notes = jar.store(url, response.headers, self.clock()) if jar is not None and response else ()
            return Hop(prepared.method or "", url, sent_headers, _sent_body(prepared), response,
                       time.monotonic() - t0, sent_at, role, stripped, netrc,
                       cookies_sent, cookies_held, notes, tls_report)

        try:
            # Straight to the adapter, not session.send: cookies go to the profile's jar or to this send's own
            # (session.send would keep them in the session's, shared by every send of a tab).
            state.key_password = tls.key_password if use_cert and tls is not None else None
            resp = self.session.get_adapter(url).send(
                prepared, stream=True, verify=settings["verify"], timeout=(remaining, remaining),
                proxies=proxies, cert=tls.cert if use_cert and tls is not None else None)
            if jar is None:
                requests.cookies.extract_cookies_to_jar(self.cookies, prepared, resp.raw)
        except Exception as exc:  # recorded as a hop without a response, then translated in run()
            # always kept, even for a hop not meant to be recorded: the send ends on it
            self.hops.append(hop(None, self._tls_report(exc, url, use_cert, proxy)))
            raise
        if state.expired.is_set():  # the watch cut the headers off: what arrived is not the whole head
            resp.close()
            self.hops.append(hop(None))
            raise _DeadlineExceeded
        state.phase, state.last_byte = "body", time.monotonic()
        try:
            body, received, truncated = _read_body(resp, state, self.max_body_bytes, self.on_progress, sink)
        except BaseException:  # the head came but not the whole body: the hop went out, with no usable answer
            self.hops.append(hop(None))
            raise
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
        result = hop(response)
        if record:
            self.hops.append(result)
        return result

    def _tls_report(self, exc: BaseException, url: str, cert_sent: bool,
                    proxy: str | None) -> TlsReport | None:
        """A failed TLS handshake, described: with no proxy in between, a second handshake reads the server's
        certificate (it verifies nothing and sends no request)."""
        if self.state.cancel.is_set() or urlsplit(url).scheme.lower() != "https":
            return None
        if not isinstance(exc, requests.exceptions.SSLError) and find_ssl_error(exc) is None:
            return None
        scheme, host, port = origin(url)
        return describe_tls_failure(exc, host, port, client_cert_sent=cert_sent,
                                    ca_bundle=self.tls.ca_bundle if self.tls else None, now=self.clock,
                                    timeout_s=min(5.0, max(self.state.remaining(), 0.0)), look=proxy is None)

    def _proxy_header_lines(self, url: str, proxy: str | None) -> tuple[tuple[str, str], ...]:
        """The headers a forwarding proxy gets on this hop (its credentials), masked where they are recorded.

        Only plain http:// goes through a forwarding proxy; for https:// they go on the CONNECT instead.
        """
        if not proxy or urlsplit(url).scheme.lower() != "http" or proxy.lower().startswith("socks"):
            return ()
        adapter = self.session.get_adapter(url)
        if not isinstance(adapter, requests.adapters.HTTPAdapter):
            return ()
        headers = adapter.proxy_headers(requests.utils.prepend_scheme_if_needed(proxy, "http"))
        return tuple((k, mask_header_value(k, v)) for k, v in headers.items())

    def next_hop(
        self,
        base: requests.PreparedRequest,
        previous: requests.PreparedRequest,
        hop: Hop,
        response: Response,
        meant_for: Origin,
    ) -> tuple[requests.PreparedRequest, tuple[str, ...]]:
        """The request for the hop after a redirect, following browser rules for methods and credentials."""
        location = response.header("Location") or ""
        location = location.split(",")[0].strip() if location.count("http") > 1 else location.strip()
        url = urljoin(hop.url, location)
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise TransportError("invalid-url", f"{hop.method} {mask_url(hop.url)} redirected to "
                                                f"'{mask_url(location)}', which is not an http or https URL.")
        # Start from the request as the user composed it, without the profile's credentials.
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
        allowed = may_carry_credentials(url, meant_for)
        added = self.auth.added_names() if self.auth is not None else ()
        stripped: list[str] = []
        nxt.headers.pop("Cookie", None)  # re-derived from the jar for the new URL below
        if allowed:
            user_cookie = base.headers.get("Cookie")
            if user_cookie is not None:
                nxt.headers["Cookie"] = user_cookie
        else:
            # Every header the redactor calls secret (Authorization, Cookie, X-Api-Key, a .netrc login, ...)
            for name in list(base.headers):
                if is_secret_header(name, added):
                    nxt.headers.pop(name, None)
                    stripped.append(name)
            seen = {n.lower() for n in stripped}
            stripped.extend(n for n in added if n.lower() not in seen)
        nxt.prepare_cookies(self.cookies)
        if allowed and self.auth is not None:
            nxt = self.auth(nxt)
        return nxt, tuple(stripped)

    def deadline_failure(self, method: str, url: str) -> TransportFailure:
        """The send ran out of time: say which limit, and what it was waiting for when it did."""
        state = self.state
        target = f"{method} {mask_url(url)}"
        hostport = _host_and_hostport(url)[1]
        if state.proxy and state.phase in ("headers", "body"):
            # plain http:// is answered by the proxy itself; https:// comes back through its tunnel
            plain = urlsplit(url).scheme.lower() == "http"
            hostport = (f"the proxy {_proxy_name(state.proxy)}" if plain
                        else f"{hostport} (through the proxy {_proxy_name(state.proxy)})")
        limit = f"the {state.limit_s:g} s limit for the whole send (every hop, headers and body) ran out"
        if state.phase == "before":
            message = f"{target} was not sent: {limit} on the hops before it."
        elif state.phase == "connect":
            where = f"the proxy {_proxy_name(state.proxy)}" if state.proxy else hostport
            message = f"{target} timed out while connecting to {where}: {limit}."
        elif state.phase == "headers":
            message = (f"{target} timed out: {hostport} accepted the connection but did not answer in time: "
                       f"{limit}.")
        elif time.monotonic() - state.last_byte >= min(1.0, state.limit_s / 2):
            message = (f"{target} timed out: {hostport} sent the status and headers, then stopped sending "
                       f"before the body was complete: {limit}.")
        else:
            message = (f"{target} timed out: {hostport} sent the status and headers, and was still sending "
                       f"the body when {limit}.")
        return TransportFailure("timeout", message)


class _Steps:
    """What a profile's sign-in may do during a send: the `SignInSteps` of core/profiles/flows.py.

    Its requests are hops of the send (same deadline, proxies, cancel, TLS settings and cookie jar); the time
    a person needs (a browser, a device code) does not count against the send's deadline.
    """

    def __init__(self, sender: _Sender, url: str) -> None:
        self._sender = sender
        self.url = url  # the user's request

    @property
    def cancel(self) -> threading.Event:
        return self._sender.state.cancel

    def now(self) -> datetime:
        return self._sender.clock()

    def send(self, request: requests.Request, role: str, *, record: bool = True) -> Hop:
        """Send one request of the sign-in as a hop with this role; a transport failure ends the send."""
        if request.auth is None:
            request.auth = _NoAuth()  # .netrc never replaces the profile's own credentials
        hop_role = as_hop_role(role)
        if hop_role is None or hop_role == "request":
            raise ValueError(f"A sign-in step cannot send a hop with the role {role!r}.")
        return self._sender.one(self._sender.prepare(request), hop_role, record=record)

    def record(self, hop: Hop) -> None:
        """Keep a hop the app did not send itself (the browser's authorization step)."""
        self._sender.hops.append(hop)

    def waiting(self) -> AbstractContextManager[None]:
        """A context in which a person acts: the send's deadline stands still."""
        return self._sender.state.paused()

    def check(self) -> None:
        """End the send here when it was cancelled."""
        if self.cancel.is_set():
            raise _Cancelled

    def sleep(self, seconds: float) -> None:
        """Wait (a device flow's polling interval) without holding the deadline; a cancel ends it at once."""
        with self.waiting():
            if self.cancel.wait(max(seconds, 0.0)):
                raise _Cancelled


def _read_body(
    resp: requests.Response,
    state: _SendState,
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
    # reports progress and notices a cancel or the deadline promptly.
    while True:
        if state.remaining() <= 0:
            raise _DeadlineExceeded
        chunk = resp.raw.read1(CHUNK, decode_content=True)
        if state.cancel.is_set():  # the watch shut the socket: an empty read is not the end of the body
            raise _Cancelled
        if state.expired.is_set():
            raise _DeadlineExceeded
        if not chunk:
            break
        state.last_byte = time.monotonic()
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
