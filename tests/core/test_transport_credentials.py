"""One origin rule for every credential, against real loopback servers: secret headers the user typed, Digest
answers after a redirect, and .netrc (off unless chosen; never for a profile or a token request)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from inspector.core.exchange import Exchange
from inspector.core.profiles.auth import (
    ApiKeyProfileAuth,
    AuthDefaults,
    DigestProfileAuth,
    ProfileAuth,
    auth_for,
)
from inspector.core.profiles.model import new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import Header, RequestSpec
from inspector.core.transport import may_carry_credentials, origin, send
from tests.support.servers import QuietHandler


class Recorder:
    """What a loopback server was sent: (path, headers) per request, thread-safe."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def add(self, handler: QuietHandler) -> None:
        with self.lock:
            self.seen.append((handler.path, dict(handler.headers.items())))

    def headers(self, path_prefix: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.seen if p.startswith(path_prefix)]


def handler_for(recorder: Recorder, digest_realm: str | None = None) -> type[QuietHandler]:
    """/go?to=URL&code=N redirects; /digest challenges for Digest (and records any answer); else echoes."""

    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.read_body()
            recorder.add(self)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/go":
                self.reply(int(query.get("code", "302")), headers=(("Location", query["to"]),))
            elif parts.path == "/digest":
                if self.headers.get("Authorization"):
                    self.reply(200, b"answered")
                else:
                    realm = digest_realm or "api"
                    challenge = f'Digest realm="{realm}", nonce="n1", qop="auth"'
                    self.reply(401, b"no", (("WWW-Authenticate", challenge),))
            else:
                doc = {"path": self.path, "headers": dict(self.headers.items())}
                self.reply(200, json.dumps(doc).encode(), (("Content-Type", "application/json"),))

        do_POST = do_PUT = do_GET

    return Handler


@pytest.fixture
def servers(http_server) -> tuple[Recorder, str, str]:
    """One recorder; two servers on different ports (127.0.0.1): the origin and 'another port'."""
    recorder = Recorder()
    return recorder, http_server(handler_for(recorder)), http_server(handler_for(recorder))


def go(base: str, to: str, code: int = 302) -> str:
    return f"{base}/go?to={to}&code={code}"


def sent_names(exchange: Exchange, hop: int) -> set[str]:
    return {k.lower() for k, _v in exchange.hops[hop].sent_headers}


# --- the rule itself ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "meant_for", "allowed"),
    [
        ("http://api.example/x", "http://api.example/", True),
        ("http://API.example:80/x", "http://api.example/", True),  # host case, explicit default port
        ("https://api.example:443/x", "https://api.example/", True),
        ("https://api.example/x", "http://api.example/", False),  # another scheme
        ("http://api.example:8080/x", "http://api.example/", False),  # another port
        ("http://evil.example/x", "http://api.example/", False),  # another host
        ("http://sub.api.example/x", "http://api.example/", False),  # a subdomain is another origin
        ("http://127.0.0.1/x", "http://localhost/", False),  # the same machine, another name
    ],
)
def test_may_carry_credentials_is_same_scheme_host_and_port(url: str, meant_for: str, allowed: bool) -> None:
    assert may_carry_credentials(url, origin(meant_for)) is allowed


# --- secret headers the user typed --------------------------------------------------------------------------

USER_HEADERS = (
    Header("Authorization", "Bearer user-token-123456"),
    Header("X-Api-Key", "user-key-abcdef"),
    Header("X-Custom-Token", "custom-secret-9876"),  # the redactor calls any *-token header secret
    Header("Cookie", "session=s3cr3t-cookie"),
    Header("X-Trace", "keep-me"),
)
SECRET_NAMES = ("Authorization", "X-Api-Key", "X-Custom-Token", "Cookie")


