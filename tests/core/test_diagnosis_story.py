"""One story per exchange: the banner and the first finding agree, a generic finding gives way to the
specific one that explains it, the server's message is said once, evidence reads as words, scopes are not
roles, a transport error has its own story, and the app's own masks are never judged (nor sent) as
credentials.

Real exchanges come from loopback servers (the demo API, or a small handler); the rest are table tests.
"""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from inspector.core.diagnosis import (
    Diagnosis,
    Expectations,
    evidence_lines,
    explain,
    explain_recorded,
    tell,
    transport_story,
)
from inspector.core.diagnosis.findings import (
    ANONYMOUS_AUTHENTICATION_TITLE,
    CATALOGUE,
    VERDICT_TITLES,
    explained_away,
    finding_summary,
    leading_finding,
    make_finding,
    story_order,
)
from inspector.core.diagnosis.story import QUIET_OK
from inspector.core.errors import RequestError
from inspector.core.exchange import ERROR_KINDS, Exchange, Hop, Response, TransportFailure
from inspector.core.export.har import dump_har, exchange_to_har_entries, parse_har, to_har
from inspector.core.pipeline import prepare
from inspector.core.profiles import new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import (
    Body,
    FormField,
    Header,
    MaskedCredentialError,
    RequestSpec,
    masked_credentials,
)
from inspector.core.transport import send
from inspector.demo.requests import demo_requests
from tests.support.servers import QuietHandler

SENT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(SENT.timestamp())
DATE = "Wed, 01 May 2024 12:00:00 GMT"
KEY = "story-test-secret-story-test-secret!"
URL = "https://api.example.com/v1/items"


def tok(**claims: object) -> str:
    base: dict[str, object] = {"sub": "alice", "iat": T0 - 600, "exp": T0 + 3000, "scope": "read"}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, KEY, algorithm="HS256")


def resp(status: int, headers: list[tuple[str, str]] | None = None, body: object = b"") -> Response:
    lines = [("Date", DATE), *(headers or [])]
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
        lines.append(("Content-Type", "application/json"))
    return Response(status, "", tuple(lines), body, len(body))


def ex(*hops: Hop, error: TransportFailure | None = None) -> Exchange:
    return Exchange(
        RequestSpec(url=hops[0].url if hops else URL),
        hops=hops,
        error=error,
        sent_at=SENT,
        received_at=SENT + timedelta(seconds=0.2),
    )


def hop(
    response: Response | None, headers: list[tuple[str, str]] | None = None, url: str = URL, **kw: object
) -> Hop:
    return Hop("GET", url, tuple(headers or []), response=response, elapsed_s=0.2, sent_at=SENT, **kw)  # type: ignore[arg-type]


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Counting(QuietHandler):
    """Answers 401 with a body code and message; counts what arrives."""

    hits: list[str] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            type(self).hits.append(self.headers.get("Authorization") or "")
        challenge = 'Bearer realm="api", error="invalid_token", error_description="The access token expired"'
        self.reply_json(401, {"error": "invalid_token", "error_description": "The access token expired"},
                        {"WWW-Authenticate": challenge})


# ------------------------------------------------------------------------------------- one root cause

EXPIRED_CH = [
    ("WWW-Authenticate", 'Bearer error="invalid_token", error_description="The access token expired"')
]
STORIES = {
    "stripped-on-redirect": ex(
        hop(resp(302, [("Location", "https://files.example.net/x")]), bearer(tok())),
        hop(
            resp(401, [("WWW-Authenticate", 'Bearer realm="x"')], {"detail": "Not authenticated"}),
            url="https://files.example.net/x",
            credentials_stripped=("Authorization",),
        ),
    ),
    "expired-with-words": ex(
        hop(
            resp(
                401, EXPIRED_CH, {"error": "invalid_token", "error_description": "The access token expired"}
            ),
            bearer(tok(exp=T0 - 3615)),
        )
    ),
    "malformed-and-scheme": ex(
        hop(resp(401, [("WWW-Authenticate", "Basic realm=x")]), [("Authorization", "Bearer Bearer abc.def")])
    ),
    "not-permitted-google": ex(
        hop(
            resp(
                403,
                [],
                {
                    "error": {
                        "code": 403,
                        "status": "PERMISSION_DENIED",
                        "message": "The caller does not have permission",
                    }
                },
            ),
            bearer(tok()),
        )
    ),
    "scope-with-roles": ex(
        hop(
            resp(403, [("WWW-Authenticate", 'Bearer error="insufficient_scope", scope="write"')]),
            bearer(tok(scope="read", roles=["reader"])),
        )
    ),
    "dpop-bound-as-bearer": ex(hop(resp(401, [("WWW-Authenticate", 'DPoP algs="ES256"')]), bearer(tok()))),
    "no-credentials": ex(
        hop(resp(401, [("WWW-Authenticate", 'Bearer realm="x"')], {"message": "Who are you?"}))
    ),
    "rate-limited": ex(hop(resp(429, [("Retry-After", "30")]), bearer(tok()))),
    "message-only-401": ex(
        hop(resp(401, [], {"message": "Invalid API key"}), [("X-API-Key", "k-1234567890")])
    ),
}


