"""Known secrets sent and received through the real pipeline; no output surface may hold one.

Surfaces: the history file (raw sqlite bytes) and its records, HAR, the report (Markdown and HTML), curl (spec and
hops), `send --json`, `send` as text (stdout and stderr). Servers are real: the demo API and a loopback API that
echoes, redirects with tokens, and runs an OAuth token endpoint that also returns a refresh and an ID token.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from inspector import cli
from inspector.core.export import (
    build_report,
    dump_har,
    exchange_to_har_entries,
    report_html,
    to_curl,
    to_har,
)
from inspector.core.history import HistoryStore
from inspector.core.pipeline import prepare
from inspector.core.redact import exchange_secrets
from inspector.core.request import Body, Header, RequestSpec
from inspector.demo.scenarios import DEMO_API_KEY, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REFRESH_TOKEN
from inspector.demo.server import demo_environment, materialize_demo_profiles
from tests.support.servers import QuietHandler

ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.ACCESS-sig-AAAAAAAAAAAA"
REFRESH = "refresh-rotated-SECRET-0001"
ID_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJub25jZSI6Im4ifQ.IDTOKEN-sig-BBBBBBBBBB"
CUSTOM_KEY = "custom-key-SECRET-4567"
CLIENT_SECRET = "client-secret-SECRET-777"
REFRESH_IN = "refresh-initial-SECRET-888"
REDIRECT_TOKEN = "loc-token-SECRET-555555"
TYPED = "typed-SECRET-value-123456"

# names a heuristic cannot guess: only the profile says they are secret
CUSTOM_HEADER, CUSTOM_QUERY = "X-Tenant-Auth", "tenant_auth"
STATIC = [DEMO_API_KEY, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REFRESH_TOKEN, ACCESS, REFRESH, ID_TOKEN,
          CUSTOM_KEY, CLIENT_SECRET, REFRESH_IN, REDIRECT_TOKEN, TYPED,
          base64.b64encode(f"demo:{DEMO_PASSWORD}".encode()).decode(),
          base64.b64encode(f"u:{TYPED}".encode()).decode(), base64.b64encode(f"{TYPED}:".encode()).decode()]


class LeakyApi(QuietHandler):
    """Everything a careless server does with credentials."""

    def do_POST(self) -> None:
        self.read_body()
        self.reply_json(200, {"access_token": ACCESS, "refresh_token": REFRESH, "id_token": ID_TOKEN,
                              "token_type": "Bearer", "expires_in": 300})

    def do_GET(self) -> None:
        if self.path.startswith("/to-query"):
            self.reply_json(302, {}, [("Location", f"/landing?access_token={REDIRECT_TOKEN}&state=1")])
        elif self.path.startswith("/to-fragment"):
            self.reply_json(302, {}, [("Location", f"/landing#access_token={REDIRECT_TOKEN}&state=1")])
        else:
            # the error message and an echo of every header: the secrets come back under ordinary names
            why = f"Rejected {self.path} with {self.headers.get('Authorization')}"
            doc = {"error": "invalid_token", "error_description": why, "received": dict(self.headers)}
            self.reply_json(401, doc, [("WWW-Authenticate", 'Bearer error="invalid_token"')])


@dataclass
class World:
    demo: str
    leaky: str
    profiles: Path
    tmp: Path
    cases: dict[str, tuple[RequestSpec, str | None]] = field(default_factory=dict)


def _profile(folder: Path, stem: str, name: str, kind: str, credentials: dict[str, str]) -> None:
    lines = [f"format = 1\nname = \"{name}\"\nkind = \"{kind}\"\n[credentials]"]
    lines += [f'{k} = "{v}"' for k, v in credentials.items()]
    (folder / f"{stem}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def world(demo_url: str, http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in demo_environment(demo_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SEC_CUSTOM_KEY", CUSTOM_KEY)
    monkeypatch.setenv("SEC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SEC_REFRESH", REFRESH_IN)
    folder = materialize_demo_profiles(demo_url, tmp_path / "profiles")
    leaky = http_server(LeakyApi)
    _profile(folder, "custom-header", "Custom header", "api-key",
             {"name": CUSTOM_HEADER, "value": "${env:SEC_CUSTOM_KEY}", "in": "header"})
    _profile(folder, "custom-query", "Custom query", "api-key",
             {"name": CUSTOM_QUERY, "value": "${env:SEC_CUSTOM_KEY}", "in": "query"})
    _profile(folder, "oauth", "OAuth with ID token", "oauth2-refresh-token",
             {"token_url": f"{leaky}/token", "client_id": "cli", "client_secret": "${env:SEC_CLIENT_SECRET}",
              "refresh_token": "${env:SEC_REFRESH}"})
    yield World(demo_url, leaky, folder, tmp_path)


def _cases(w: World) -> dict[str, tuple[RequestSpec, str | None]]:
    echo = Body(kind="text", text="hello")
    closed = "http://127.0.0.1:9"  # discard port: nothing listens, the send fails with a sentence
    user_token = w.leaky.replace("http://", f"http://{TYPED}@")
    return {
        "demo basic echo": (RequestSpec(method="POST", url=f"{w.demo}/echo", body=echo), "Demo: Basic auth"),
        "demo digest": (RequestSpec(url=f"{w.demo}/auth/digest"), "Demo: Digest auth"),
        "demo client credentials": (RequestSpec(url=f"{w.demo}/api/invoices"), "Demo: OAuth 2 client credentials"),
        "demo refresh token echo": (RequestSpec(method="POST", url=f"{w.demo}/echo", body=echo),
                                    "Demo: OAuth 2 refresh token"),
        "demo api key query redirect": (RequestSpec(url=f"{w.demo}/redirect-other-origin?to=/headers"),
                                        "Demo: API key in the query"),
        "custom header echoed": (RequestSpec(url=f"{w.leaky}/x"), "Custom header"),
        "custom query echoed": (RequestSpec(url=f"{w.leaky}/x"), "Custom query"),
        "custom query, no server": (RequestSpec(url=f"{closed}/x"), "Custom query"),
        "oauth id token echoed": (RequestSpec(url=f"{w.leaky}/x"), "OAuth with ID token"),
        "typed bearer echoed": (RequestSpec(url=f"{w.leaky}/x", headers=(Header("Authorization",
                                                                              f"Bearer {TYPED}"),)), None),
        "typed cookie echoed": (RequestSpec(url=f"{w.leaky}/x", headers=(Header("Cookie", f"sid={TYPED}"),)), None),
        "typed digest echoed": (RequestSpec(url=f"{w.leaky}/x", headers=(Header(
            "Authorization", f'Digest username="u", nonce="n", uri="/x", response="{TYPED}"'),)), None),
        "typed proxy basic echoed": (RequestSpec(url=f"{w.leaky}/x", headers=(Header(
            "Proxy-Authorization", "Basic " + base64.b64encode(f"u:{TYPED}".encode()).decode()),)), None),
        "userinfo token echoed": (RequestSpec(url=f"{user_token}/x"), None),
        "userinfo password, no server": (RequestSpec(url=f"http://u:{TYPED}@127.0.0.1:9/x"), None),
        "api_key query, no server": (RequestSpec(url=f"{closed}/x?api_key={TYPED}"), None),
        "token in redirect query": (RequestSpec(url=f"{w.leaky}/to-query"), None),
        "token in redirect query, not followed": (RequestSpec(url=f"{w.leaky}/to-query", follow_redirects=False),
                                                  None),
        "token in redirect fragment": (RequestSpec(url=f"{w.leaky}/to-fragment"), None),
        "token in redirect fragment, not followed": (
            RequestSpec(url=f"{w.leaky}/to-fragment", follow_redirects=False), None),
        "form body secret echoed": (RequestSpec(method="POST", url=f"{w.demo}/echo", headers=(
            Header("Content-Type", "application/x-www-form-urlencoded"),), body=Body(
                kind="text", text=f"grant_type=password&password={TYPED}")), None),
    }


def _library_surfaces(w: World, spec: RequestSpec, profile_name: str | None) -> tuple[dict[str, str], set[str]]:
    """Every output built from one send through the shared pipeline, and every secret value it saw."""
    from inspector.core.profiles import open_default_store, resolver_for_cli
    from inspector.core.profiles.auth import TokenCache

    profile = open_default_store(extra_dirs=[w.profiles]).find(profile_name) if profile_name else None
    prepared = prepare(spec, profile, resolver_for_cli() if profile else None, TokenCache() if profile else None)
    exchange = prepared.send()
    diagnosis = prepared.explain(exchange)
    names = prepared.secret_names
    seen = set(exchange_secrets(exchange, diagnosis, names)) | set(prepared.redactor.values())
    db = w.tmp / f"history-{len(list(w.tmp.glob('history-*')))}.sqlite3"
    with HistoryStore(db) as history:
        record = history.get(prepared.record(history, exchange, diagnosis))
        history_text = repr(record) + repr(history.page())
    out = {
        "history records": history_text,
        "history file": b"".join(p.read_bytes() for p in w.tmp.glob(f"{db.name}*")).decode("latin-1"),
        "HAR": dump_har(to_har(exchange_to_har_entries(exchange, diagnosis, redactor=prepared.redactor,
                                                       extra_secret_names=names))),
        "report": build_report(exchange, diagnosis, redactor=prepared.redactor),
        "report html": report_html(exchange, diagnosis, redactor=prepared.redactor),
        "curl (spec)": to_curl(exchange.spec, redactor=prepared.redactor, extra_secret_names=names),
        "curl (hops)": "\n".join(to_curl(h, redactor=prepared.redactor, extra_secret_names=names)
                                 for h in exchange.hops),
    }
    return out, {s for s in seen if len(s) >= 8}


def _cli(w: World, spec: RequestSpec, profile_name: str | None, *flags: str) -> tuple[str, str]:
    argv = ["send", spec.url, "--profiles-dir", str(w.profiles), "--timeout", "10", *flags]
    for header in spec.headers:
        argv += ["-H", f"{header.name}: {header.value}"]
    if spec.method != "GET":
        argv += ["-X", spec.method, "-d", spec.body.text]
    if profile_name:
        argv += ["--profile", profile_name]
    if not spec.follow_redirects:
        argv.append("--no-follow")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        cli.main(argv)
    return out.getvalue(), err.getvalue()


CASE_NAMES = [
    "demo basic echo", "demo digest", "demo client credentials", "demo refresh token echo",
    "demo api key query redirect", "custom header echoed", "custom query echoed", "custom query, no server",
    "oauth id token echoed", "typed bearer echoed", "typed cookie echoed", "typed digest echoed",
    "typed proxy basic echoed", "userinfo token echoed", "userinfo password, no server",
    "api_key query, no server", "token in redirect query", "token in redirect query, not followed",
    "token in redirect fragment", "token in redirect fragment, not followed", "form body secret echoed",
]


def _leaks(surfaces: dict[str, str], secrets: set[str]) -> dict[str, list[str]]:
    return {name: [s for s in secrets if s in text] for name, text in surfaces.items()
            if any(s in text for s in secrets)}


@pytest.mark.parametrize("case", CASE_NAMES)
def test_no_secret_reaches_history_har_report_or_curl(world: World, case: str) -> None:
    spec, profile_name = _cases(world)[case]
    surfaces, seen = _library_surfaces(world, spec, profile_name)
    assert _leaks(surfaces, set(STATIC) | seen) == {}


@pytest.mark.parametrize("case", CASE_NAMES)
def test_no_secret_reaches_send_output_text_json_or_stderr(world: World, case: str) -> None:
    spec, profile_name = _cases(world)[case]
    _surfaces, seen = _library_surfaces(world, spec, profile_name)
    text_out, text_err = _cli(world, spec, profile_name)
    json_out, json_err = _cli(world, spec, profile_name, "--json")
    json.loads(json_out)  # still one JSON object
    surfaces = {"send stdout": text_out, "send stderr": text_err, "send --json": json_out,
                "send --json stderr": json_err}
    assert _leaks(surfaces, set(STATIC) | seen) == {}


def test_the_scan_sees_secrets_when_they_are_asked_for(world: World) -> None:
    """--show-secrets prints them: proof that the scan above would catch a leak."""
    spec, profile_name = _cases(world)["custom header echoed"]
    out, _err = _cli(world, spec, profile_name, "--json", "--show-secrets")
    assert CUSTOM_KEY in out


def test_the_profile_listing_never_shows_a_resolved_secret(world: World) -> None:
    outputs: list[str] = []
    show: Callable[..., None] = outputs.append
    for argv in (["profiles", "list"], ["profiles", "check"],
                 *(["profiles", "show", n] for n in ("Custom header", "OAuth with ID token", "Demo: Basic auth"))):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main([*argv, "--profiles-dir", str(world.profiles)])
        show(out.getvalue() + err.getvalue())
    text = "\n".join(outputs)
    assert "${env:SEC_CUSTOM_KEY}" in text  # references are shown ...
    assert [s for s in STATIC if s in text] == []  # ... values never
    assert os.environ["SEC_CUSTOM_KEY"] == CUSTOM_KEY
