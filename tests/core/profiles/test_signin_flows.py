"""Every sign-in flow end to end against the demo API on 127.0.0.1: a form login that sets and expires a
cookie, a copied cookie, a JSON login's token, the browser flow (PKCE) completed by an opener that follows the
authorization URL as a browser would, the device flow, the password grant, OIDC discovery; each step a hop,
nothing sent half-authenticated, every secret known to the redactor."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from inspector.core.diagnosis import Diagnosis
from inspector.core.exchange import Exchange
from inspector.core.pipeline import Prepared, prepare
from inspector.core.profiles.auth import TokenCache
from inspector.core.profiles.flows import SignInHooks, SignInProgress
from inspector.core.profiles.model import Profile, new_profile
from inspector.core.profiles.secrets import FileSecretStore, Resolver
from inspector.core.request import Body, Header, RequestSpec
from inspector.demo.scenarios import DEMO_PASSWORD
from inspector.demo.server import DemoServer, start_demo_server


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    server = start_demo_server("127.0.0.1", 0)  # its own: these tests end sessions and rotate keys
    try:
        yield server
    finally:
        server.stop()


def browse(url: str) -> None:
    """What a browser does with the authorization URL: GET it and follow every redirect."""
    with requests.Session() as session:
        session.trust_env = False
        session.get(url, timeout=20, allow_redirects=True)


class Run:
    """One run of the app: a token cache (jars, discovery, tokens) with hooks that record progress."""

    def __init__(
        self,
        opener: Callable[[str], object] = browse,
        timeout_s: float = 30.0,
        env: dict[str, str] | None = None,
        store: Any = None,
    ) -> None:
        self.events: list[SignInProgress] = []
        self.opened: list[str] = []

        def open_and_record(url: str) -> object:
            self.opened.append(url)
            return opener(url)

        self.cache = TokenCache(hooks=SignInHooks(open_and_record, self.events.append, timeout_s))
        self.resolver = Resolver(store, env={"DEMO_PASSWORD": DEMO_PASSWORD, **(env or {})})

    def send(
        self,
        profile: Profile,
        url: str,
        *,
        method: str = "GET",
        body: Body | None = None,
        timeout_s: float = 30.0,
        clock: Callable[[], datetime] | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[Prepared, Exchange, Diagnosis]:
        spec = RequestSpec(
            method=method,
            url=url,
            body=body or Body(),
            timeout_s=timeout_s,
            headers=(Header("Accept", "application/json"),),
        )
        prepared = prepare(spec, profile, self.resolver, self.cache, clock=clock)
        kwargs: dict[str, Any] = {"cancel": cancel} if cancel is not None else {}
        if clock is not None:
            kwargs["clock"] = clock
        exchange = prepared.send(**kwargs)
        return prepared, exchange, prepared.explain(exchange)


def roles(exchange: Exchange) -> list[tuple[str, str, int | None]]:
    return [(h.role, h.method, h.status) for h in exchange.hops]


def session_profile(folder: Path, base: str, **extra: Any) -> Profile:
    form = {"username": "demo", "password": "${env:DEMO_PASSWORD}", **extra.pop("form", {})}
    creds = {
        "login_url": f"{base}/app/login",
        "csrf_field": "csrfmiddlewaretoken",
        "csrf_cookie": "csrftoken",
        "csrf_header": "X-CSRFToken",
        "form": form,
        **extra,
    }
    return new_profile(
        "form login", "session", folder, stem=f"session-{len(form)}-{len(extra)}", credentials=creds
    )


# --- a login form: its cookie, CSRF, expiry ------------------------------------------------------------


def test_a_form_login_keeps_its_cookie_and_echoes_csrf(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = session_profile(tmp_path, demo.base_url)
    prepared, exchange, diagnosis = run.send(
        profile, f"{demo.base_url}/app/notes", method="POST", body=Body(kind="json", text='{"text": "hi"}')
    )
    assert roles(exchange) == [
        ("login", "GET", 200),
        ("login", "POST", 302),
        ("login", "GET", 200),
        ("request", "POST", 201),
    ]
    page, login, _home, request = exchange.hops
    assert [c.name for c in page.cookies_set] == ["csrftoken"]
    assert login.cookies_sent == ("csrftoken",) and [c.name for c in login.cookies_set] == ["sessionid"]
    assert set(request.cookies_sent) == {"csrftoken", "sessionid"}
    assert request.sent_header("X-CSRFToken") and diagnosis.verdict == "ok"
    sid = next(c for h in exchange.hops for c in h.cookies_set if c.name == "sessionid")
    assert sid.http_only and sid.expires is not None
    # the password and the session cookie are secrets for every output
    values = prepared.redactor.values()
    assert DEMO_PASSWORD in values and any(
        len(v) > 20 and v in (request.sent_header("Cookie") or "") for v in values
    )
    # the same run: the session is reused, no login
    _p, again, _d = run.send(profile, f"{demo.base_url}/app/notes")
    assert roles(again) == [("request", "GET", 200)]


def test_an_expired_session_cookie_means_a_new_login(demo: DemoServer, tmp_path: Path) -> None:
    """The login's cookie lives 2 s (Max-Age from the form); a send 10 s later (by the injected clock) finds
    it expired in the jar, says so on the hop, and logs in again before the request."""
    run = Run()
    profile = session_profile(tmp_path, demo.base_url, form={"lifetime": "2"})
    t0 = datetime.now(UTC)
    _p, first, _d = run.send(profile, f"{demo.base_url}/app/notes", clock=lambda: t0)
    assert roles(first)[-1] == ("request", "GET", 200)
    later = t0 + timedelta(seconds=10)
    _p, second, diagnosis = run.send(profile, f"{demo.base_url}/app/notes", clock=lambda: later)
    assert [r for r, _m, _s in roles(second)] == ["login", "login", "login", "request"]
    held = [(c.name, c.reason) for c in second.hops[0].cookies_held]
    assert held == [("sessionid", "expired")] and diagnosis.verdict == "ok"


def test_a_refused_login_stops_the_send_on_the_login_hop(demo: DemoServer, tmp_path: Path) -> None:
    run = Run(env={"WRONG": "not-the-demo-password"})
    profile = session_profile(tmp_path, demo.base_url, form={"password": "${env:WRONG}"})
    prepared, exchange, diagnosis = run.send(profile, f"{demo.base_url}/app/notes")
    assert [r for r, _m, _s in roles(exchange)] == ["login", "login"]  # the request was never sent
    assert exchange.error is None and exchange.response is not None and exchange.response.status == 200
    assert "login form again" in str(exchange.token_problem)
    assert diagnosis.verdict == "authentication" and diagnosis.findings[0].id == "login-failed"
    assert diagnosis.findings[0].evidence["form_shown_again"] is True
    assert "not-the-demo-password" in prepared.redactor.values()


def test_a_session_ended_by_the_server_is_explained_then_renewed(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = session_profile(tmp_path, demo.base_url)
    run.send(profile, f"{demo.base_url}/app/notes")
    requests.post(f"{demo.base_url}/app/expire-sessions", timeout=10)
    _p, stale, diagnosis = run.send(profile, f"{demo.base_url}/app/notes")
    assert [r for r, _m, _s in roles(stale)] == ["request", "request"]  # the redirect to the login page
    assert diagnosis.verdict == "authentication"
    assert {"session-expired", "redirected-to-login"} <= set(diagnosis.finding_ids)
    assert diagnosis.summary.startswith("Your session has expired")
    _p, renewed, _d = run.send(profile, f"{demo.base_url}/app/notes")  # the profile logs in again
    assert roles(renewed)[0][0] == "login" and roles(renewed)[-1] == ("request", "GET", 200)


def test_without_the_csrf_echo_the_refusal_is_explained(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = session_profile(tmp_path, demo.base_url)
    profile = replace(
        profile,
        credentials={k: v for k, v in profile.credentials.items() if k not in ("csrf_cookie", "csrf_header")},
    )
    _p, exchange, diagnosis = run.send(
        profile, f"{demo.base_url}/app/notes", method="POST", body=Body(kind="json", text="{}")
    )
    assert exchange.response is not None and exchange.response.status == 403
    finding = diagnosis.finding("csrf-failed")
    assert finding is not None and diagnosis.verdict == "authentication"
    assert (finding.evidence["cookie"], finding.evidence["header"]) == ("csrftoken", "X-CSRFToken")


def test_a_json_login_sends_its_token_not_cookies(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = new_profile(
        "json login",
        "session",
        tmp_path,
        credentials={
            "login_url": f"{demo.base_url}/app/api/login",
            "token_from": "json:/access_token",
            "json": {"username": "demo", "password": "${env:DEMO_PASSWORD}"},
        },
    )
    prepared, exchange, diagnosis = run.send(profile, f"{demo.base_url}/api/invoices")
    assert roles(exchange) == [("login", "POST", 200), ("request", "GET", 200)]
    request = exchange.hops[-1]
    token = (request.sent_header("Authorization") or "").removeprefix("Bearer ")
    assert token.count(".") == 2 and token in prepared.redactor.values()
    assert request.sent_header("Cookie") is None and diagnosis.verdict == "ok"


def test_a_copied_cookie_is_sent_as_its_attributes_allow(demo: DemoServer, tmp_path: Path) -> None:
    sid = requests.get(f"{demo.base_url}/app/demo-session", timeout=10).json()["sessionid"]
    run = Run(env={"SID": sid})
    good = new_profile(
        "cookie",
        "cookie",
        tmp_path,
        stem="c1",
        credentials={"name": "sessionid", "value": "${env:SID}", "path": "/app", "secure": True},
    )
    prepared, exchange, diagnosis = run.send(good, f"{demo.base_url}/app/profile")
    assert exchange.hops[-1].cookies_sent == ("sessionid",) and diagnosis.verdict == "ok"  # Secure: loopback
    assert sid in prepared.redactor.values()
    narrow = new_profile(
        "cookie",
        "cookie",
        tmp_path,
        stem="c2",
        credentials={"name": "sessionid", "value": "${env:SID}", "path": "/app/admin"},
    )
    _p, exchange, diagnosis = run.send(narrow, f"{demo.base_url}/app/profile")
    assert [(c.name, c.reason) for c in exchange.hops[-1].cookies_held] == [("sessionid", "path")]
    assert diagnosis.verdict == "authentication" and "cookie-not-sent" in diagnosis.finding_ids
    assert diagnosis.summary.startswith("The cookie sessionid was not sent")


def test_a_login_redirect_without_any_profile_is_authentication(demo: DemoServer) -> None:
    from inspector.core.diagnosis import explain
    from inspector.core.transport import send

    exchange = send(RequestSpec(url=f"{demo.base_url}/app/notes"))
    assert exchange.response is not None and exchange.response.status == 200  # the login page
    diagnosis = explain(exchange)
    assert diagnosis.verdict == "authentication" and diagnosis.findings[0].id == "redirected-to-login"


# --- the browser flow ----------------------------------------------------------------------------------


def browser_profile(folder: Path, base: str, stem: str = "browser", **extra: Any) -> Profile:
    creds = {"issuer": f"{base}/", "client_id": "demo-cli", "scope": "openid invoices:read", **extra}
    return new_profile("browser sign-in", "oauth2-authorization-code", folder, stem=stem, credentials=creds)


def test_the_browser_flow_with_pkce_and_state(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    prepared, exchange, diagnosis = run.send(
        browser_profile(tmp_path, demo.base_url), f"{demo.base_url}/api/invoices"
    )
    assert roles(exchange) == [
        ("discovery", "GET", 200),
        ("authorize", "GET", 302),
        ("token", "POST", 200),
        ("request", "GET", 200),
    ]
    assert diagnosis.verdict == "ok" and len(run.opened) == 1
    query = dict(parse_qsl(urlsplit(run.opened[0]).query))
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and query["redirect_uri"].endswith(
        "/callback"
    )
    authorize, token_hop = exchange.hops[1], exchange.hops[2]
    assert query["state"] not in authorize.url and query["code_challenge"] in authorize.url
    code = dict(parse_qsl(token_hop.sent_body.decode()))["code"]
    verifier = dict(parse_qsl(token_hop.sent_body.decode()))["code_verifier"]
    location = authorize.location or ""
    assert "code=" in location and code not in location  # the callback is recorded masked
    assert {code, verifier, query["state"]} <= set(prepared.redactor.values())
    browser_event = next(e for e in run.events if e.stage == "browser")
    assert (
        browser_event.waiting
        and browser_event.url == run.opened[0]
        and run.opened[0] in browser_event.message
    )
    # the same run: the token is cached, nobody is asked again
    _p, again, _d = run.send(browser_profile(tmp_path, demo.base_url), f"{demo.base_url}/api/invoices")
    assert roles(again) == [("request", "GET", 200)] and len(run.opened) == 1


def test_the_browser_command_comes_from_BROWSER(
    demo: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from inspector.core.profiles.flows import system_browser

    script = tmp_path / "browser.py"
    script.write_text(
        f"#!{sys.executable}\nimport sys, requests\nrequests.get(sys.argv[1], timeout=20)\n", encoding="utf-8"
    )
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    run = Run(opener=system_browser)
    _p, exchange, diagnosis = run.send(
        browser_profile(tmp_path, demo.base_url, stem="via-browser-env"), f"{demo.base_url}/api/invoices"
    )
    assert diagnosis.verdict == "ok" and ("authorize", "GET", 302) in roles(exchange)


def test_a_declined_sign_in_ends_on_the_authorize_hop(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = browser_profile(tmp_path, demo.base_url, stem="deny", extra_params={"demo_outcome": "deny"})
    _p, exchange, diagnosis = run.send(profile, f"{demo.base_url}/api/invoices")
    assert [r for r, _m, _s in roles(exchange)][-1] == "authorize" and exchange.error is None
    assert diagnosis.verdict == "authentication" and diagnosis.findings[0].id == "oauth-flow-failed"
    assert diagnosis.findings[0].evidence["error"] == "access_denied"


def test_a_redirect_with_another_state_is_not_used(demo: DemoServer, tmp_path: Path) -> None:
    def forged_state(url: str) -> None:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query["state"] = "forged-by-someone-else"
        browse(urlunsplit((*parts[:3], urlencode(query), "")))

    _p, exchange, diagnosis = Run(forged_state).send(
        browser_profile(tmp_path, demo.base_url, stem="state"), f"{demo.base_url}/api/invoices"
    )
    assert [r for r, _m, _s in roles(exchange)] == ["discovery", "authorize"]  # no token request
    assert diagnosis.findings[0].evidence["error"] == "state-mismatch"


def test_nobody_signing_in_ends_at_the_auth_timeout(demo: DemoServer, tmp_path: Path) -> None:
    run = Run(opener=lambda url: None, timeout_s=0.5)
    _p, exchange, diagnosis = run.send(
        browser_profile(tmp_path, demo.base_url, stem="timeout"), f"{demo.base_url}/api/invoices"
    )
    assert exchange.error is not None and exchange.error.kind == "timeout" and exchange.response is None
    assert "--auth-timeout" in exchange.error.message
    assert exchange.hops[-1].role == "authorize" and exchange.hops[-1].response is None
    assert diagnosis.verdict == "transport-error" and diagnosis.finding_ids == ("oauth-flow-failed",)


def test_cancel_while_waiting_for_the_browser(demo: DemoServer, tmp_path: Path) -> None:
    cancel = threading.Event()
    run = Run(opener=lambda url: cancel.set())
    _p, exchange, _d = run.send(
        browser_profile(tmp_path, demo.base_url, stem="cancel"),
        f"{demo.base_url}/api/invoices",
        cancel=cancel,
    )
    assert exchange.error is not None and exchange.error.kind == "cancelled"
    assert exchange.hops[-1].role == "authorize"


def test_the_time_a_person_takes_is_not_the_sends_deadline(demo: DemoServer, tmp_path: Path) -> None:
    slow_person = threading.Event()

    def late(url: str) -> None:
        slow_person.wait(1.5)  # longer than the send's whole deadline below
        browse(url)

    _p, exchange, diagnosis = Run(late).send(
        browser_profile(tmp_path, demo.base_url, stem="slow"), f"{demo.base_url}/api/invoices", timeout_s=1.0
    )
    assert exchange.error is None and diagnosis.verdict == "ok"


def test_remember_keeps_the_refresh_token_in_the_secret_store_only(demo: DemoServer, tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "data")
    profile = browser_profile(tmp_path, demo.base_url, stem="remember", remember=True)
    first = Run(store=store)
    first.send(profile, f"{demo.base_url}/api/invoices")
    kept = store.get(f"refresh-token:{profile.identity}")
    assert kept and len(first.opened) == 1
    second = Run(store=store)  # a new run: no token in memory, the kept refresh token instead of a browser
    prepared, exchange, diagnosis = second.send(profile, f"{demo.base_url}/api/invoices")
    assert second.opened == [] and diagnosis.verdict == "ok"
    assert [r for r, _m, _s in roles(exchange)] == ["discovery", "token", "request"]
    assert kept in prepared.redactor.values()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".json":  # the secrets file is the store itself
            assert kept.encode() not in path.read_bytes(), path


# --- the device flow ------------------------------------------------------------------------------------


def device_profile(folder: Path, base: str, client_id: str = "demo-cli", stem: str = "device") -> Profile:
    return new_profile(
        "device",
        "oauth2-device-code",
        folder,
        stem=stem,
        credentials={"issuer": f"{base}/", "client_id": client_id, "scope": "invoices:read"},
    )


def test_the_device_flow_polls_until_allowed(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()  # the opener follows verification_uri_complete: the person allows the device
    prepared, exchange, diagnosis = run.send(
        device_profile(tmp_path, demo.base_url), f"{demo.base_url}/api/invoices"
    )
    assert [r for r, _m, _s in roles(exchange)][-3:] == ["authorize", "token", "request"]
    assert diagnosis.verdict == "ok"
    event = next(e for e in run.events if e.stage == "device")
    assert event.user_code and event.user_code in event.message and event.url == f"{demo.base_url}/device"
    device_code = dict(parse_qsl(exchange.hops[-2].sent_body.decode()))["device_code"]
    assert device_code in prepared.redactor.values()


def test_a_denied_device_says_access_denied(demo: DemoServer, tmp_path: Path) -> None:
    run = Run(opener=lambda url: browse(url + "&action=deny"))
    _p, exchange, diagnosis = run.send(
        device_profile(tmp_path, demo.base_url, stem="deny"), f"{demo.base_url}/api/invoices"
    )
    assert exchange.hops[-1].role == "token" and exchange.response is not None
    assert (
        diagnosis.verdict == "authentication" and diagnosis.findings[0].evidence["error"] == "access_denied"
    )


def test_an_expired_device_code_says_expired_token(demo: DemoServer, tmp_path: Path) -> None:
    run = Run(opener=lambda url: None)  # nobody enters the code; it lives 3 s
    _p, exchange, diagnosis = run.send(
        device_profile(tmp_path, demo.base_url, "demo-device-short", "short"), f"{demo.base_url}/api/invoices"
    )
    assert diagnosis.findings[0].id == "oauth-flow-failed"
    assert diagnosis.findings[0].evidence["error"] == "expired_token"


def test_slow_down_adds_five_seconds_and_still_signs_in(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    _p, exchange, diagnosis = run.send(
        device_profile(tmp_path, demo.base_url, "demo-device-slow", "slow"), f"{demo.base_url}/api/invoices"
    )
    assert diagnosis.verdict == "ok" and exchange.hops[-1].status == 200


# --- the password grant and discovery -------------------------------------------------------------------


def password_profile(folder: Path, issuer: str, stem: str, password: str = "${env:DEMO_PASSWORD}") -> Profile:
    return new_profile(
        "password",
        "oauth2-password",
        folder,
        stem=stem,
        credentials={"issuer": issuer, "client_id": "demo-cli", "username": "demo", "password": password},
    )


def test_discovery_tries_openid_first_then_rfc_8414_and_is_cached(demo: DemoServer, tmp_path: Path) -> None:
    run = Run()
    profile = password_profile(tmp_path, f"{demo.base_url}/tenant-b", "tenant-b")
    _p, exchange, diagnosis = run.send(profile, f"{demo.base_url}/api/invoices")
    assert [h.url.removeprefix(demo.base_url) for h in exchange.hops if h.role == "discovery"] == [
        "/tenant-b/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/tenant-b",
    ]
    assert [h.status for h in exchange.hops if h.role == "discovery"] == [404, 200]
    assert roles(exchange)[-2:] == [("token", "POST", 200), ("request", "GET", 200)]
    other = password_profile(tmp_path, f"{demo.base_url}/tenant-b", "tenant-b-2")  # same issuer, same run
    _p, again, _d = run.send(other, f"{demo.base_url}/api/invoices")
    assert [r for r, _m, _s in roles(again)] == ["token", "request"]


def test_an_issuer_without_metadata_stops_at_discovery(demo: DemoServer, tmp_path: Path) -> None:
    _p, exchange, diagnosis = Run().send(
        password_profile(tmp_path, f"{demo.base_url}/nowhere", "nowhere"), f"{demo.base_url}/api/invoices"
    )
    assert [r for r, _m, _s in roles(exchange)] == ["discovery", "discovery"]
    assert diagnosis.verdict == "authentication"
    assert (
        diagnosis.findings[0].id == "oauth-flow-failed"
        and diagnosis.findings[0].evidence["step"] == "discovery"
    )


def test_a_wrong_password_is_the_token_endpoints_refusal(demo: DemoServer, tmp_path: Path) -> None:
    run = Run(env={"BAD": "wrong-password-123"})
    _p, exchange, diagnosis = run.send(
        password_profile(tmp_path, f"{demo.base_url}/", "bad", "${env:BAD}"), f"{demo.base_url}/api/invoices"
    )
    assert roles(exchange)[-1] == ("token", "POST", 400) and diagnosis.verdict == "authentication"
    assert "invalid_grant" in diagnosis.summary


def test_a_rotated_key_is_named_from_the_discovered_jwks(tmp_path: Path) -> None:
    with start_demo_server("127.0.0.1", 0) as server:
        run = Run()
        profile = password_profile(tmp_path, f"{server.base_url}/", "rotated")
        _p, first, diagnosis = run.send(profile, f"{server.base_url}/api/invoices")
        assert diagnosis.verdict == "ok" and diagnosis.token is not None and diagnosis.token.verified
        requests.post(f"{server.base_url}/keys/rotate", timeout=30)
        _p, after, diagnosis = run.send(profile, f"{server.base_url}/api/invoices")  # the cached token
        assert roles(after) == [("request", "GET", 401)]
        assert diagnosis.verdict == "authentication" and "signature-invalid" not in diagnosis.finding_ids
        finding = diagnosis.finding("signing-key-unknown")
        assert (
            finding is not None and finding.evidence["jwks_url"] == f"{server.base_url}/.well-known/jwks.json"
        )
        assert (
            len(finding.evidence["jwks_kids"]) == 1
            and finding.evidence["kid"] not in finding.evidence["jwks_kids"]
        )