@pytest.mark.parametrize("name", list(STORIES))
def test_the_banner_and_the_first_finding_tell_the_same_story(name: str) -> None:
    d = explain(STORIES[name])
    story = tell(d)
    leader = leading_finding(d.findings, d.verdict)
    if leader is not None:
        assert d.findings[0] is leader and story.findings[0].id == leader.id, d.finding_ids
        assert d.summary == finding_summary(leader)
    # a first finding never argues for another verdict than the banner's
    first = story.findings[0] if story.findings else None
    if first is not None and first.severity == "error":
        family = CATALOGUE[first.id].family
        assert family in (None, d.verdict), (first.id, d.verdict)


def test_a_cross_origin_redirect_leads_with_the_stripping_and_not_with_missing_credentials(
    demo_url: str,
) -> None:
    spec = dict(demo_requests(demo_url))["401 Token dropped by a cross-origin redirect"]
    exchange = send(spec)
    d = explain(exchange)
    assert len(exchange.request_hops) == 2 and exchange.response is not None
    assert d.verdict == "authentication"
    assert d.findings[0].id == "credentials-stripped-on-redirect"
    assert "no-credentials" not in d.finding_ids  # the user sent them: the redirect dropped them
    assert d.summary.startswith("Your credentials were dropped")
    story = tell(d)
    told = " ".join([story.summary, *(f"{f.title} {f.detail} {f.next_step}" for f in story.findings)])
    assert "No credentials were sent" not in told and "add the Authorization header" not in told
    assert (
        story.title == ANONYMOUS_AUTHENTICATION_TITLE
    )  # nothing arrived: the server cannot tell who you are


@pytest.mark.parametrize(
    ("present", "kept"),
    [
        (["no-credentials", "credentials-stripped-on-redirect"], ["credentials-stripped-on-redirect"]),
        (["no-credentials"], ["no-credentials"]),
        (["scheme-mismatch", "dpop-required"], ["dpop-required"]),
        (["opaque-token", "malformed-authorization"], ["malformed-authorization"]),
        (["token-near-expiry", "token-expired"], ["token-expired"]),
        (["server-message", "token-expired"], ["server-message", "token-expired"]),
    ],
)
def test_a_generic_finding_gives_way_to_the_one_that_explains_it(present: list[str], kept: list[str]) -> None:
    assert [f.id for f in explained_away([make_finding(i) for i in present])] == kept


def test_every_explained_by_names_a_catalogue_finding() -> None:
    for fid, spec in CATALOGUE.items():
        assert set(spec.explained_by) <= set(CATALOGUE) and fid not in spec.explained_by


def test_story_order_puts_the_leader_first_then_severity() -> None:
    found = [
        make_finding("server-error-code", code="x"),
        make_finding("clock-skew"),
        make_finding("authenticated-not-permitted"),
    ]
    assert [f.id for f in story_order(found, "authorization")] == [
        "authenticated-not-permitted",
        "clock-skew",
        "server-error-code",
    ]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("expired-with-words", VERDICT_TITLES["authentication"]),
        ("no-credentials", ANONYMOUS_AUTHENTICATION_TITLE),
        ("not-permitted-google", VERDICT_TITLES["authorization"]),
    ],
)
def test_the_401_banner_does_not_read_like_a_403(name: str, title: str) -> None:
    assert tell(explain(STORIES[name])).title == title
    assert "who you are" not in VERDICT_TITLES["authentication"]
    assert "did not accept the credentials" in VERDICT_TITLES["authentication"]
    assert "could not tell who you are" in ANONYMOUS_AUTHENTICATION_TITLE


# ---------------------------------------------------------------------------------- the server's words once


