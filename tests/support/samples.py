"""Exchanges and diagnoses for the history and export tests, full of known secret values."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from inspector.core.challenges import Challenge
from inspector.core.diagnosis import Diagnosis
from inspector.core.diagnosis.findings import Finding
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.core.timeline import Timeline
from inspector.core.tokens import SentCredential, TokenInfo

SENT_AT = datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)
JWT_HEADER = {"alg": "RS256", "typ": "JWT", "kid": "demo-key"}
JWT_CLAIMS = {
    "sub": "user-42",
    "aud": "https://api.demo.test",
    "exp": 1714557348,
    "iat": 1714553748,
    "scope": "read",
}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1kZW1vLXRva2VuLTEyMzQ1Njc4OTA"
JWT = f"{_b64(JWT_HEADER)}.{_b64(JWT_CLAIMS)}.{JWT_SIGNATURE}"

SECRETS = {
    "bearer": JWT,
    "jwt-signature": JWT_SIGNATURE,
    "basic-password": "B4sic-Pa55word-xyz",
    "basic-encoded": base64.b64encode(b"billing-client:B4sic-Pa55word-xyz").decode(),
    "api-key-header": "ak_live_header_0123456789",
    "api-key-query": "ak_live_query_9876543210",
    "cookie": "sess_7f3a9c1e5b2d4f60",
    "set-cookie": "newsess_aa11bb22cc33dd44",
    "access-token": "at_fresh_token_ABCDEFGHIJKLMNOP",
    "refresh-token": "rt_refresh_ZYXWVUTSRQPONMLK",
    "client-secret": "cs_client_secret_112233445566",
    "login-password": "hunter2-but-longer-99",
}


def secret_exchange() -> Exchange:
    """A token fetch, a request with every kind of credential, a cross-origin redirect and a 401."""
    token_hop = Hop(
        method="POST",
        url="http://127.0.0.1:8765/oauth/token",
        sent_headers=(
            ("Authorization", "Basic " + SECRETS["basic-encoded"]),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ),
        sent_body=(
            f"grant_type=client_credentials&client_id=billing-client&client_secret={SECRETS['client-secret']}"
        ).encode(),
        response=Response(
            200,
            "OK",
            (("Content-Type", "application/json"), ("Cache-Control", "no-store")),
            json.dumps(
                {
                    "access_token": SECRETS["access-token"],
                    "refresh_token": SECRETS["refresh-token"],
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
            ).encode(),
            143,
        ),
        elapsed_s=0.0083,
        sent_at=SENT_AT - timedelta(seconds=1),
        role="token",
    )
    first = Hop(
        method="POST",
        url=f"http://127.0.0.1:8765/api/things?api_key={SECRETS['api-key-query']}&page=1",
        sent_headers=(
            ("Authorization", f"Bearer {JWT}"),
            ("X-API-Key", SECRETS["api-key-header"]),
            ("Cookie", f"session={SECRETS['cookie']}; theme=dark"),
            ("Content-Type", "application/json"),
        ),
        sent_body=json.dumps({"username": "demo", "password": SECRETS["login-password"]}).encode(),
        response=Response(
            307,
            "Temporary Redirect",
            (
                ("Location", "http://localhost:8765/api/things?page=1"),
                ("Set-Cookie", f"session={SECRETS['set-cookie']}; Path=/; HttpOnly"),
            ),
            b"",
            0,
        ),
        elapsed_s=0.0042,
        sent_at=SENT_AT,
    )
    second = Hop(
        method="POST",
        url="http://localhost:8765/api/things?page=1",
        sent_headers=(("Content-Type", "application/json"),),
        sent_body=json.dumps({"username": "demo", "password": SECRETS["login-password"]}).encode(),
        response=Response(
            401,
            "Unauthorized",
            (
                ("Content-Type", "application/json"),
                ("WWW-Authenticate", 'Bearer realm="demo", error="invalid_token"'),
                ("Date", "Wed, 01 May 2024 10:00:01 GMT"),
            ),
            json.dumps(
                {
                    "error": "invalid_token",
                    "error_description": f"The token {JWT} expired <b>4 minutes</b> ago",
                    "echo": {"headers": {"X-API-Key": SECRETS["api-key-header"]}},
                }
            ).encode(),
            414,
        ),
        elapsed_s=0.0051,
        sent_at=SENT_AT + timedelta(milliseconds=5),
        credentials_stripped=("Authorization", "Cookie", "X-API-Key"),
    )
    spec = RequestSpec(
        method="POST",
        url=f"http://127.0.0.1:8765/api/things?api_key={SECRETS['api-key-query']}&page=1",
        headers=(
            Header("Authorization", f"Bearer {JWT}"),
            Header("X-API-Key", SECRETS["api-key-header"]),
            Header("Cookie", f"session={SECRETS['cookie']}; theme=dark"),
            Header("X-Disabled", "off", enabled=False),
        ),
        body=Body("json", text=json.dumps({"username": "demo", "password": SECRETS["login-password"]})),
        profile="team/billing-staging",
    )
    return Exchange(
        spec=spec,
        hops=(token_hop, first, second),
        sent_at=SENT_AT,
        received_at=SENT_AT + timedelta(milliseconds=12),
        profile_name="Billing API (staging)",
    )


def secret_diagnosis() -> Diagnosis:
    timeline = Timeline(
        now=SENT_AT + timedelta(seconds=2),
        issued_at=datetime.fromtimestamp(JWT_CLAIMS["iat"], UTC),
        expires_at=datetime.fromtimestamp(JWT_CLAIMS["exp"], UTC),
        sent_at=SENT_AT,
        server_date=datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC),
        clock_skew_s=0.7,
        remaining_s=-252.0,
        lifetime_s=3600.0,
        age_s=3852.0,
        reference_time=datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC),
        by_server_clock=True,
    )
    return Diagnosis(
        verdict="authentication",
        summary="Your token expired 4 min 12 s before the request (by the server's clock).",
        findings=(
            Finding(
                "token-expired",
                "error",
                "The token has expired",
                "exp is 4 min 12 s before the server's time at the request.",
                {"exp": JWT_CLAIMS["exp"], "server_date": "2024-05-01T10:00:01+00:00"},
                next_step="Fetch a new token and send again.",
            ),
            Finding(
                "credentials-stripped-on-redirect",
                "error",
                "Credentials were dropped on a redirect",
                "The redirect went to http://localhost:8765, another origin, so Authorization was not sent.",
                {"stripped": ["Authorization", "Cookie"], "hop": 2},
            ),
            Finding(
                "server-message",
                "info",
                "The server said why",
                "<script>alert('x')</script> & friends",
                {"message": "expired"},
            ),
        ),
        challenges=(Challenge("Bearer", None, {"realm": "demo", "error": "invalid_token"}),),
        credential=SentCredential("authorization", "Authorization", "Bearer", JWT),
        token=TokenInfo("jws", JWT, JWT_HEADER, JWT_CLAIMS),
        timeline=timeline,
        server_error="invalid_token",
        server_message="The token expired",
        missing_evidence=("no JWKS configured: the signature was not checked",),
    )


def simple_exchange(
    status: int | None = 200, method: str = "GET", url: str = "https://api.test/items"
) -> Exchange:
    response = None if status is None else Response(status, "", (("Content-Type", "text/plain"),), b"ok", 2)
    hop = Hop(method, url, (("Accept", "*/*"),), b"", response, 0.01, SENT_AT)
    error = None
    if status is None:
        from inspector.core.exchange import TransportFailure

        error = TransportFailure("connection", f"Could not connect to {url}.")
    return Exchange(RequestSpec(method, url), (hop,), error, SENT_AT, SENT_AT + timedelta(milliseconds=10))


def form_spec() -> RequestSpec:
    return RequestSpec(
        "POST",
        "https://api.test/login",
        body=Body(
            "form", fields=(FormField("user", "demo"), FormField("password", SECRETS["login-password"]))
        ),
    )