@pytest.mark.parametrize("change", ["host", "port", "scheme"])
def test_secret_headers_the_user_typed_stay_off_another_origin(servers, change: str) -> None:
    recorder, base, other = servers
    port = urlsplit(base).port
    target = {
        "host": f"http://localhost:{port}/echo",
        "port": f"{other}/echo",
        "scheme": f"https://127.0.0.1:{port}/echo",  # no TLS there: the hop is recorded, then fails
    }[change]
    exchange = send(RequestSpec(url=go(base, target), headers=USER_HEADERS, timeout_s=10))
    assert len(exchange.hops) == 2
    first, last = exchange.hops
    assert {n.lower() for n in SECRET_NAMES} <= sent_names(exchange, 0)  # the origin got them
    assert last.credentials_stripped == SECRET_NAMES
    assert not {n.lower() for n in SECRET_NAMES} & sent_names(exchange, 1)
    assert last.sent_header("X-Trace") == "keep-me"  # not a credential: it follows
    if change != "scheme":
        (received,) = recorder.headers("/echo")
        assert not {n.lower() for n in SECRET_NAMES} & {k.lower() for k in received}
        assert received.get("X-Trace") == "keep-me"
    else:
        assert exchange.error is not None and exchange.error.kind == "tls"


def test_secret_headers_follow_a_redirect_on_the_same_origin(servers) -> None:
    recorder, base, _other = servers
    exchange = send(RequestSpec(url=go(base, "/echo"), headers=USER_HEADERS, timeout_s=10))
    assert exchange.hops[-1].credentials_stripped == ()
    (received,) = recorder.headers("/echo")
    assert received["X-Api-Key"] == "user-key-abcdef"
    assert received["Authorization"] == "Bearer user-token-123456"


def test_a_profile_header_not_called_secret_by_the_redactor_is_still_dropped(servers) -> None:
    """The profile's own names count as secret for the rule, whatever they are called."""
    recorder, base, other = servers
    profile = new_profile("p", "api-key", Path("."), credentials={"name": "X-Plain", "value": "v-123456"})
    auth = ApiKeyProfileAuth(profile, "X-Plain", "v-123456")
    exchange = send(RequestSpec(url=go(base, f"{other}/echo"), timeout_s=10), auth=auth)
    assert exchange.hops[0].sent_header("X-Plain") == "v-123456"
    assert exchange.hops[1].credentials_stripped == ("X-Plain",)
    assert "X-Plain" not in recorder.headers("/echo")[0]


# --- Digest answers -----------------------------------------------------------------------------------------


def digest_auth() -> DigestProfileAuth:
    profile = new_profile("d", "digest", Path("."), credentials={"username": "u", "password": "pw-digest"})
    return DigestProfileAuth(profile, "u", "pw-digest")


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_digest_answer_never_goes_to_another_origin(servers, code: int) -> None:
    recorder, base, other = servers
    exchange = send(RequestSpec(url=go(base, f"{other}/digest", code), timeout_s=10), auth=digest_auth())
    assert [h.status for h in exchange.hops] == [code, 401]  # the foreign challenge is not answered
    assert exchange.hops[1].sent_header("Authorization") is None
    assert [h.get("Authorization") for h in recorder.headers("/digest")] == [None]


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_digest_challenge_on_the_same_origin_is_still_answered_after_a_redirect(servers, code: int) -> None:
    recorder, base, _other = servers
    exchange = send(RequestSpec(url=go(base, "/digest", code), timeout_s=10), auth=digest_auth())
    assert [h.status for h in exchange.hops] == [code, 401, 200]
    assert exchange.hops[2].sent_header("Authorization").startswith('Digest username="u"')


# --- the protocol -------------------------------------------------------------------------------------------


def test_every_auth_kind_implements_the_whole_protocol(tmp_path) -> None:
    resolver = Resolver(None, env={})
    kinds: dict[str, dict[str, str]] = {
        "basic": {"username": "u", "password": "p"},
        "bearer": {"token": "t"},
        "api-key": {"name": "X-Key", "value": "v"},
        "digest": {"username": "u", "password": "p"},
        "oauth2-client-credentials": {"token_url": "http://127.0.0.1:9/token", "client_id": "c",
                                      "client_secret": "s"},
        "oauth2-refresh-token": {"token_url": "http://127.0.0.1:9/token", "client_id": "c",
                                 "refresh_token": "r"},
    }
    for kind, creds in kinds.items():
        auth = auth_for(new_profile(kind, kind, tmp_path, credentials=creds), resolver)
        assert isinstance(auth, ProfileAuth), kind
    assert isinstance(AuthDefaults(), ProfileAuth)


# --- .netrc -------------------------------------------------------------------------------------------------