def _told(d: Diagnosis) -> list[str]:
    story = tell(d)
    return [
        story.summary,
        *(f"{f.title}\n{f.detail}" for f in story.findings),
        *(value for _label, value in story.server),
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("expired-with-words", "The access token expired"),
        ("not-permitted-google", "The caller does not have permission"),
        ("message-only-401", "Invalid API key"),
        ("stripped-on-redirect", "Not authenticated"),
        ("no-credentials", "Who are you?"),
    ],
)
def test_the_servers_message_is_said_once(name: str, message: str) -> None:
    d = explain(STORIES[name])
    assert d.server_message == message
    assert sum(text.count(message.rstrip("?")) for text in _told(d)) == 1, _told(d)
    assert "server-message" in d.finding_ids or "server-error-code" in d.finding_ids  # the contract stays


def test_the_servers_message_is_said_once_in_a_real_exchange(http_server) -> None:
    url = http_server(_Counting)
    exchange = send(RequestSpec(url=f"{url}/x", headers=(Header("Authorization", f"Bearer {tok(exp=1)}"),)))
    d = explain(exchange)
    assert d.findings[0].id == "token-expired"
    assert sum(text.count("The access token expired") for text in _told(d)) == 1, _told(d)


# ------------------------------------------------------------------------------------- evidence in words


INTERNAL = ("null", "None", "uri", "description null", "shape", "expected_status", "remaining_s", "_s ")


