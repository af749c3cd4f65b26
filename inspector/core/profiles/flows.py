"""What a sign-in needs from the world: the browser, a person's attention, the loopback callback, the send.

A profile that signs in with several requests (a login form, a browser or device flow, OIDC discovery) does it
in `sign_in(steps)`, called by the transport before the user's request. `SignInSteps` is what the transport
gives it: every request is a hop of the send, and the time a person needs does not count against the send's
deadline. `SignInHooks` is what the caller gives it (the window, the CLI, a test): how to open a browser
(injected, so tests follow the URL themselves), where progress goes (a message, a URL, a code to type), and
how long to wait for a person. No Qt here: the window turns progress into its waiting state, the CLI
prints it.
"""

from __future__ import annotations

import html
import os
import threading
import webbrowser
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

from inspector.core.exchange import Hop

DEFAULT_AUTH_TIMEOUT_S = 120.0
CALLBACK_PATH = "/callback"

Opener = Callable[[str], object]


@dataclass(frozen=True)
class SignInProgress:
    """One step of a sign-in, for a person: what happens or what to do, and the URL or code involved."""

    profile: str
    stage: str  # discovery | login | browser | device | token | done
    message: str  # a sentence (or two) to show as it is
    url: str | None = None  # the URL to open: the authorization URL, the device verification URI
    user_code: str | None = None  # the code to type at the verification URI (device flow)
    expires_at: datetime | None = None  # when waiting stops
    waiting: bool = False  # a person is expected to act now; the window shows its waiting state with Cancel


ProgressFn = Callable[[SignInProgress], None]


def system_browser(url: str) -> bool:
    """Open url in the system browser with `webbrowser`, honouring BROWSER as it stands now.

    webbrowser reads BROWSER once per process; reading it here on every call keeps a BROWSER set later (a
    test, a shell that changed it) in force. Blocks while a console browser runs: call it off the caller's
    thread (see open_in_background).
    """
    choice = os.environ.get("BROWSER", "").strip()
    if choice:
        for command in choice.split(os.pathsep):
            command = command.strip()
            if not command:
                continue
            line = command if "%s" in command else f"{command} %s"
            try:
                if webbrowser.get(line).open(url):
                    return True
            except (webbrowser.Error, OSError, ValueError):
                continue
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


@dataclass(frozen=True)
class SignInHooks:
    """How a sign-in reaches a person: a browser opener, progress messages, and the longest wait."""

    open_browser: Opener = system_browser
    on_progress: ProgressFn | None = None
    timeout_s: float = DEFAULT_AUTH_TIMEOUT_S  # the window's Cancel, or the CLI's --auth-timeout

    def progress(self, event: SignInProgress) -> None:
        if self.on_progress is not None:
            self.on_progress(event)


def open_in_background(opener: Opener, url: str) -> threading.Thread:
    """Run the opener on its own thread: whatever BROWSER runs (a console browser, a script), the sign-in
    never waits for it. Its failure only means the person opens the URL by hand, which they are shown."""

    def run() -> None:
        try:
            opener(url)
        except Exception:
            pass

    thread = threading.Thread(target=run, name="inspector-browser", daemon=True)
    thread.start()
    return thread


class SignInSteps(Protocol):
    """What the transport offers a profile's sign-in during a send (implemented in core/transport.py)."""

    url: str  # the user's request

    @property
    def cancel(self) -> threading.Event: ...

    def now(self) -> datetime: ...

    def send(self, request: requests.Request, role: str, *, record: bool = True) -> Hop:
        """One request of the sign-in as a hop with this role; a transport failure ends the send."""
        ...

    def record(self, hop: Hop) -> None:
        """Keep a hop the app did not send itself (the browser's authorization step)."""
        ...

    def waiting(self) -> AbstractContextManager[None]:
        """A context in which a person acts: the send's deadline stands still."""
        ...

    def check(self) -> None:
        """End the send when it was cancelled."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait without holding the deadline; a cancel ends the send at once."""
        ...


# --- the loopback redirect (RFC 8252 §7.3) ---------------------------------------------------------------

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p></body></html>"""


class CallbackServer:
    """A one-shot HTTP listener on 127.0.0.1 for the authorization redirect: the first GET /callback with a
    query is kept (its parameters), answered with a page the person can close, and `arrived` is set."""

    def __init__(self, port: int = 0) -> None:
        self.arrived = threading.Event()
        self.params: dict[str, str] = {}
        self.callback_url: str | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one answer per connection: nothing kept open at the end

            def log_message(self, *args: Any) -> None:
                """Quiet: the query holds the authorization code."""

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or not parts.query:
                    self._answer(404, "Not found", "This address only receives the sign-in redirect.")
                    return
                with owner._lock:
                    first = not owner.arrived.is_set()
                    if first:
                        owner.params = dict(parse_qsl(parts.query, keep_blank_values=True))
                        owner.callback_url = f"{owner.redirect_uri}?{parts.query}"
                if not first:
                    self._answer(409, "Already signed in",
                                 "This sign-in was already received: close this tab.")
                    return
                if "error" in owner.params:
                    self._answer(200, "Sign-in refused",
                                 f"The sign-in ended with {html.escape(owner.params['error'])}. Go back to "
                                 "Request Inspector: it explains what happened.")
                else:
                    self._answer(200, "Signed in",
                                 "Request Inspector received the sign-in. You can close this tab.")
                owner.arrived.set()

            def _answer(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=html.escape(title), text=text).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the browser went away

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="inspector-callback", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