@pytest.fixture
def netrc_home(tmp_path, monkeypatch) -> Callable[[str], Path]:
    """A HOME with a .netrc holding a login for 127.0.0.1; returns a writer for a file NETRC may name."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login home-user password home-pass\n", encoding="utf-8")
    (home / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)

    def named(login: str) -> Path:
        path = tmp_path / "named-netrc"
        path.write_text(f"machine 127.0.0.1 login {login} password named-pass\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    return named


def basic_user(value: str | None) -> str | None:
    if not value or not value.startswith("Basic "):
        return None
    return base64.b64decode(value.removeprefix("Basic ")).decode().partition(":")[0]


def test_home_netrc_is_not_read_by_default(servers, netrc_home) -> None:
    recorder, base, _other = servers
    exchange = send(RequestSpec(url=f"{base}/echo", timeout_s=10))
    assert exchange.hops[0].sent_header("Authorization") is None
    assert "Authorization" not in recorder.headers("/echo")[0]
    assert exchange.hops[0].netrc_applied is False


def test_home_netrc_is_read_when_chosen(servers, netrc_home) -> None:
    recorder, base, _other = servers
    send(RequestSpec(url=f"{base}/echo", timeout_s=10), use_netrc=True)
    assert basic_user(recorder.headers("/echo")[0].get("Authorization")) == "home-user"


def test_use_netrc_false_ignores_even_a_file_named_by_netrc(servers, netrc_home, monkeypatch) -> None:
    recorder, base, _other = servers
    monkeypatch.setenv("NETRC", str(netrc_home("named-user")))
    send(RequestSpec(url=f"{base}/echo", timeout_s=10), use_netrc=False)
    assert "Authorization" not in recorder.headers("/echo")[0]


def test_a_file_named_by_netrc_replaces_the_users_header_and_the_hop_says_so(servers, netrc_home,
                                                                               monkeypatch) -> None:
    """Setting NETRC is a choice (the default reads only that file): it behaves as requests does, and the hop
    records the replacement so the explainer names it (netrc-override)."""
    recorder, base, _other = servers
    monkeypatch.setenv("NETRC", str(netrc_home("named-user")))
    exchange = send(RequestSpec(url=f"{base}/echo", headers=(Header("Authorization", "Bearer mine-123456"),),
                                timeout_s=10))
    assert basic_user(recorder.headers("/echo")[0].get("Authorization")) == "named-user"
    assert exchange.hops[0].netrc_applied is True


@pytest.mark.parametrize("use_netrc", [None, True])
def test_netrc_never_adds_to_a_profiles_request(servers, netrc_home, monkeypatch, use_netrc) -> None:
    recorder, base, _other = servers
    monkeypatch.setenv("NETRC", str(netrc_home("named-user")))
    profile = new_profile("k", "api-key", Path("."), credentials={"name": "X-Api-Key", "value": "k-123456"})
    exchange = send(RequestSpec(url=f"{base}/echo", timeout_s=10),
                    auth=ApiKeyProfileAuth(profile, "X-Api-Key", "k-123456"), use_netrc=use_netrc)
    received = recorder.headers("/echo")[0]
    assert received["X-Api-Key"] == "k-123456" and "Authorization" not in received
    assert exchange.hops[0].netrc_applied is False


def test_netrc_never_replaces_an_oauth_clients_basic_header(servers, netrc_home, monkeypatch,
                                                            tmp_path) -> None:
    recorder, base, _other = servers
    monkeypatch.setenv("NETRC", str(netrc_home("named-user")))
    creds = {"token_url": f"{base}/token", "client_id": "the-client", "client_secret": "client-secret-1",
             "auth": "basic"}
    profile = new_profile("o", "oauth2-client-credentials", tmp_path, credentials=creds)
    auth = auth_for(profile, Resolver(None, env={}))
    assert auth is not None
    send(RequestSpec(url=f"{base}/echo", timeout_s=10), auth=auth, use_netrc=True)
    (token_request,) = recorder.headers("/token")
    assert basic_user(token_request.get("Authorization")) == "the-client"


def test_a_netrc_login_is_dropped_on_a_redirect_to_another_origin(servers, netrc_home) -> None:
    recorder, base, other = servers
    exchange = send(RequestSpec(url=go(base, f"{other}/echo"), timeout_s=10), use_netrc=True)
    assert basic_user(exchange.hops[0].sent_header("Authorization")) == "home-user"
    assert exchange.hops[1].credentials_stripped == ("Authorization",)
    assert "Authorization" not in recorder.headers("/echo")[0]
