"""Try the fix (core/retry.py) against the real demo API and loopback servers: for each fix a case where it
confirms the cause and one where it does not, what an explanation offers, and the fixes that cannot apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.core.pipeline import SendResult, run
from inspector.core.profiles.auth import TokenCache, auth_for
from inspector.core.profiles.model import Profile, new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import Body, Header, RequestSpec
from inspector.core.retry import (
    Fix,
    RetryError,
    fix_label,
    judge,
    offered_fixes,
    parse_fix,
    plan_retry,
    retry,
)
from inspector.demo.scenarios import DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USER
from inspector.demo.server import DemoServer, mint_token
from tests.support.servers import QuietHandler, responding

RESOLVER = Resolver(None)


def oauth(base: str, folder: Path, scope: str = "invoices:read", name: str = "billing") -> Profile:
    return new_profile(name, "oauth2-client-credentials", folder, base_url=base, credentials={
        "token_url": f"{base}/oauth/token", "client_id": "demo-service", "client_secret": DEMO_CLIENT_SECRET,
        "scope": scope})


def bearer(base: str, folder: Path, token: str, name: str = "fixed", prefix: str = "Bearer") -> Profile:
    return new_profile(name, "bearer", folder, base_url=base, credentials={"token": token, "prefix": prefix})


def session(base: str, folder: Path, **extra: str) -> Profile:
    return new_profile("notes", "session", folder, base_url=base, credentials={
        "login_url": f"{base}/app/login", "prefetch": True, "csrf_field": "csrfmiddlewaretoken",
        "session_cookie": "sessionid", **extra, "form": {"username": DEMO_USER, "password": DEMO_PASSWORD}})


@dataclass
class Case:
    """One first request, a fix, and whether the retry must confirm it."""

    fix: str
    confirmed: bool
    words: str  # in the conclusion


def send(spec: RequestSpec, profile: Profile | None, cache: TokenCache) -> SendResult:
    return run(spec, profile=profile, resolver=RESOLVER, token_cache=cache)


def statuses(first: SendResult, second: SendResult) -> tuple[int | None, int | None]:
    a, b = first.exchange.response, second.exchange.response
    return (a.status if a else None, b.status if b else None)


def expired_token_cache(profile: Profile, base: str) -> TokenCache:
    """A cache that still holds a token the server now refuses as expired (it thinks it fresh)."""
    cache = TokenCache()
    auth = auth_for(profile, RESOLVER, cache=cache)
    now = datetime.now(UTC)
    cache.put(auth.cache_key, mint_token(base, "expired"), now, now + timedelta(hours=1))  # type: ignore[union-attr]
    return cache


# --- fresh-token ------------------------------------------------------------------------------------------------


def test_fresh_token_confirms_an_expired_token(demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    profile = oauth(base, tmp_path)
    cache = expired_token_cache(profile, base)
    first = send(RequestSpec(url=f"{base}/api/invoices"), profile, cache)
    assert first.diagnosis is not None and "token-expired" in first.diagnosis.finding_ids
    assert offered_fixes(first, profile) == ["fresh-token"]
    outcome = retry(first, "fresh-token", profile=profile, resolver=RESOLVER, token_cache=cache)
    assert statuses(first, outcome.result) == (401, 200)
    assert outcome.confirmed is True and outcome.fix == "fresh-token"
    assert outcome.conclusion == ("With a fresh token the same request succeeded (200): the token had "
                                  "expired.")
    assert [h.role for h in outcome.result.exchange.hops] == ["token", "request"]  # fetched again


def test_fresh_token_does_not_confirm_a_missing_scope(demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    profile = oauth(base, tmp_path)
    cache = TokenCache()
    spec = RequestSpec(method="POST", url=f"{base}/api/invoices", body=Body(kind="json", text="{}"))
    first = send(spec, profile, cache)
    outcome = retry(first, "fresh-token", profile=profile, resolver=RESOLVER, token_cache=cache)
    assert statuses(first, outcome.result) == (403, 403)
    assert outcome.confirmed is False
    assert outcome.conclusion.startswith("With a fresh token the server still refused (403): the token's age "
                                         "was not the cause.")
    assert outcome.result.exchange.hops[0].role == "token"  # regardless of the cache


# --- scope:NAME -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "method", "case"), [
    ("/api/invoices", "POST", Case("scope:invoices:write", True, "the missing scope invoices:write was the cause")),
    ("/api/admin/users", "GET", Case("scope:reports:read", False, "the missing scope was not the cause")),
])
def test_scope_fix(demo_server: DemoServer, tmp_path: Path, path: str, method: str, case: Case) -> None:
    base = demo_server.base_url
    profile = oauth(base, tmp_path)
    cache = TokenCache()
    body = Body(kind="json", text="{}") if method == "POST" else Body()
    first = send(RequestSpec(method=method, url=base + path, body=body), profile, cache)
    if case.confirmed:
        assert offered_fixes(first, profile) == [case.fix]
    outcome = retry(first, case.fix, profile=profile, resolver=RESOLVER, token_cache=cache)
    assert outcome.confirmed is case.confirmed
    assert case.words in outcome.conclusion
    token_hop = outcome.result.exchange.hops[0]
    assert token_hop.role == "token" and b"invoices%3Aread+" in token_hop.sent_body  # both scopes asked


# --- profile:NAME -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [
    Case("profile:billing", True, "the credentials of 'billing' are the ones this API accepts"),
    Case("profile:fixed", False, "the profile was not the cause"),
])
def test_profile_fix(demo_server: DemoServer, tmp_path: Path, case: Case) -> None:
    base = demo_server.base_url
    profiles = [oauth(base, tmp_path), bearer(base, tmp_path, mint_token(base, "expired"))]
    first = send(RequestSpec(url=f"{base}/api/invoices"), None, TokenCache())
    assert first.diagnosis is not None and first.diagnosis.finding_ids[0] == "no-credentials"
    assert offered_fixes(first, None, profiles) == ["profile:billing"]  # the first profile for this origin
    by_name = {p.name: p for p in profiles}
    outcome = retry(first, case.fix, find_profile=by_name.__getitem__, resolver=RESOLVER,
                    token_cache=TokenCache())
    assert outcome.confirmed is case.confirmed and case.words in outcome.conclusion
    assert outcome.result.exchange.profile_name == case.fix.removeprefix("profile:")


# --- scheme:NAME ------------------------------------------------------------------------------------------------


def _token_api(handler: QuietHandler, _body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """An API that takes 'Authorization: Token good' (GitHub's old scheme) and challenges with Token."""
    if handler.headers.get("Authorization") == "Token good":
        return 200, [("Content-Type", "application/json")], b'{"ok": true}'
    return 401, [("WWW-Authenticate", 'Token realm="api"'), ("Content-Type", "application/json")], \
        b'{"message": "Bad credentials"}'


@pytest.mark.parametrize(("use_profile", "case"), [
    (True, Case("scheme:Token", True, "the server wanted the Token scheme")),
    (False, Case("scheme:Token", True, "the server wanted the Token scheme")),
    (True, Case("scheme:basic", False, "the scheme was not the cause")),
])
def test_scheme_fix(http_server: Callable[..., str], tmp_path: Path, use_profile: bool, case: Case) -> None:
    base = http_server(responding(_token_api))
    profile = bearer(base, tmp_path, "good") if use_profile else None
    headers = () if use_profile else (Header("Authorization", "Bearer good"),)
    first = send(RequestSpec(url=f"{base}/user", headers=headers), profile, TokenCache())
    assert first.diagnosis is not None and "scheme-mismatch" in first.diagnosis.finding_ids
    assert offered_fixes(first, profile) == ["scheme:Token"]
    outcome = retry(first, case.fix, profile=profile, resolver=RESOLVER, token_cache=TokenCache())
    assert outcome.confirmed is case.confirmed and case.words in outcome.conclusion
    sent = outcome.result.exchange.final_hop
    assert sent is not None and sent.sent_header("Authorization") == f"{parse_fix(case.fix).value} good"


def test_a_cause_that_went_away_is_confirmed_though_the_server_still_refuses(
        http_server: Callable[..., str]) -> None:
    base = http_server(responding(_token_api))
    first = send(RequestSpec(url=f"{base}/user", headers=(Header("Authorization", "Bearer good"),)), None,
                 TokenCache())
    second = send(RequestSpec(url=f"{base}/user", headers=(Header("Authorization", "Token bad"),)), None,
                  TokenCache())
    assert statuses(first, second) == (401, 401)
    assert second.diagnosis is not None and "scheme-mismatch" not in second.diagnosis.finding_ids
    confirmed, conclusion = judge(first, "scheme:Token", second)
    assert confirmed is True
    assert "went away, but the server still refused (401)" in conclusion


def test_nothing_is_confirmed_when_the_first_request_already_succeeded(demo_server: DemoServer,
                                                                      tmp_path: Path) -> None:
    base = demo_server.base_url
    profile = oauth(base, tmp_path)
    cache = TokenCache()
    first = send(RequestSpec(url=f"{base}/api/invoices"), profile, cache)
    second = send(RequestSpec(url=f"{base}/api/invoices"), profile, cache)
    assert statuses(first, second) == (200, 200)
    assert judge(first, "fresh-token", second) == (
        False, "The first request already succeeded (200), so a fresh token had nothing to fix.")


# --- csrf -------------------------------------------------------------------------------------------------------


def test_csrf_fix_confirms_the_missing_header(demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    profile = session(base, tmp_path)
    cache = TokenCache()
    spec = RequestSpec(method="POST", url=f"{base}/app/notes", body=Body(kind="json", text='{"text": "hi"}'))
    first = send(spec, profile, cache)
    assert first.diagnosis is not None and "csrf-failed" in first.diagnosis.finding_ids
    assert offered_fixes(first, profile) == ["csrf"]
    outcome = retry(first, "csrf", profile=profile, resolver=RESOLVER, token_cache=cache)
    assert statuses(first, outcome.result) == (403, 201)
    assert outcome.confirmed is True
    assert outcome.conclusion == ("With the CSRF token echoed in its header the same request succeeded (201): "
                                  "the request lacked its CSRF token.")


def test_csrf_fix_without_a_session_does_not_confirm(demo_server: DemoServer) -> None:
    base = demo_server.base_url
    spec = RequestSpec(method="POST", url=f"{base}/app/notes", headers=(Header("Cookie", "csrftoken=abc123"),),
                       follow_redirects=False)
    first = send(spec, None, TokenCache())
    outcome = retry(first, "csrf", resolver=RESOLVER, token_cache=TokenCache())
    final = outcome.result.exchange.final_hop
    assert final is not None and final.sent_header("X-CSRFToken") == "abc123"
    assert outcome.confirmed is False and "the CSRF token was not the cause" in outcome.conclusion


# --- fixes that cannot apply, and the FIX text -------------------------------------------------------------------


def test_fixes_that_cannot_apply_say_why(demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    key = new_profile("key", "api-key", tmp_path, credentials={"name": "X-API-Key", "value": "k"})
    first = send(RequestSpec(url=f"{base}/api/invoices"), key, TokenCache())
    with pytest.raises(RetryError, match=r"only be fetched for an OAuth 2 profile.*'key' \(kind api-key\)"):
        plan_retry(first, "fresh-token", profile=key)
    with pytest.raises(RetryError, match="Scope invoices:write can only be asked for by an OAuth 2 profile"):
        plan_retry(first, "scope:invoices:write", profile=key)
    with pytest.raises(RetryError, match="no csrftoken or XSRF-TOKEN .* cookie"):
        plan_retry(first, "csrf", profile=key)
    with pytest.raises(RetryError, match="no saved profiles"):
        plan_retry(first, "profile:other", profile=key)
    assert offered_fixes(first, key) == []  # 401 for a bad key: nothing the app can try


@pytest.mark.parametrize(("text", "fix", "label"), [
    ("fresh-token", Fix("fresh-token"), "Try with a fresh token"),
    ("scope:read:billing", Fix("scope", "read:billing"), "Try with scope read:billing"),
    ("profile:Billing API", Fix("profile", "Billing API"), "Try with the profile 'Billing API'"),
    ("scheme:bearer", Fix("scheme", "Bearer"), "Try with the Bearer scheme"),
    ("CSRF", Fix("csrf"), "Try with the CSRF token"),
])
def test_parse_fix(text: str, fix: Fix, label: str) -> None:
    assert parse_fix(text) == fix and fix_label(text) == label and parse_fix(fix.text) == fix


@pytest.mark.parametrize("text", ["", "fresh", "scope:", "scope", "profile", "scheme:B e", "csrf:x", "x:y"])
def test_parse_fix_refuses(text: str) -> None:
    with pytest.raises(RetryError, match="fresh-token, scope:NAME, profile:NAME, scheme:NAME or csrf|scheme"):
        parse_fix(text)
