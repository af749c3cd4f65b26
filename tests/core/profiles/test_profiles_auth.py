"""Auth objects applied to real requests against loopback servers, driven as the transport drives them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import pytest
import requests

from inspector.core.exchange import Hop, Response
from inspector.core.profiles.auth import (
    DigestProfileAuth,
    ProfileAuth,
    TokenCache,
    auth_for,
)
from inspector.core.profiles.model import Profile, new_profile
from inspector.core.profiles.secrets import FileSecretStore, MissingSecret, Resolver
from tests.support.servers import QuietHandler, responding

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def echo(handler: QuietHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
    payload = {"path": handler.path, "headers": dict(handler.headers.items())}
    return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def to_response(r: requests.Response) -> Response:
    return Response(r.status_code, r.reason, tuple(r.raw.headers.items()), r.content, len(r.content))


def drive(
    auth: ProfileAuth, method: str, url: str, clock: Clock
) -> tuple[requests.Response | None, str | None]:
    """What transport.send does with an auth object: token first, credentials, one challenge answer."""
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxies or .netrc from the environment
    with session:
        token_req = auth.token_request()
        if token_req is not None:
            tr = session.send(session.prepare_request(token_req), timeout=10)
            hop = Hop(
                "POST",
                token_req.url,
                tuple(tr.request.headers.items()),
                response=to_response(tr),
                role="token",
            )
            problem = auth.accept_token_response(hop, clock())
            if problem is not None:
                return None, problem
        prepared = auth(requests.Request(method, url).prepare())
        r = session.send(prepared, timeout=10)
        for _ in range(3):  # bounded, as the transport is
            retry = auth.retry_after_challenge(prepared, to_response(r))
            if retry is None:
                break
            prepared = retry
            r = session.send(prepared, timeout=10)
        return r, None


def profile(kind: str, tmp_path: Path, **creds: str) -> Profile:
    return new_profile(f"{kind} profile", kind, tmp_path, credentials=creds)


@pytest.fixture
def resolver(file_store: FileSecretStore) -> Resolver:
    return Resolver(file_store, env={})


# --- basic, bearer, api-key ---------------------------------------------------------------------------------


def test_basic_sends_utf8_credentials(http_server, tmp_path, file_store) -> None:
    url = http_server(responding(echo))
    file_store.set("pw", "pässwörd ✓")
    p = profile("basic", tmp_path, username="jürgen", password="${secret:pw}")
    auth = auth_for(p, Resolver(file_store, env={}), Clock())
    r, _ = drive(auth, "GET", url + "/x", Clock())
    sent = r.json()["headers"]["Authorization"]
    scheme, _, blob = sent.partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(blob).decode("utf-8") == "jürgen:pässwörd ✓"
    assert auth.added_names() == ("Authorization",)
    assert "pässwörd ✓" in auth.secret_values() and blob in auth.secret_values()


@pytest.mark.parametrize(
    ("creds", "expected"), [({}, "Bearer tok-123"), ({"prefix": "Token"}, "Token tok-123")]
)
def test_bearer(http_server, tmp_path, creds, expected) -> None:
    url = http_server(responding(echo))
    auth = auth_for(
        profile("bearer", tmp_path, token="${env:TOK}", **creds), Resolver(None, env={"TOK": "tok-123"})
    )
    r, _ = drive(auth, "GET", url, Clock())
    assert r.json()["headers"]["Authorization"] == expected
    assert auth.secret_values() == ("tok-123",)


def test_api_key_in_a_header(http_server, tmp_path) -> None:
    url = http_server(responding(echo))
    p = profile("api-key", tmp_path, name="X-Api-Key", value="${env:KEY}")
    auth = auth_for(p, Resolver(None, env={"KEY": "k-1"}))
    r, _ = drive(auth, "GET", url + "/items?a=1", Clock())
    assert r.json()["headers"]["X-Api-Key"] == "k-1"
    assert r.json()["path"] == "/items?a=1"
    assert auth.added_names() == ("X-Api-Key",)


def test_api_key_in_the_query_keeps_other_parameters(http_server, tmp_path) -> None:
    url = http_server(responding(echo))
    p = profile("api-key", tmp_path, name="api_key", value="${env:KEY}", **{"in": "query"})
    auth = auth_for(p, Resolver(None, env={"KEY": "k&1 /x"}))
    r, _ = drive(auth, "GET", url + "/items?a=1&api_key=old&b=x%2By", Clock())
    path = r.json()["path"]
    assert parse_qsl(urlsplit(path).query) == [("a", "1"), ("b", "x+y"), ("api_key", "k&1 /x")]
    assert "Authorization" not in r.json()["headers"]
    assert auth.added_names() == ("api_key",)


def test_none_kind_adds_nothing(tmp_path) -> None:
    assert auth_for(profile("none", tmp_path), Resolver(None, env={})) is None


def test_unresolved_secret_stops_before_anything_is_sent(http_server, tmp_path, resolver) -> None:
    seen: list[str] = []

    def record(handler, body):
        seen.append(handler.path)
        return echo(handler, body)

    http_server(responding(record))
    p = profile("basic", tmp_path, username="u", password="${secret:not-stored}")
    with pytest.raises(MissingSecret, match=r"\$\{secret:not-stored\} for credentials.password"):
        auth_for(p, resolver)
    assert seen == []


# --- digest -------------------------------------------------------------------------------------------------

_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def digest_server(algorithm: str, users: dict[str, str], stale_first: bool = False):
    """A Digest server written from RFC 7616, independent of the client code. Records what it was sent."""
    state: dict[str, Any] = {"nonce": 0, "sent": [], "stale_first": stale_first}
    realm = "api@example.org"
    hash_name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm.removesuffix("-sess")]

    def h(s: str) -> str:
        return hashlib.new(hash_name, s.encode()).hexdigest()

    def challenge(stale: bool = False) -> tuple[int, dict[str, str], bytes]:
        state["nonce"] += 1
        value = (
            f'Digest realm="{realm}", qop="auth, auth-int", algorithm={algorithm}, '
            f'nonce="n{state["nonce"]}", opaque="op-aque"' + (", stale=true" if stale else "")
        )
        # A Basic challenge on its own line too: the client must pick the Digest one.
        return 401, {"WWW-Authenticate": f'Basic realm="{realm}"\n{value}'}, b"no"

    def respond(handler, body):
        auth = handler.headers.get("Authorization", "")
        state["sent"].append(auth)
        if not auth.startswith("Digest "):
            return challenge()
        p = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(auth)}
        if (
            p.get("nonce") != f"n{state['nonce']}"
            or p.get("opaque") != "op-aque"
            or p.get("uri") != handler.path
        ):
            return challenge()
        if state["stale_first"]:
            state["stale_first"] = False
            return challenge(stale=True)
        password = users.get(p.get("username", ""))
        if password is None:
            return challenge()
        ha1 = h(f"{p['username']}:{realm}:{password}")
        if algorithm.endswith("-sess"):
            ha1 = h(f"{ha1}:{p['nonce']}:{p['cnonce']}")
        ha2 = h(f"{handler.command}:{p['uri']}")
        expected = h(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
        if p.get("qop") != "auth" or p.get("response") != expected:
            return challenge()
        return 200, {}, b"welcome " + p["username"].encode()

    return responding(respond), state


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"])
def test_digest_answers_the_challenge(http_server, tmp_path, algorithm) -> None:
    handler, state = digest_server(algorithm, {"Mufasa": "Circle of Life"})
    url = http_server(handler)
    p = profile("digest", tmp_path, username="Mufasa", password="${env:PW}")
    auth = auth_for(p, Resolver(None, env={"PW": "Circle of Life"}))
    r, _ = drive(auth, "GET", url + "/dir/index.html?x=1", Clock())
    assert r.status_code == 200 and r.text == "welcome Mufasa"
    assert state["sent"][0] == ""  # nothing before the challenge
    assert f"algorithm={algorithm}" in state["sent"][1]


def test_digest_wrong_password_is_answered_once_only(http_server, tmp_path) -> None:
    handler, state = digest_server("SHA-256", {"Mufasa": "Circle of Life"})
    url = http_server(handler)
    auth = auth_for(profile("digest", tmp_path, username="Mufasa", password="wrong"), Resolver(None, env={}))
    r, _ = drive(auth, "GET", url + "/", Clock())
    assert r.status_code == 401
    assert len(state["sent"]) == 2  # the request and one answer: no loop


def test_digest_stale_nonce_gets_one_more_answer(http_server, tmp_path) -> None:
    handler, state = digest_server("MD5", {"Mufasa": "Circle of Life"}, stale_first=True)
    url = http_server(handler)
    auth = auth_for(
        profile("digest", tmp_path, username="Mufasa", password="Circle of Life"), Resolver(None, env={})
    )
    r, _ = drive(auth, "GET", url + "/", Clock())
    assert r.status_code == 200 and len(state["sent"]) == 3


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_digest_rfc7616_example(tmp_path, algorithm, expected) -> None:
    """RFC 7616 §3.9.1, with the RFC's own cnonce."""
    p = profile("digest", tmp_path, username="Mufasa", password="Circle of Life")
    auth = DigestProfileAuth(
        p, "Mufasa", "Circle of Life", cnonce=lambda: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    )
    challenge = (
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    prepared = requests.Request("GET", "http://www.example.org/dir/index.html").prepare()
    retry = auth.retry_after_challenge(
        prepared, Response(401, "Unauthorized", (("WWW-Authenticate", challenge),), b"", 0)
    )
    assert retry is not None and "Authorization" not in prepared.headers
    header = retry.headers["Authorization"]
    assert f'response="{expected}"' in header
    assert 'uri="/dir/index.html"' in header and "nc=00000001" in header and "qop=auth" in header


def test_digest_ignores_non_401_and_other_schemes(tmp_path) -> None:
    auth = DigestProfileAuth(profile("digest", tmp_path, username="u", password="p"), "u", "p")
    prepared = requests.Request("GET", "http://127.0.0.1/").prepare()
    basic = (("WWW-Authenticate", 'Basic realm="x"'),)
    assert auth.retry_after_challenge(prepared, Response(401, "Unauthorized", basic, b"", 0)) is None
    digest = (("WWW-Authenticate", 'Digest realm="x", nonce="n"'),)
    assert auth.retry_after_challenge(prepared, Response(403, "Forbidden", digest, b"", 0)) is None


# --- OAuth 2 ------------------------------------------------------------------------------------------------


class TokenEndpoint:
    """A small OAuth token endpoint plus a protected API, on a loopback server."""

    def __init__(
        self,
        client_id: str = "cli",
        client_secret: str = "s3cret:/&x",
        expires_in: int | None = 300,
        access_token: Callable[[int], str] | None = None,
    ) -> None:
        self.client = (client_id, client_secret)
        self.expires_in = expires_in
        self.access_token = access_token or (lambda n: f"at-{n}")
        self.refresh_token = "rt-0"
        self.token_calls: list[dict[str, Any]] = []
        self.issued: set[str] = set()
        self.lock = threading.Lock()

    def respond(self, handler: QuietHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if handler.command == "GET":
            token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
            return (200, {}, b"data") if token in self.issued else (401, {"WWW-Authenticate": "Bearer"}, b"")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        basic = handler.headers.get("Authorization", "")
        with self.lock:
            self.token_calls.append({"form": form, "basic": bool(basic)})
            if basic:
                cid, _, secret = base64.b64decode(basic.removeprefix("Basic ")).decode().partition(":")
                client = (unquote(cid), unquote(secret))
            else:
                client = (form.get("client_id", ""), form.get("client_secret", ""))
            if client != self.client:
                return self._error(401, "invalid_client", "Client authentication failed")
            answer: dict[str, Any] = {"token_type": "Bearer"}
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") != self.refresh_token:
                    return self._error(400, "invalid_grant", "The refresh token is spent")
                self.refresh_token = f"rt-{len(self.token_calls)}"  # rotation
                answer["refresh_token"] = self.refresh_token
            elif form.get("grant_type") != "client_credentials":
                return self._error(400, "unsupported_grant_type", "")
            token = self.access_token(len(self.token_calls))
            self.issued.add(token)
            answer["access_token"] = token
            if self.expires_in is not None:
                answer["expires_in"] = self.expires_in
            return (
                200,
                {"Content-Type": "application/json", "Cache-Control": "no-store"},
                json.dumps(answer).encode(),
            )

    @staticmethod
    def _error(status: int, error: str, description: str) -> tuple[int, dict[str, str], bytes]:
        body = {"error": error, "error_description": description}
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def oauth_profile(tmp_path: Path, url: str, kind: str = "oauth2-client-credentials", **extra: str) -> Profile:
    creds = {"token_url": f"{url}/token", "client_id": "cli", "client_secret": "${secret:client}", **extra}
    if kind == "oauth2-refresh-token":
        creds["refresh_token"] = "${secret:refresh}"
    return new_profile("Billing", kind, tmp_path, credentials=creds)


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_client_credentials_fetch_cache_and_refresh(http_server, tmp_path, file_store, client_auth) -> None:
    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    p = oauth_profile(tmp_path, url, auth=client_auth, scope="invoices:read", audience="https://billing")
    cache, clock = TokenCache(margin_s=30), Clock()

    def send() -> requests.Response:
        auth = auth_for(p, Resolver(file_store, env={}), clock, cache)
        r, problem = drive(auth, "GET", url + "/api", clock)
        assert problem is None
        return r

    assert send().status_code == 200
    call = endpoint.token_calls[0]
    assert call["form"]["grant_type"] == "client_credentials"
    assert call["form"]["scope"] == "invoices:read" and call["form"]["audience"] == "https://billing"
    assert call["basic"] == (client_auth == "basic")
    assert ("client_secret" in call["form"]) == (client_auth == "body")

    clock.now = T0 + timedelta(seconds=200)
    assert send().status_code == 200
    assert len(endpoint.token_calls) == 1  # cached

    clock.now = T0 + timedelta(seconds=300 - 29)  # inside the refresh margin, before expiry
    assert send().status_code == 200
    assert len(endpoint.token_calls) == 2


def test_token_exp_claim_is_used_when_expires_in_is_missing(http_server, tmp_path, file_store) -> None:
    def jwt(n: int) -> str:
        def part(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none'})}.{part({'exp': int(T0.timestamp()) + 120, 'n': n})}.sig"

    endpoint = TokenEndpoint(expires_in=None, access_token=jwt)
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    cache, clock = TokenCache(margin_s=30), Clock()
    p = oauth_profile(tmp_path, url)
    for seconds, calls in [(0, 1), (60, 1), (95, 2)]:
        clock.now = T0 + timedelta(seconds=seconds)
        r, _ = drive(auth_for(p, Resolver(file_store, env={}), clock, cache), "GET", url + "/api", clock)
        assert r.status_code == 200 and len(endpoint.token_calls) == calls


def test_unknown_expiry_is_not_cached(http_server, tmp_path, file_store) -> None:
    endpoint = TokenEndpoint(expires_in=None)
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    cache, clock = TokenCache(), Clock()
    for _ in range(2):
        drive(
            auth_for(oauth_profile(tmp_path, url), Resolver(file_store, env={}), clock, cache),
            "GET",
            url,
            clock,
        )
    assert len(endpoint.token_calls) == 2 and len(cache) == 0


def test_invalid_client_is_an_error_sentence(http_server, tmp_path, file_store) -> None:
    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "wrong-secret")
    clock = Clock()
    auth = auth_for(oauth_profile(tmp_path, url), Resolver(file_store, env={}), clock, TokenCache())
    r, problem = drive(auth, "GET", url + "/api", clock)
    assert r is None
    assert problem == (
        f"The token endpoint {url}/token refused the token request with 401 Unauthorized: invalid_client "
        "(Client authentication failed). Check the client id, secret and scope of the profile 'Billing'."
    )


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, b"<html>login</html>", "not with a JSON object holding an access_token: <html>login</html>"),
        (200, b'{"token_type": "Bearer"}', "not with a JSON object holding an access_token"),
        (200, b'{"access_token": "x", "token_type": "mac"}', "type 'mac'"),
        (502, b"Bad gateway", "502 Bad Gateway, without an OAuth error in its answer: Bad gateway"),
    ],
)
def test_malformed_token_answers(http_server, tmp_path, file_store, status, body, words) -> None:
    url = http_server(responding(lambda h, b: (status, {}, body)))
    file_store.set("client", "s3cret")
    clock = Clock()
    auth = auth_for(oauth_profile(tmp_path, url), Resolver(file_store, env={}), clock, TokenCache())
    _, problem = drive(auth, "GET", url + "/api", clock)
    assert problem is not None and f"{url}/token" in problem and words in problem


