"""The demo's sign-in side: a login form with a session cookie and CSRF (Django and Flask-Login shapes), and
the authorization server's browser flow (PKCE), device flow (RFC 8628), password grant and key rotation.

The authorization server is the demo's own issuer (f"{base_url}/"): its tokens are accepted by /api/invoices,
its discovery document is /.well-known/openid-configuration (plus the RFC 8414 one), its token endpoint is
/oauth/token (server.py hands these grants here). Nobody is asked anything: /oauth/authorize signs the demo
user in at once (as an identity provider with a live session does) unless `demo_outcome=deny` asks for a
refusal, so a script set as BROWSER that simply follows redirects completes the flow.

| Method | Path | What it answers |
|---|---|---|
| GET | /app/login | A login form (hidden csrfmiddlewaretoken), sets the csrftoken cookie. |
| POST | /app/login | Form login: 302 to /app/ with a sessionid cookie (Max-Age `lifetime`, default 300). |
| POST | /app/logout | Deletes the session and its cookie (Max-Age=0). |
| POST | /app/expire-sessions | Ends every session on the server side (their cookies stay). |
| GET | /app/ | The signed-in page; 302 to /app/login?next=... without a session (Flask-Login). |
| GET POST | /app/notes | JSON notes behind the session; POST also needs X-CSRFToken (Django REST). |
| GET | /app/profile | 401 JSON without a session (an API that does not redirect). |
| POST | /app/api/login | JSON login: {"access_token": ...} (a token the demo API accepts). |
| GET | /app/demo-session | A signed-in session id for an hour (the demo cookie profile's value). |
| GET | /oauth/authorize | Authorization code with PKCE (S256) and state; loopback redirect URIs only. |
| POST | /oauth/device | Device authorization (RFC 8628); demo-cli, demo-device-slow, demo-device-short. |
| GET | /device | Approves (or with action=deny declines) the device code user_code. |
| POST | /keys/rotate | A new signing key: tokens signed before are refused (no key matches their kid). |
| GET | /.well-known/oauth-authorization-server | RFC 8414 metadata (also of the issuer {base}/tenant-b). |
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from inspector.core.cookies import is_loopback
from inspector.demo.messages import DemoRequest, Reply, json_reply, text_reply
from inspector.demo.scenarios import (
    ALL_SCOPES,
    DEMO_PASSWORD,
    DEMO_USER,
    PUBLIC_CLIENT_ID,
    DemoKey,
    access_claims,
)

SESSION_COOKIE = "sessionid"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrfmiddlewaretoken"
CSRF_HEADER = "X-CSRFToken"
SESSION_LIFETIME_S = 300
TOKEN_LIFETIME_S = 300
CODE_LIFETIME_S = 60
DEVICE_LIFETIME_S = 600
DEVICE_INTERVAL_S = 1  # short, so the demo (and its tests) do not wait long; RFC 8628 defaults to 5
SLOW_CLIENT_ID = "demo-device-slow"  # its first poll is answered slow_down
SHORT_CLIENT_ID = "demo-device-short"  # its device codes expire after 3 seconds
PUBLIC_CLIENTS = (PUBLIC_CLIENT_ID, SLOW_CLIENT_ID, SHORT_CLIENT_ID)
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
GRANTS = ("authorization_code", "urn:ietf:params:oauth:grant-type:device_code", "password")
MAX_ENTRIES = 10_000  # codes, sessions, device codes: a busy demo never grows without bound


class DemoState(Protocol):
    """What these endpoints need of a running demo server (server._DemoState)."""

    base_url: str
    issuer: str
    key: DemoKey
    identity: IdentityState

    def now(self) -> float: ...


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    expires: float
    used: bool = False


@dataclass
class _Device:
    client_id: str
    user_code: str
    scope: str
    expires: float
    status: str = "pending"  # pending | approved | denied | issued
    last_poll: float = 0.0
    polls: int = 0


@dataclass
class IdentityState:
    """Sessions, authorization codes, device codes and refresh tokens of one running demo server."""

    sessions: dict[str, float] = field(default_factory=dict)  # session id -> expiry (server clock)
    codes: dict[str, _Code] = field(default_factory=dict)
    devices: dict[str, _Device] = field(default_factory=dict)  # device_code -> state
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> scope
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_session(self, now: float, lifetime_s: float = SESSION_LIFETIME_S) -> str:
        sid = secrets.token_urlsafe(24)
        with self.lock:
            _bounded(self.sessions)
            self.sessions[sid] = now + lifetime_s
        return sid

    def session_ok(self, sid: str | None, now: float) -> bool:
        with self.lock:
            return bool(sid) and self.sessions.get(sid or "", 0.0) > now


def _bounded(store: dict[str, Any]) -> None:
    while len(store) >= MAX_ENTRIES:
        store.pop(next(iter(store)))


# --- helpers ----------------------------------------------------------------------------------------------


def _cookies(req: DemoRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (req.header("Cookie") or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            out.setdefault(name, value)
    return out


def _form(req: DemoRequest) -> dict[str, str]:
    """The body's fields; a JSON body that does not parse has none (the page says what is missing)."""
    try:
        return req.form()
    except ValueError:
        return {}


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _page(status: int, title: str, body: str, *headers: tuple[str, str]) -> Reply:
    doc = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
           f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return text_reply(status, doc, "text/html; charset=utf-8", *headers)