@pytest.mark.parametrize(
    ("finding_id", "evidence", "expected"),
    [
        (
            "token-expired",
            {
                "expires_at": "2024-05-01T10:59:44Z",
                "reference_time": "2024-05-01T12:00:00Z",
                "by_server_clock": True,
                "remaining_s": -3615.324,
            },
            [
                ("Expires at", "2024-05-01 10:59:44 UTC"),
                ("Judged at", "2024-05-01 12:00:00 UTC"),
                ("Clock used", "the server's (its Date header)"),
                ("Expired", "1 h 0 min before the request"),
            ],
        ),
        (
            "server-error-code",
            {
                "code": "invalid_token",
                "description": None,
                "uri": None,
                "source": "challenge",
                "status": 401,
                "expected_status": None,
            },
            [("Error code", "invalid_token"), ("Named in", "the WWW-Authenticate challenge")],
        ),
        (
            "server-error-code",
            {
                "code": "invalid_token",
                "description": None,
                "uri": None,
                "source": "challenge",
                "status": 403,
                "expected_status": 401,
            },
            [
                ("Error code", "invalid_token"),
                ("Named in", "the WWW-Authenticate challenge"),
                ("RFC 6750 status for this code", "401"),
            ],
        ),
        (
            "server-message",
            {"message": "Bad credentials", "shape": "oauth", "description": None},
            [("Message", "Bad credentials")],
        ),
        (
            "clock-skew",
            {"clock_skew_s": -425.0, "server_date": "2024-05-01T11:52:55Z", "sent_at": None},
            [
                ("Your clock", "7 min 5 s ahead of the server's"),
                ("Server's Date header", "2024-05-01 11:52:55 UTC"),
            ],
        ),
        (
            "audience-mismatch",
            {"expected": "api://billing", "actual": []},
            [("Audience expected", "api://billing"), ("Audience in the token", "missing")],
        ),
        ("opaque-token", {"format": "opaque", "length": 43}, [("Length", "43 characters")]),
        (
            "step-up-required",
            {"code": "insufficient_user_authentication", "max_age": "300", "login_age_s": 7200.0},
            [
                ("The server said", "insufficient_user_authentication"),
                ("Oldest sign-in accepted", "5 min 0 s"),
                ("Your sign-in was", "2 h 0 min old"),
            ],
        ),
        (
            "made-up-later",
            {"retry_after_s": 90, "flag": False, "note": "x"},
            [("Retry after s", "1 min 30 s"), ("Note", "x")],
        ),
    ],
)
def test_evidence_reads_as_words(
    finding_id: str, evidence: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert evidence_lines(finding_id, evidence) == expected


@pytest.mark.parametrize("name", list(STORIES))
def test_no_null_and_no_internal_name_in_any_evidence_line(name: str) -> None:
    for f in explain(STORIES[name]).findings:
        for label, value in evidence_lines(f):
            text = f"{label}: {value}"
            assert not any(word in text for word in INTERNAL), (f.id, text)
            assert "_" not in label, (f.id, label)


# ------------------------------------------------------------------------------------- scopes are not roles


def test_roles_are_not_listed_as_granted_scopes() -> None:
    d = explain(STORIES["scope-with-roles"])
    f = d.finding("insufficient-scope")
    assert f is not None
    assert f.evidence["granted"] == ["read"] and f.evidence["roles"] == ["reader"]
    assert "Granted scopes: read." in f.detail and "Roles (not scopes): reader." in f.detail
    assert "Granted scopes: read, reader" not in f.detail
    assert ("Roles (not scopes)", "reader") in evidence_lines(f) and (
        "Granted scopes",
        "read",
    ) in evidence_lines(f)


@pytest.mark.parametrize(
    ("claims", "required", "missing"),
    [
        (
            {"scope": "read", "roles": ["write"]},
            ("write",),
            [],
        ),  # a role may still satisfy it (kept detection)
        ({"permissions": ["invoices:write"]}, ("invoices:write",), []),
        ({"scope": "read", "roles": ["reader"]}, ("admin",), ["admin"]),
        ({"scp": ["read"]}, ("write",), ["write"]),
    ],
)
def test_scope_detection_still_reads_roles_and_permissions(
    claims: dict[str, object], required: tuple[str, ...], missing: list[str]
) -> None:
    d = explain(ex(hop(resp(403), bearer(tok(**claims)))), Expectations(scopes=required))
    f = d.finding("insufficient-scope")
    assert (f.evidence["missing"] if f else []) == missing


def test_the_demo_403_lists_the_role_as_a_role(demo_url: str) -> None:
    exchange = send(dict(demo_requests(demo_url))["403 insufficient_scope in the body only"])
    f = explain(exchange).finding("insufficient-scope")
    assert f is not None and "reader" not in (f.evidence["granted"] or [])
    assert "reader" in (f.evidence["roles"] or []) and "Roles (not scopes): reader" in f.detail


# ------------------------------------------------------------------------------------- transport errors


def test_connection_refused_gets_its_own_story() -> None:
    port = _free_port()
    exchange = send(RequestSpec(url=f"http://127.0.0.1:{port}/x"))
    assert exchange.error is not None and exchange.error.kind == "connection"
    d = explain(exchange)
    assert d.verdict == "transport-error" and d.findings == ()
    assert not d.summary.startswith("No response came back")
    assert "refused" in d.summary
    story = tell(d, exchange.error, exchange.spec.url)
    assert story.title == "No response came back" and story.title not in story.summary
    assert story.quiet == "" and story.quiet != QUIET_OK
    assert story.transport is not None and story.transport.what == exchange.error.message
    assert any(f"127.0.0.1:{port}" in c for c in story.transport.causes)
    assert story.transport.tries


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_every_transport_error_kind_has_causes_and_things_to_try(kind: str) -> None:
    story = transport_story(
        kind, f"GET https://api.example.com/x failed ({kind}).", "https://api.example.com/x"
    )
    assert story.causes and story.tries and story.what.startswith("GET")
    assert all(c.endswith(".") for c in (*story.causes, *story.tries))


def test_a_transport_error_without_a_diagnosis_is_still_told() -> None:
    failure = TransportFailure(
        "dns", "GET https://nope.invalid/ failed: the host name could not be resolved."
    )
    story = tell(None, failure, "https://nope.invalid/")
    assert story.summary == failure.message and story.transport is not None
    assert any("VPN" in c for c in story.transport.causes)


# ------------------------------------------------------------------------------------- our own masks


@pytest.mark.parametrize(
    ("spec", "replaced", "found"),
    [
        (
            RequestSpec(url=URL, headers=(Header("Authorization", "Bearer eyJhbG…"),)),
            (),
            ["the Authorization header"],
        ),
        (RequestSpec(url=URL, headers=(Header("Authorization", "Bearer eyJhbG…"),)), ("Authorization",), []),
        (RequestSpec(url=URL, headers=(Header("Authorization", "Bearer eyJhbG…", enabled=False),)), (), []),
        (RequestSpec(url=URL, headers=(Header("X-Note", "wait…"),)), (), []),  # not a credential
        (RequestSpec(url=URL, headers=(Header("Cookie", "sid=abcdef…"),)), (), ["the Cookie header"]),
        (RequestSpec(url=f"{URL}?api_key=ak_liv…&q=x"), (), ["the query parameter 'api_key'"]),
        (RequestSpec(url="https://user:…@api.example.com/x"), (), ["the user name or password in the URL"]),
        (
            RequestSpec(
                url=URL, method="POST", body=Body("form", fields=(FormField("client_secret", "s3cr…"),))
            ),
            (),
            ["the form field 'client_secret'"],
        ),
        (
            RequestSpec(url=URL, method="POST", body=Body("json", '{"user": "a", "password": "…"}')),
            (),
            ["the JSON field 'password'"],
        ),
        (
            RequestSpec(url=URL, headers=(Header("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"),)),
            (),
            [],
        ),
    ],
)
def test_masked_credentials_are_found(spec: RequestSpec, replaced: tuple[str, ...], found: list[str]) -> None:
    assert masked_credentials(spec, replaced) == found


def test_a_masked_value_is_refused_before_sending(http_server) -> None:
    _Counting.hits = []
    url = http_server(_Counting)
    spec = RequestSpec(url=f"{url}/x", headers=(Header("Authorization", "Bearer eyJhbG…"),))
    with pytest.raises(MaskedCredentialError) as caught:
        prepare(spec)
    assert isinstance(caught.value, RequestError)
    message = str(caught.value)
    assert "Authorization header" in message and "masked" in message and "profile" in message
    assert _Counting.hits == []  # nothing reached the server


def test_a_profile_that_sets_the_header_replaces_the_masked_value(http_server, tmp_path: Path) -> None:
    _Counting.hits = []
    url = http_server(_Counting)
    profile = new_profile("Team", "bearer", tmp_path, credentials={"token": "${env:STORY_TOKEN}"})
    resolver = Resolver(None, env={"STORY_TOKEN": "fresh-token-1234567890"})
    spec = RequestSpec(url=f"{url}/x", headers=(Header("Authorization", "Bearer eyJhbG…"),))
    prepared = prepare(spec, profile, resolver)
    exchange = prepared.send()
    assert exchange.error is None and _Counting.hits == ["Bearer fresh-token-1234567890"]


def test_a_profile_that_adds_another_header_does_not_excuse_a_masked_authorization(tmp_path: Path) -> None:
    profile = new_profile("Key", "api-key", tmp_path, credentials={"name": "X-API-Key", "value": "${env:K}"})
    spec = RequestSpec(url=URL, headers=(Header("Authorization", "Bearer eyJhbG…"),))
    with pytest.raises(MaskedCredentialError):
        prepare(spec, profile, Resolver(None, env={"K": "key-1234567890"}))


def _exported_and_read_back(demo_url: str) -> tuple[Exchange, Diagnosis, Exchange, Diagnosis | None]:
    exchange = send(dict(demo_requests(demo_url))["401 Expired token"])
    diagnosis = explain(exchange)
    text = dump_har(to_har(exchange_to_har_entries(exchange, diagnosis)))
    assert "eyJhbG…" in text  # the file holds the app's own mask, not the token
    (entry,) = parse_har(text)
    return exchange, diagnosis, entry.exchange, entry.diagnosis


def test_a_har_round_trip_of_an_expired_token_keeps_the_expiry_as_the_cause(demo_url: str) -> None:
    _exchange, then, recorded, stored = _exported_and_read_back(demo_url)
    assert then.findings[0].id == "token-expired"
    d = explain_recorded(recorded, None, stored)
    assert "malformed-authorization" not in d.finding_ids
    assert d.findings[0].id == "token-expired" and d.summary.startswith("Your token expired")
    assert d.credential is not None and d.credential.value.endswith("…")
    assert any("recorded masked" in m for m in d.missing_evidence)


def test_a_masked_credential_is_sent_but_not_judged_without_the_record(demo_url: str) -> None:
    _exchange, _then, recorded, _stored = _exported_and_read_back(demo_url)
    d = explain(recorded)
    assert d.verdict == "authentication"
    assert not {"malformed-authorization", "no-credentials", "opaque-token"} & set(d.finding_ids)
    assert d.token is None and "The access token expired" in d.summary  # the server's challenge leads
    assert "(\u2018…\u2019)" not in d.summary and "'…'" not in d.summary
    assert any("Authorization header was recorded masked" in m for m in d.missing_evidence)
    assert not any("no token was sent" in m for m in d.missing_evidence)


def test_explain_recorded_judges_a_readable_credential_itself() -> None:
    raw = tok(exp=T0 + 3000)
    exchange = ex(hop(resp(401, EXPIRED_CH), bearer(raw)))
    stale = explain(ex(hop(resp(401, EXPIRED_CH), bearer(tok(exp=T0 - 100)))))
    d = explain_recorded(exchange, None, stale)  # the value can be read: the old record is not used
    assert "token-expired" not in d.finding_ids and d.token is not None and d.token.raw == raw


def test_a_masked_value_from_history_is_refused_by_the_cli(demo_url: str, capsys) -> None:
    from inspector.cli import main

    code = main(["send", f"{demo_url}/api/invoices", "-H", "Authorization: Bearer eyJhbG…"])
    err = capsys.readouterr().err
    assert code == 2 and "masked" in err and "Traceback" not in err and "latin-1" not in err
