"""The cookies of an exchange hop by hop (the response view's Cookies tab reads them): a real form login with a
session profile, and hops sent without a profile jar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.exchange import Exchange, HeldCookie, Hop, Response
from inspector.core.hop_cookies import CookieLine, hop_cookies, pairs
from inspector.core.pipeline import run
from inspector.core.profiles.auth import TokenCache
from inspector.core.profiles.model import new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import RequestSpec
from tests.support.form_login import (
    CSRF,
    FORM_PASSWORD,
    PREFS,
    SESSION_ID,
    FormLoginHandler,
    form_login_credentials,
)

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_a_form_login_lists_what_each_hop_sent_held_back_and_set(http_server: Callable[..., str],
                                                                 tmp_path: Path) -> None:
    base = http_server(FormLoginHandler)
    profile = new_profile("form", "session", tmp_path, credentials=form_login_credentials(base))
    result = run(RequestSpec(url=f"{base}/app/data"), profile=profile, token_cache=TokenCache(),
                 resolver=Resolver(None, env={"FORM_PASSWORD": FORM_PASSWORD}))
    assert result.exchange.response is not None and result.exchange.response.status == 200
    listed = {(h.number, h.hop.role): [(c.kind, c.name, c.value) for c in h.lines]
              for h in hop_cookies(result.exchange)}
    assert listed == {
        (1, "login"): [("set", "csrftoken", CSRF)],
        (2, "login"): [("sent", "csrftoken", CSRF), ("set", "sessionid", SESSION_ID), ("set", "prefs", PREFS),
                       ("set", "visited", "")],
        # RFC 6265 §5.4: the cookie with the longer path goes first
        (3, "login"): [("sent", "sessionid", SESSION_ID), ("sent", "csrftoken", CSRF), ("held", "prefs", None)],
        (4, "request"): [("sent", "sessionid", SESSION_ID), ("sent", "csrftoken", CSRF), ("held", "prefs", None)],
    }
    lines = {c.name: c for h in hop_cookies(result.exchange) for c in h.lines if c.kind == "set"}
    session = lines["sessionid"]
    assert (session.path, session.http_only, session.secure, session.same_site) == ("/app", True, False, "Lax")
    assert session.expires is not None and session.domain == "127.0.0.1" and session.host_only
    assert lines["visited"].removed and not lines["sessionid"].removed
    held = next(c for c in hop_cookies(result.exchange)[-1].lines if c.kind == "held")
    assert (held.reason, held.path) == ("path", "/admin")
    assert held.detail == "The cookie prefs is for the path /admin, and /app/data is not under it."


def test_a_secure_cookie_is_held_back_over_http_on_a_name_that_is_not_loopback(
        http_server: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site is reached as http://shop.example.test through a loopback proxy (no DNS, no network): a
    Secure cookie for it stays home, and the explainer says why the server answered as if there were none."""
    proxy = http_server(FormLoginHandler)
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    profile = new_profile("copied", "cookie", tmp_path, credentials={
        "name": "sessionid", "value": "${env:SID}", "domain": "shop.example.test", "secure": True})
    result = run(RequestSpec(url="http://shop.example.test/app/data"), profile=profile, token_cache=TokenCache(),
                 resolver=Resolver(None, env={"SID": SESSION_ID}))
    assert result.exchange.response is not None and result.exchange.response.status == 401
    assert result.exchange.proxy == proxy
    (only,) = hop_cookies(result.exchange)
    assert [(c.kind, c.name, c.reason, c.domain) for c in only.lines] == [
        ("held", "sessionid", "secure", "shop.example.test")]
    assert only.lines[0].detail == ("The cookie sessionid is Secure, and this request went over plain http to "
                                    "shop.example.test: browsers send it only over https.")
    assert result.diagnosis is not None and "cookie-not-sent" in result.diagnosis.finding_ids


def hop(url: str, sent: tuple[tuple[str, str], ...] = (), got: tuple[tuple[str, str], ...] = (), **kw: object
        ) -> Hop:
    response = Response(200, "OK", got, b"", 0)
    return Hop("GET", url, sent, b"", response, 0.0, AT, **kw)  # type: ignore[arg-type]


def test_hops_without_a_profile_jar_are_read_from_their_headers() -> None:
    exchange = Exchange(RequestSpec(url="http://api.example.test/x"), (
        hop("http://api.example.test/x", sent=(("Cookie", "a=1; b=two"),),
            got=(("Set-Cookie", "sid=s3cr3t; Path=/; Secure; HttpOnly"),
                 ("Set-Cookie", "theme=dark; Domain=example.test; Expires=Fri, 01 Jan 2027 00:00:00 GMT"),
                 ("Set-Cookie", "gone=; Max-Age=0"),
                 ("Set-Cookie", "elsewhere=1; Domain=other.test"),
                 ("Set-Cookie", "not a cookie"))),
    ))
    (only,) = hop_cookies(exchange)
    got = {c.name: c for c in only.lines if c.kind == "set"}
    assert [(c.kind, c.name, c.value) for c in only.lines if c.kind == "sent"] == [("sent", "a", "1"),
                                                                                   ("sent", "b", "two")]
    assert got["sid"].refused == "it is a Secure cookie set over plain http by 'api.example.test'"
    assert got["theme"].domain == "example.test" and not got["theme"].host_only
    assert got["theme"].expires == datetime(2027, 1, 1, tzinfo=UTC)
    assert got["gone"].removed and got["elsewhere"].refused and "not a cookie" not in got


def test_held_back_cookies_come_from_the_jar_notes() -> None:
    held = HeldCookie("sid", "example.test", "/", "secure", "The cookie sid is Secure, and this request went "
                      "over plain http to api.example.test: browsers send it only over https.")
    exchange = Exchange(RequestSpec(url="http://api.example.test/x"),
                        (hop("http://api.example.test/x", cookies_held=(held,)),))
    (only,) = hop_cookies(exchange)
    assert only.lines == (CookieLine("held", "sid", None, "example.test", "/", reason="secure",
                                     detail=held.detail),)


def test_an_exchange_without_cookies_lists_no_hop() -> None:
    exchange = Exchange(RequestSpec(url="http://api.example.test/x"), (hop("http://api.example.test/x"),))
    assert hop_cookies(exchange) == ()


@pytest.mark.parametrize(("header", "expected"), [
    ("a=1; b=2", [("a", "1"), ("b", "2")]),
    ("a=1;b=x=y", [("a", "1"), ("b", "x=y")]),
    ("  ; =nameless; c=", [("c", "")]),
    ("", []),
])
def test_cookie_header_pairs(header: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(header) == expected