def test_refresh_token_grant_uses_the_rotated_token(http_server, tmp_path, file_store) -> None:
    endpoint = TokenEndpoint(expires_in=60)
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    file_store.set("refresh", "rt-0")
    cache, clock = TokenCache(margin_s=10), Clock()
    p = oauth_profile(tmp_path, url, kind="oauth2-refresh-token")
    for seconds in (0, 55, 110):
        clock.now = T0 + timedelta(seconds=seconds)
        auth = auth_for(p, Resolver(file_store, env={}), clock, cache)
        r, problem = drive(auth, "GET", url + "/api", clock)
        assert problem is None and r.status_code == 200
    sent = [c["form"]["refresh_token"] for c in endpoint.token_calls]
    assert sent == ["rt-0", "rt-1", "rt-2"]
    assert all(c["form"]["grant_type"] == "refresh_token" for c in endpoint.token_calls)
    assert endpoint.refresh_token in auth.secret_values()


def test_oauth_secret_values_and_names(http_server, tmp_path, file_store) -> None:
    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    clock = Clock()
    auth = auth_for(oauth_profile(tmp_path, url), Resolver(file_store, env={}), clock, TokenCache())
    drive(auth, "GET", url + "/api", clock)
    assert auth.added_names() == ("Authorization",)
    assert set(auth.secret_values()) == {"s3cret:/&x", "at-1"}