def _redirect(location: str, *headers: tuple[str, str]) -> Reply:
    return Reply(302, b"", None, [("Location", location), *headers])


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description},
                      ("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def _loopback_redirect(uri: str) -> bool:
    """RFC 8252 §7.3: a native app's redirect is http to a loopback address, on any port."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or parts.fragment:
        return False
    return is_loopback(host)


def _unknown_scopes(scope: str) -> list[str]:
    return [s for s in scope.split() if s not in ALL_SCOPES and s not in OIDC_SCOPES]


def _api_scope(scope: str) -> str:
    """The API scopes of a requested scope (the OpenID ones say what the ID token holds)."""
    return " ".join(s for s in scope.split() if s in ALL_SCOPES) or "invoices:read"


def issue_tokens(st: DemoState, client_id: str, scope: str, *, refresh: bool = True) -> Reply:
    """A token response: an access token the demo API accepts, a refresh token for the identity grants."""
    claims = access_claims(st.issuer, st.now(), scope=_api_scope(scope), lifetime_s=TOKEN_LIFETIME_S,
                           client_id=client_id)
    body: dict[str, Any] = {"access_token": st.key.sign(claims), "token_type": "Bearer",
                            "expires_in": TOKEN_LIFETIME_S, "scope": _api_scope(scope)}
    if refresh:
        token = secrets.token_urlsafe(32)
        with st.identity.lock:
            _bounded(st.identity.refresh_tokens)
            st.identity.refresh_tokens[token] = scope
        body["refresh_token"] = token
    return json_reply(200, body, ("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def refresh_token_scope(st: DemoState, token: str) -> str | None:
    """The scope of a refresh token this authorization server issued; None when it issued none such."""
    with st.identity.lock:
        return st.identity.refresh_tokens.get(token)


def metadata(st: DemoState) -> dict[str, Any]:
    """What discovery documents add for the sign-in flows."""
    base = st.base_url
    return {
        "authorization_endpoint": f"{base}/oauth/authorize",
        "device_authorization_endpoint": f"{base}/oauth/device",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["client_credentials", "refresh_token", "authorization_code", "password",
                                  "urn:ietf:params:oauth:grant-type:device_code"],
        "authorization_response_iss_parameter_supported": True,
    }


# --- the login form (Django shapes; /app/notes redirects like Flask-Login) ---------------------------------


def _login_page(csrf: str, error: str = "") -> str:
    shown = f'<p class="errornote">{html.escape(error)}</p>' if error else ""
    return (f'{shown}<form method="post" action="/app/login">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(csrf)}">'
            '<label>Username <input type="text" name="username" autocomplete="username"></label>'
            '<label>Password <input type="password" name="password" autocomplete="current-password"></label>'
            '<input type="number" name="lifetime" value="300" hidden>'
            '<button type="submit">Log in</button></form>')


def login_page(req: DemoRequest, st: DemoState) -> Reply:
    csrf = _cookies(req).get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    return _page(200, "Log in | Demo app", _login_page(csrf),
                 ("Set-Cookie", f"{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age=31449600"))


def login(req: DemoRequest, st: DemoState) -> Reply:
    form = _form(req)
    cookie = _cookies(req).get(CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD) or req.header(CSRF_HEADER) or ""
    if not cookie or not given or not _eq(cookie, given):
        reason = "CSRF cookie not set." if not cookie else "CSRF token missing or incorrect."
        return _page(403, "403 Forbidden", "<p>CSRF verification failed. Request aborted.</p>"
                                            f"<p>Reason given for failure: {reason}</p>")
    if not (_eq(form.get("username", ""), DEMO_USER) and _eq(form.get("password", ""), DEMO_PASSWORD)):
        error = ("Please enter a correct username and password. Note that both fields may be "
                 "case-sensitive.")
        return _page(200, "Log in | Demo app", _login_page(cookie, error))
    try:
        lifetime = min(max(int(form.get("lifetime") or SESSION_LIFETIME_S), 1), 3600)
    except ValueError:
        lifetime = SESSION_LIFETIME_S
    sid = st.identity.new_session(st.now(), lifetime)
    return _redirect("/app/", ("Set-Cookie", f"{SESSION_COOKIE}={sid}; HttpOnly; Path=/; SameSite=Lax; "
                                             f"Max-Age={lifetime}"))


def logout(req: DemoRequest, st: DemoState) -> Reply:
    sid = _cookies(req).get(SESSION_COOKIE, "")
    with st.identity.lock:
        st.identity.sessions.pop(sid, None)
    return json_reply(200, {"logged_out": True},
                      ("Set-Cookie", f'{SESSION_COOKIE}=""; Max-Age=0; Path=/; '
                                     "expires=Thu, 01 Jan 1970 00:00:00 GMT"))


def expire_sessions(req: DemoRequest, st: DemoState) -> Reply:
    with st.identity.lock:
        count = len(st.identity.sessions)
        st.identity.sessions.clear()
    return json_reply(200, {"expired_sessions": count})


def _signed_in(req: DemoRequest, st: DemoState) -> bool:
    return st.identity.session_ok(_cookies(req).get(SESSION_COOKIE), st.now())


def home(req: DemoRequest, st: DemoState) -> Reply:
    if not _signed_in(req, st):
        return _redirect("/app/login?" + urlencode({"next": "/app/"}))
    return _page(200, "Demo app", f"<p>Signed in as {DEMO_USER}.</p>")


NOTES = [{"id": 1, "text": "Rotate the signing key on Friday."}, {"id": 2, "text": "Renew the mTLS cert."}]


def notes(req: DemoRequest, st: DemoState) -> Reply:
    if not _signed_in(req, st):
        return _redirect("/app/login?" + urlencode({"next": "/app/notes"}))  # Flask-Login's @login_required
    if req.method == "POST":
        cookie = _cookies(req).get(CSRF_COOKIE, "")
        header = req.header(CSRF_HEADER) or ""
        if not header or not cookie or not _eq(cookie, header):
            why = "CSRF token missing." if not header else "CSRF token incorrect."
            return json_reply(403, {"detail": f"CSRF Failed: {why}"})  # Django REST framework's words
        return json_reply(201, {"id": 3, "saved": True})
    return json_reply(200, {"notes": NOTES})


def profile(req: DemoRequest, st: DemoState) -> Reply:
    if not _signed_in(req, st):
        return json_reply(401, {"detail": "Authentication credentials were not provided."})
    return json_reply(200, {"username": DEMO_USER})


def demo_session(req: DemoRequest, st: DemoState) -> Reply:
    """A signed-in session for an hour, as if copied from a browser (the demo cookie profile's value)."""
    return json_reply(200, {"sessionid": st.identity.new_session(st.now(), 3600), "expires_in": 3600},
                      ("Cache-Control", "no-store"))


def api_login(req: DemoRequest, st: DemoState) -> Reply:
    form = _form(req)
    if not (_eq(form.get("username", ""), DEMO_USER) and _eq(form.get("password", ""), DEMO_PASSWORD)):
        return json_reply(401, {"error": "invalid_credentials", "message": "Wrong username or password."})
    claims = access_claims(st.issuer, st.now(), scope="invoices:read", lifetime_s=TOKEN_LIFETIME_S,
                           client_id="demo-app")
    return json_reply(200, {"access_token": st.key.sign(claims), "token_type": "Bearer",
                            "expires_in": TOKEN_LIFETIME_S}, ("Cache-Control", "no-store"))


# --- the browser flow -------------------------------------------------------------------------------------


def authorize(req: DemoRequest, st: DemoState) -> Reply:
    client_id = req.arg("client_id") or ""
    redirect_uri = req.arg("redirect_uri") or ""
    if client_id not in PUBLIC_CLIENTS:
        return _page(400, "Unknown client", f"<p>There is no client '{html.escape(client_id[:80])}'.</p>")
    if not _loopback_redirect(redirect_uri):
        # RFC 6749 §4.1.2.1: never redirect to an unregistered URI; the person sees this page instead
        return _page(400, "redirect_uri mismatch",
                     f"<p>The redirect_uri '{html.escape(redirect_uri[:200])}' is not registered for this "
                     "client: only http loopback addresses are.</p>")
    state = req.arg("state") or ""

    def back(**params: str) -> Reply:
        if state:
            params["state"] = state
        params["iss"] = st.issuer  # RFC 9207
        sep = "&" if "?" in redirect_uri else "?"
        return _redirect(f"{redirect_uri}{sep}{urlencode(params)}")

    if req.arg("response_type") != "code":
        return back(error="unsupported_response_type",
                    error_description="Only response_type=code is supported.")
    challenge = req.arg("code_challenge") or ""
    if not challenge or req.arg("code_challenge_method") != "S256":
        return back(error="invalid_request", error_description="PKCE with code_challenge_method=S256 is "
                                                               "required.")
    scope = req.arg("scope") or "openid invoices:read"
    unknown = _unknown_scopes(scope)
    if unknown:
        return back(error="invalid_scope", error_description=f"Unknown scope: {' '.join(unknown)[:80]}.")
    if req.arg("demo_outcome") == "deny":
        return back(error="access_denied", error_description="The user declined the request.")
    code = secrets.token_urlsafe(24)
    with st.identity.lock:
        _bounded(st.identity.codes)
        st.identity.codes[code] = _Code(client_id, redirect_uri, challenge, scope, st.now() + CODE_LIFETIME_S)
    return back(code=code)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(
        b"=").decode("ascii")


def _code_grant(params: dict[str, str], client_id: str, st: DemoState) -> Reply:
    code = params.get("code", "")
    with st.identity.lock:
        entry = st.identity.codes.get(code)
        reused = entry is not None and entry.used
        if entry is not None:
            entry.used = True  # single use, even when the exchange below fails
    if entry is None or reused or entry.expires <= st.now():
        return _oauth_error(400, "invalid_grant", "The authorization code is invalid, expired or was already "
                                                  "used.")
    if entry.client_id != client_id:
        return _oauth_error(400, "invalid_grant", "The authorization code was issued to another client.")
    if params.get("redirect_uri") != entry.redirect_uri:
        return _oauth_error(400, "invalid_grant",
                            "The redirect_uri does not match the authorization request.")
    verifier = params.get("code_verifier", "")
    if not verifier or not _eq(_s256(verifier), entry.challenge):
        return _oauth_error(400, "invalid_grant",
                            "PKCE verification failed: the code_verifier does not match the code_challenge.")
    return issue_tokens(st, client_id, entry.scope)


# --- the device flow (RFC 8628) ---------------------------------------------------------------------------


def device_authorization(req: DemoRequest, st: DemoState) -> Reply:
    params = _form(req)
    client_id = params.get("client_id", "")
    if client_id not in PUBLIC_CLIENTS:
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    scope = params.get("scope") or "invoices:read"
    unknown = _unknown_scopes(scope)
    if unknown:
        return _oauth_error(400, "invalid_scope", f"Unknown scope: {' '.join(unknown)[:80]}.")
    device_code = secrets.token_urlsafe(32)
    letters = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1: no vowels, no look-alikes
    user_code = "".join(secrets.choice(letters) for _ in range(8))
    user_code = f"{user_code[:4]}-{user_code[4:]}"
    lifetime = 3 if client_id == SHORT_CLIENT_ID else DEVICE_LIFETIME_S
    with st.identity.lock:
        _bounded(st.identity.devices)
        st.identity.devices[device_code] = _Device(client_id, user_code, scope, st.now() + lifetime)
    verify = f"{st.base_url}/device"
    return json_reply(200, {
        "device_code": device_code, "user_code": user_code, "verification_uri": verify,
        "verification_uri_complete": f"{verify}?{urlencode({'user_code': user_code})}",
        "expires_in": lifetime, "interval": DEVICE_INTERVAL_S,
    }, ("Cache-Control", "no-store"))


def device_page(req: DemoRequest, st: DemoState) -> Reply:
    user_code = (req.arg("user_code") or "").strip().upper()
    if not user_code:
        return _page(200, "Connect a device", '<form method="get" action="/device"><label>Code '
                     '<input name="user_code"></label><button name="action" value="approve">Allow</button>'
                     '<button name="action" value="deny">Deny</button></form>')
    with st.identity.lock:
        entry = next((d for d in st.identity.devices.values() if d.user_code == user_code), None)
        if entry is not None and entry.status == "pending" and entry.expires > st.now():
            entry.status = "denied" if req.arg("action") == "deny" else "approved"
            outcome = entry.status
        else:
            outcome = None
    if outcome is None:
        return _page(400, "Unknown code", "<p>That code is unknown, already used, or expired.</p>")
    if outcome == "denied":
        return _page(200, "Access denied", "<p>You denied the device. You can close this page.</p>")
    return _page(200, "Device connected", "<p>Your device is signed in. You can close this page.</p>")


def _device_grant(params: dict[str, str], client_id: str, st: DemoState) -> Reply:
    now = st.now()
    with st.identity.lock:
        entry = st.identity.devices.get(params.get("device_code", ""))
        if entry is None or entry.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "The device code is unknown.")
        entry.polls += 1
        too_fast = entry.last_poll and now - entry.last_poll < DEVICE_INTERVAL_S - 0.25
        entry.last_poll = now
        if entry.status == "issued":
            return _oauth_error(400, "invalid_grant", "The device code was already used.")
        if entry.expires <= now:
            return _oauth_error(400, "expired_token", "The device code has expired.")
        if entry.status == "denied":
            return _oauth_error(400, "access_denied", "The user denied the authorization request.")
        if too_fast or (client_id == SLOW_CLIENT_ID and entry.polls == 1):
            return _oauth_error(400, "slow_down", "Polling too frequently: add 5 seconds to the interval.")
        if entry.status == "pending":
            return _oauth_error(400, "authorization_pending", "The user has not yet approved the device.")
        entry.status = "issued"
        scope = entry.scope
    return issue_tokens(st, client_id, scope)


def _password_grant(params: dict[str, str], client_id: str, st: DemoState) -> Reply:
    if not (_eq(params.get("username", ""), DEMO_USER) and _eq(params.get("password", ""), DEMO_PASSWORD)):
        return _oauth_error(400, "invalid_grant", "Wrong email or password.")  # Auth0's words
    scope = params.get("scope") or "invoices:read"
    unknown = _unknown_scopes(scope)
    if unknown:
        return _oauth_error(400, "invalid_scope", f"Unknown scope: {' '.join(unknown)[:80]}.")
    return issue_tokens(st, client_id, scope, refresh=False)


def grant(grant_type: str, params: dict[str, str], client_id: str, st: DemoState) -> Reply:
    """The token endpoint's answer for the sign-in flows' grants (server.py authenticated the client)."""
    if client_id not in PUBLIC_CLIENTS:
        return _oauth_error(400, "unauthorized_client", f"This client may not use the {grant_type} grant.")
    if grant_type == "authorization_code":
        return _code_grant(params, client_id, st)
    if grant_type == "password":
        return _password_grant(params, client_id, st)
    return _device_grant(params, client_id, st)


# --- keys -------------------------------------------------------------------------------------------------


def rotate_key(req: DemoRequest, st: DemoState) -> Reply:
    old = st.key.kid
    st.key = DemoKey.generate()  # the JWKS now lists only the new key: tokens signed before are refused
    return json_reply(200, {"kid": st.key.kid, "previous_kid": old,
                            "jwks_uri": f"{st.base_url}/.well-known/jwks.json"})


def rfc8414_metadata(req: DemoRequest, st: DemoState) -> Reply:
    """RFC 8414 metadata of the demo issuer, and of "tenant-b", an issuer with no OpenID document at all
    (its discovery finds this one second)."""
    base = st.base_url
    issuer = f"{base}/tenant-b" if req.groups and req.groups[0] else st.issuer
    return json_reply(200, {"issuer": issuer, "token_endpoint": f"{base}/oauth/token",
                            "jwks_uri": f"{base}/.well-known/jwks.json", **metadata(st)})


# (pattern, methods, handler): wired into the demo server's routes by server.py
ROUTES: tuple[tuple[str, tuple[str, ...], Any], ...] = (
    (r"/app/login", ("GET",), login_page),
    (r"/app/login", ("POST",), login),
    (r"/app/logout", ("POST",), logout),
    (r"/app/expire-sessions", ("POST",), expire_sessions),
    (r"/app/", ("GET",), home),
    (r"/app/notes", ("GET", "POST"), notes),
    (r"/app/profile", ("GET",), profile),
    (r"/app/api/login", ("POST",), api_login),
    (r"/app/demo-session", ("GET",), demo_session),
    (r"/oauth/authorize", ("GET",), authorize),
    (r"/oauth/device", ("POST",), device_authorization),
    (r"/device", ("GET",), device_page),
    (r"/keys/rotate", ("POST",), rotate_key),
    (r"/\.well-known/oauth-authorization-server(/tenant-b)?", ("GET",), rfc8414_metadata),
)

