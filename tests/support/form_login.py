"""A small real form-login site for cookie tests (start it with the `http_server` fixture).

    GET  /login        the form; sets csrftoken (Path=/)
    POST /login        user "support" / password FORM_PASSWORD: 302 to /app/home, sets sessionid (Path=/app,
                       HttpOnly, SameSite=Lax, Max-Age=600), prefs (Path=/admin: never sent to /app) and deletes
                       the old "visited" cookie (Max-Age=0); a wrong password shows the form again
    GET  /app/...      200 JSON with the cookies it received; 401 without the session

It also answers as an HTTP proxy would (a request line with an absolute URL), so a test can reach it under a
name that is not loopback (http://shop.example.test/...) with HTTP_PROXY pointing at it: no DNS, no network.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from tests.support.servers import QuietHandler, responding

FORM_PASSWORD = "form-login-Pa55word"
SESSION_ID = "sess-0123456789abcdef0123456789abcdef"
PREFS = "prefs-value-abcdef0123456789"
CSRF = "csrf-value-0123456789abcdef"

_FORM = (b'<!doctype html><form method="post" action="/login"><input type="hidden" name="csrfmiddlewaretoken" '
         b'value="' + CSRF.encode() + b'"><input name="username"><input type="password" name="password">'
         b'</form>')


def _cookies(handler: QuietHandler) -> dict[str, str]:
    out = {}
    for part in (handler.headers.get("Cookie") or "").split(";"):
        name, sep, value = part.partition("=")
        if sep:
            out[name.strip()] = value.strip()
    return out


def _respond(handler: QuietHandler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    path = urlsplit(handler.path).path  # "/app/x", or "http://shop.example.test/app/x" through a proxy
    html = [("Content-Type", "text/html; charset=utf-8")]
    if path == "/login" and handler.command == "GET":
        return 200, [*html, ("Set-Cookie", f"csrftoken={CSRF}; Path=/; SameSite=Lax")], _FORM
    if path == "/login" and handler.command == "POST":
        form = dict(parse_qsl(body.decode("latin-1")))
        if form.get("username") != "support" or form.get("password") != FORM_PASSWORD:
            return 200, html, _FORM
        return 302, [("Location", "/app/home"),
                     ("Set-Cookie", f"sessionid={SESSION_ID}; Path=/app; HttpOnly; SameSite=Lax; Max-Age=600"),
                     ("Set-Cookie", f"prefs={PREFS}; Path=/admin"),
                     ("Set-Cookie", "visited=; Path=/; Max-Age=0")], b""
    if path.startswith("/app"):
        cookies = _cookies(handler)
        if cookies.get("sessionid") != SESSION_ID:
            return 401, [("Content-Type", "application/json")], b'{"error": "not signed in"}'
        doc = {"path": path, "cookies": sorted(cookies)}
        return 200, [("Content-Type", "application/json")], json.dumps(doc).encode()
    return 404, html, b"not here"


FormLoginHandler = responding(_respond)


def form_login_credentials(base: str) -> dict[str, object]:
    """The [credentials] of a session profile for this site (the password from ${env:FORM_PASSWORD})."""
    return {"login_url": f"{base}/login", "csrf_field": "csrfmiddlewaretoken",
            "form": {"username": "support", "password": "${env:FORM_PASSWORD}"}}