def test_cache_is_per_profile_and_settings(http_server, tmp_path, file_store) -> None:
    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    cache, clock = TokenCache(), Clock()
    a = oauth_profile(tmp_path, url)
    b = new_profile("Other", a.kind, tmp_path / "team", credentials=a.credentials)
    a_scoped = new_profile(a.name, a.kind, tmp_path, credentials={**a.credentials, "scope": "more"})
    for p in (a, b, a, a_scoped):
        drive(auth_for(p, Resolver(file_store, env={}), clock, cache), "GET", url + "/api", clock)
    assert len(endpoint.token_calls) == 3
    cache.forget(a.identity)
    drive(auth_for(a, Resolver(file_store, env={}), clock, cache), "GET", url + "/api", clock)
    assert len(endpoint.token_calls) == 4


def test_digest_skips_a_broken_challenge_line(tmp_path) -> None:
    auth = DigestProfileAuth(profile("digest", tmp_path, username="u", password="p"), "u", "p")
    prepared = requests.Request("GET", "http://127.0.0.1/a").prepare()
    lines = (
        ("WWW-Authenticate", 'Basic realm="unterminated'),
        ("WWW-Authenticate", 'Digest realm="r", nonce="n"'),
    )
    retry = auth.retry_after_challenge(prepared, Response(401, "Unauthorized", lines, b"", 0))
    assert retry is not None and retry.headers["Authorization"].startswith('Digest username="u", realm="r"')


# --- through the real transport -----------------------------------------------------------------------------


def test_transport_sends_the_token_hop_first_then_the_request(http_server, tmp_path, file_store) -> None:
    from inspector.core.request import RequestSpec
    from inspector.core.transport import send

    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "s3cret:/&x")
    clock, cache = Clock(), TokenCache()
    p = oauth_profile(tmp_path, url)
    ex = send(
        RequestSpec(url=url + "/api"),
        auth=auth_for(p, Resolver(file_store, env={}), clock, cache),
        clock=clock,
    )
    assert [(h.role, h.status) for h in ex.hops] == [("token", 200), ("request", 200)]
    ex = send(
        RequestSpec(url=url + "/api"),
        auth=auth_for(p, Resolver(file_store, env={}), clock, cache),
        clock=clock,
    )
    assert [(h.role, h.status) for h in ex.hops] == [("request", 200)]  # cached token


def test_transport_stops_at_a_refused_token_request(http_server, tmp_path, file_store) -> None:
    from inspector.core.request import RequestSpec
    from inspector.core.transport import send

    endpoint = TokenEndpoint()
    url = http_server(responding(endpoint.respond))
    file_store.set("client", "wrong")
    clock = Clock()
    auth = auth_for(oauth_profile(tmp_path, url), Resolver(file_store, env={}), clock, TokenCache())
    ex = send(RequestSpec(url=url + "/api"), auth=auth, clock=clock)
    assert [h.role for h in ex.hops] == ["token"]
    assert "invalid_client (Client authentication failed)" in str(ex.token_problem)


def test_transport_answers_a_digest_challenge(http_server, tmp_path) -> None:
    from inspector.core.request import RequestSpec
    from inspector.core.transport import send

    handler, state = digest_server("SHA-256", {"Mufasa": "Circle of Life"})
    url = http_server(handler)
    auth = auth_for(
        profile("digest", tmp_path, username="Mufasa", password="Circle of Life"), Resolver(None, env={})
    )
    ex = send(RequestSpec(url=url + "/dir/index.html"), auth=auth)
    assert [h.status for h in ex.hops] == [401, 200]
    assert state["sent"][0] == "" and state["sent"][1].startswith('Digest username="Mufasa"')
    assert ex.hops[1].sent_header("Authorization") == state["sent"][1]
