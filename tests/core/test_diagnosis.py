"""explain(): one row per finding id, the verdict table for real-world disagreements, summaries, secrets."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from inspector.core.diagnosis import VERDICTS, Diagnosis, Expectations, explain, inspect_alone, strip_scheme
from inspector.core.diagnosis.findings import FINDING_IDS, SEVERITY_RANK
from inspector.core.exchange import (
    Exchange,
    HeldCookie,
    Hop,
    Response,
    ServerCertificate,
    TlsReport,
    TransportFailure,
)
from inspector.core.jsonout import diagnosis_json, token_json
from inspector.core.request import RequestSpec
from inspector.core.tokens import inspect_token, verify_token

SENT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(SENT.timestamp())
DATE = "Wed, 01 May 2024 12:00:00 GMT"
SECRET = "unit-test-secret-unit-test-secret"
URL = "https://api.example.com/v1/items"


def tok(claims: dict[str, object] | None = None, *, alg: str = "HS256", headers: dict[str, object] | None = None,
        key: str | None = SECRET) -> str:
    base: dict[str, object] = {"sub": "alice", "iat": T0 - 600, "exp": T0 + 3000, "scope": "read"}
    base.update(claims or {})
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key if alg != "none" else None, algorithm=alg,
                      headers=headers)


def resp(status: int, headers: list[tuple[str, str]] | None = None, body: bytes | dict | list = b"",
         reason: str = "") -> Response:
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = [*(headers or []), ("Content-Type", "application/json")]
    has_date = any(k.lower() == "date" for k, _v in headers or [])
    lines = [*([] if has_date else [("Date", DATE)]), *(headers or [])]
    lines = [(k, v) for k, v in lines if v is not None]
    return Response(status, reason, tuple(lines), body, len(body))


def nodate(r: Response) -> Response:
    return Response(r.status, r.reason, tuple((k, v) for k, v in r.headers if k != "Date"), r.body, r.body_bytes)


def hop(response: Response | None, headers: list[tuple[str, str]] | None = None, url: str = URL, **kw: object) -> Hop:
    return Hop("GET", url, tuple(headers or []), response=response, elapsed_s=0.2, sent_at=SENT, **kw)  # type: ignore[arg-type]


def exchange(*hops: Hop, error: TransportFailure | None = None, token_problem: str | None = None) -> Exchange:
    return Exchange(RequestSpec(url=hops[0].url if hops else URL), hops=hops, error=error, sent_at=SENT,
                    received_at=SENT + timedelta(seconds=0.2), token_problem=token_problem)


def bearer(token: str, scheme: str = "Bearer") -> list[tuple[str, str]]:
    return [("Authorization", f"{scheme} {token}")]


CH_BEARER = [("WWW-Authenticate", 'Bearer realm="api"')]
CH_CLAIMS = 'Bearer error="insufficient_claims", claims="eyJ9"'
CH_GOOGLE = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _bad_signature_token():
    raw = tok()
    return verify_token(inspect_token(raw), key_pem_or_secret=b"not-the-right-secret-not-the-right")


LOGIN_PAGE = b'<html><form method="post"><input name="u"><input type="password" name="pw"></form></html>'
LOGIN_URL = "https://api.example.com/login?next=/v1/items"
HELD_FOR_ADMIN = HeldCookie("sessionid", "api.example.com", "/admin", "path",
                            "The cookie sessionid is for the path /admin, and /v1/items is not under it.")
SESSION_COOKIE = [("Cookie", "sessionid=s3ss10n-value-9f8e7d6c")]


def _unknown_kid(raw: str):
    from dataclasses import replace

    return replace(inspect_token(raw), verify_outcome="no-key",
                   verify_error="No key in the JWKS at https://idp.example.com/jwks has the token's kid "
                                "'key-2023' (it lists key-2024, key-2025).")


def _certificate(*, self_signed: bool = False, names: tuple[str, ...] = ("api.example.com",),
                 days: tuple[int, int] = (-30, 300)) -> ServerCertificate:
    issuer = "CN=api.example.com" if self_signed else "CN=Example CA"
    return ServerCertificate("CN=api.example.com", issuer, SENT + timedelta(days=days[0]),
                             SENT + timedelta(days=days[1]), "AB:CD", names, (), self_signed)


def _tls_failure(report: TlsReport) -> Exchange:
    failure = TransportFailure("tls", f"GET {URL} failed: the TLS handshake with api.example.com failed.")
    return exchange(hop(None, tls=report), error=failure)


# Each row: finding id, a builder of (exchange, expectations, token), expected verdict.
Row = Callable[[], tuple[Exchange, Expectations | None, object]]
ROWS: dict[str, tuple[Row, str]] = {
    "no-credentials": (lambda: (exchange(hop(resp(401, CH_BEARER))), None, None), "authentication"),
    "credentials-stripped-on-redirect": (lambda: (exchange(
        hop(resp(302, [("Location", "https://files.example.net/x")]), bearer(tok())),
        hop(resp(401, CH_BEARER), url="https://files.example.net/x")), None, None), "authentication"),
    "netrc-override": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok()), netrc_applied=True)), None, None),
                       "authentication"),
    "credentials-over-http": (lambda: (exchange(hop(resp(200), bearer(tok()), url="http://api.example.com/x")),
                                       None, None), "ok"),
    "scheme-mismatch": (lambda: (exchange(hop(resp(401, CH_BEARER), [("Authorization", "Basic dXNlcjpwdw==")])),
                                 None, None), "authentication"),
    "malformed-authorization": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer("Bearer " + tok()))), None, None),
                                "authentication"),
    "missing-challenge": (lambda: (exchange(hop(resp(401), bearer(tok()))), None, None), "authentication"),
    "server-error-code": (lambda: (exchange(hop(resp(401, [("WWW-Authenticate",
                                                             'Bearer error="invalid_token", error_description="bad"')]),
                                                bearer(tok()))), None, None), "authentication"),
    "server-message": (lambda: (exchange(hop(resp(401, CH_BEARER, {"message": "Bad credentials"}), bearer(tok()))),
                                None, None), "authentication"),
    "token-expired": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"exp": T0 - 252})))), None, None),
                      "authentication"),
    "token-near-expiry": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"exp": T0 + 30})))), None, None),
                          "authentication"),
    "token-not-yet-valid": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"nbf": T0 + 300})))), None, None),
                            "authentication"),
    "clock-skew": (lambda: (exchange(hop(resp(401, [("Date", "Wed, 01 May 2024 12:10:00 GMT"), *CH_BEARER]),
                                         bearer(tok()))), None, None), "authentication"),
    "audience-mismatch": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"aud": "api://other"})))),
                                   Expectations(audience="api://billing"), None), "authentication"),
    "issuer-mismatch": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"iss": "https://idp.example.com"})))),
                                 Expectations(issuer="https://idp.example.com/"), None), "authentication"),
    "insufficient-scope": (lambda: (exchange(hop(resp(403, [("WWW-Authenticate",
                                                              'Bearer error="insufficient_scope", scope="write"')]),
                                                 bearer(tok()))), None, None), "authorization"),
    "id-token-as-access-token": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"nonce": "n-1"})))),
                                          None, None), "authentication"),
    "wrong-token-type": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok({"typ": "Refresh"})))), None, None),
                         "authentication"),
    "step-up-required": (lambda: (exchange(hop(resp(401, [("WWW-Authenticate",
                                                           'Bearer error="insufficient_user_authentication", '
                                                           'acr_values="mfa"')]),
                                               bearer(tok({"acr": "pwd"})))), None, None), "step-up"),
    "dpop-required": (lambda: (exchange(hop(resp(401, [("WWW-Authenticate", 'DPoP algs="ES256"')]), bearer(tok()))),
                               None, None), "authentication"),
    "unsigned-token": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok(alg="none")))), None, None),
                       "authentication"),
    "suspicious-token-header": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok(
        headers={"jku": "https://evil.example/jwks"})))), None, None), "authentication"),
    "signature-invalid": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(tok()))), None, _bad_signature_token()),
                          "authentication"),
    "encrypted-token": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer(
        ".".join([_b64({"alg": "RSA-OAEP", "enc": "A256GCM"}), "a", "b", "c", "d"])))), None, None),
        "authentication"),
    "opaque-token": (lambda: (exchange(hop(resp(401, CH_BEARER), bearer("ya29.opaque-google-style_token"))),
                              None, None), "authentication"),
    "basic-charset": (lambda: (exchange(hop(resp(401, [("WWW-Authenticate", 'Basic realm="x", charset="UTF-8"')]),
                                            [("Authorization", "Basic " + base64.b64encode(
                                                "jürgen:pässword".encode("latin-1")).decode())])), None, None),
                      "authentication"),
    "authenticated-not-permitted": (lambda: (exchange(hop(resp(403, [], {"message": "Forbidden"}), bearer(tok()))),
                                             None, None), "authorization"),
    "rate-limited": (lambda: (exchange(hop(resp(429, [("Retry-After", "30")]), bearer(tok()))), None, None),
                     "not-credential-related"),
    "proxy-auth-required": (lambda: (exchange(hop(resp(407, [("Proxy-Authenticate", 'Basic realm="corp proxy"')]),
                                                  bearer(tok()))), None, None), "proxy-authentication"),
    # Apollo Server: a GraphQL refusal inside a 200
    "refusal-in-success-body": (lambda: (exchange(hop(resp(200, [], {"data": None, "errors": [
        {"message": "You must be logged in", "extensions": {"code": "UNAUTHENTICATED"}}]}), bearer(tok()))),
        None, None), "authentication"),
    # AWS API Gateway: "Missing Authentication Token" for a route it does not have, an API key sent
    "endpoint-not-found-likely": (lambda: (exchange(hop(resp(403, [("x-amzn-ErrorType",
                                                                    "MissingAuthenticationTokenException")],
                                                             {"message": "Missing Authentication Token"}),
                                                        [("x-api-key", "k-1234567890")])), None, None),
                                  "not-credential-related"),
    # ---- signing in (shared/specs/signin.md)
    "redirected-to-login": (lambda: (exchange(
        hop(resp(302, [("Location", LOGIN_URL)])),
        hop(resp(200, [("Content-Type", "text/html")], LOGIN_PAGE), url=LOGIN_URL)), None, None),
        "authentication"),
    "session-expired": (lambda: (exchange(hop(resp(401, [], {"detail": "Not signed in."}), SESSION_COOKIE,
                                              cookies_sent=("sessionid",))), None, None), "authentication"),
    "cookie-not-sent": (lambda: (exchange(hop(resp(401, [], {"detail": "Not signed in."}),
                                              cookies_held=(HELD_FOR_ADMIN,))), None, None),
                        "authentication"),
    "csrf-failed": (lambda: (exchange(hop(resp(403, [], {"detail": "CSRF Failed: CSRF token missing."}),
                                          SESSION_COOKIE, cookies_sent=("sessionid", "csrftoken"))),
                             None, None), "authentication"),
    "login-failed": (lambda: (exchange(Hop("POST", "https://app.example.com/login", (),
                                           b"username=me&password=pw",
                                           resp(200, [("Content-Type", "text/html")], LOGIN_PAGE), 0.1, SENT,
                                           role="login"),
                                       token_problem="The login showed the login form again."),
                              None, None), "authentication"),
    "oauth-flow-failed": (lambda: (exchange(Hop("GET", "https://idp.example.com/authorize?c=1", (), b"",
                                                resp(302, [("Location", "http://127.0.0.1:5000/callback?x")],
                                                     {"error": "access_denied", "state_matches": True}),
                                                3.0, SENT, role="authorize"),
                                            token_problem="The sign-in ended with access_denied."),
                                   None, None), "authentication"),
    "signing-key-unknown": (lambda: (exchange(hop(resp(401, CH_BEARER),
                                                  bearer(tok(headers={"kid": "key-2023"})))),
                                     Expectations(jwks_url="https://idp.example.com/jwks"),
                                     _unknown_kid(tok(headers={"kid": "key-2023"}))), "authentication"),
    "tls-client-certificate-required": (lambda: (_tls_failure(TlsReport(
        "TLSV13_ALERT_CERTIFICATE_REQUIRED", "api.example.com", 443, False, True, "certificate required",
        _certificate(), None, SENT)), None, None), "transport-error"),
    "tls-client-certificate-rejected": (lambda: (_tls_failure(TlsReport(
        "TLSV1_ALERT_UNKNOWN_CA", "api.example.com", 443, True, True, "unknown CA", _certificate(), None,
        SENT)),
        None, None), "transport-error"),
    "tls-untrusted-certificate": (lambda: (_tls_failure(TlsReport(
        "CERTIFICATE_VERIFY_FAILED: self-signed certificate", "api.example.com", 443, False, False, None,
        _certificate(self_signed=True), None, SENT)), None, None), "transport-error"),
    "tls-hostname-mismatch": (lambda: (_tls_failure(TlsReport(
        "CERTIFICATE_VERIFY_FAILED: Hostname mismatch, certificate is not valid for 'api.example.com'.",
        "api.example.com", 443, False, False, None, _certificate(names=("www.example.org",)), None, SENT)),
        None, None), "transport-error"),
    "tls-certificate-expired": (lambda: (_tls_failure(TlsReport(
        "CERTIFICATE_VERIFY_FAILED: certificate has expired", "api.example.com", 443, False, False, None,
        _certificate(days=(-400, -35)), None, SENT)), None, None), "transport-error"),
}


def test_every_catalogue_id_has_a_row() -> None:
    assert set(ROWS) == set(FINDING_IDS)


@pytest.mark.parametrize("finding_id", list(ROWS))
def test_each_finding(finding_id: str) -> None:
    build, verdict = ROWS[finding_id]
    ex, expectations, token = build()
    d = explain(ex, expectations, token=token)  # type: ignore[arg-type]
    assert finding_id in d.finding_ids, (d.finding_ids, d.summary)
    assert d.verdict == verdict, (d.verdict, d.summary, d.finding_ids)
    f = d.finding(finding_id)
    assert f is not None and f.title and f.detail and "?" not in f.title
    json.dumps(diagnosis_json(d))  # evidence is serialisable


@pytest.mark.parametrize("finding_id", list(ROWS))
def test_no_secret_reaches_the_diagnosis(finding_id: str) -> None:
    ex, expectations, token = ROWS[finding_id][0]()
    d = explain(ex, expectations, token=token)  # type: ignore[arg-type]
    text = json.dumps(diagnosis_json(d), ensure_ascii=False) + d.summary
    for h in ex.hops:
        for name, value in h.sent_headers:
            if name.lower() == "authorization":
                cred = value.split(" ", 1)[-1]
                assert cred not in text and value not in text


def test_findings_are_ordered_by_severity() -> None:
    ex = exchange(hop(resp(401, [("Date", "Wed, 01 May 2024 12:02:00 GMT")], {"msg": "Token has expired"}),
                      bearer(tok({"exp": T0 - 10, "jku": None}, headers={"jku": "https://x"})),
                      url="http://api.example.com/x"))
    d = explain(ex)
    ranks = [SEVERITY_RANK[f.severity] for f in d.findings]
    assert ranks == sorted(ranks) and len(set(ranks)) == 3


# ------------------------------------------------------------------------------------- verdicts & summaries


VERDICT_CASES = [
    # 401 without a challenge is still authentication, with a warning
    ("401-no-challenge", exchange(hop(resp(401), bearer(tok({"exp": T0 - 100})))), "authentication",
     {"missing-challenge", "token-expired"}),
    # Flask-JWT-Extended answers a bad signature with 422
    ("422-bad-signature", exchange(hop(resp(422, [], {"msg": "Signature verification failed"}), bearer(tok()))),
     "authentication", {"server-message"}),
    # AWS answers expired signatures with 403
    ("403-aws-signature-expired", exchange(hop(resp(403, [], {"message": "Signature expired: 20240501T114500Z is now "
                                                                         "earlier than 20240501T114600Z"}),
                                               [("Authorization",
                                                 "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=ab")])),
     "authentication", {"server-message"}),
    ("403-aws-request-expired", exchange(hop(resp(403, [], {"Message": "Request has expired."}),
                                             [("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=ab")])),
     "authentication", {"server-message"}),
    ("403-aws-missing-token", exchange(hop(resp(403, [], {"message": "Missing Authentication Token"}))),
     "authentication", {"no-credentials", "server-message"}),
    # insufficient_scope only in the body, on a 401
    ("401-scope-in-body", exchange(hop(resp(401, CH_BEARER, {"error": "insufficient_scope",
                                                             "error_description": "needs admin"}),
                                       bearer(tok()))), "authorization", {"insufficient-scope", "server-error-code"}),
    # lowercase bearer challenge is the same scheme
    ("lowercase-bearer", exchange(hop(resp(401, [("WWW-Authenticate", 'bearer error="invalid_token"')]),
                                      bearer(tok({"exp": T0 - 5})))), "authentication",
     {"token-expired", "server-error-code"}),
    ("200-ok", exchange(hop(resp(200), bearer(tok()))), "ok", set()),
    ("304-ok", exchange(hop(resp(304), bearer(tok()))), "ok", set()),
    ("404-hidden", exchange(hop(resp(404, [], {"message": "Not Found"}), bearer(tok()))), "not-credential-related",
     {"server-message"}),
    ("500", exchange(hop(resp(500, [], b"boom"), bearer(tok()))), "not-credential-related", set()),
    ("400-validation", exchange(hop(resp(400, [], {"detail": [{"loc": ["body", "x"], "msg": "field required"}]}),
                                    bearer(tok()))), "not-credential-related", {"server-message"}),
    ("403-github-rate", exchange(hop(resp(403, [("X-RateLimit-Remaining", "0")],
                                          {"message": "API rate limit exceeded"}),
                                     bearer(tok()))), "not-credential-related", {"rate-limited"}),
    ("403-healthy", exchange(hop(resp(403, []), bearer(tok()))), "authorization", {"authenticated-not-permitted"}),
    ("403-expired-token", exchange(hop(resp(403, []), bearer(tok({"exp": T0 - 3600})))), "authentication",
     {"token-expired"}),
    ("403-github-accepted-scopes", exchange(hop(resp(403, [("X-OAuth-Scopes", "repo, gist"),
                                                          ("X-Accepted-OAuth-Scopes", "admin:org, read:org")],
                                                     {"message": "Resource not accessible"}),
                                                [("Authorization", "token ghp_abcdefghijklmnopqrstuvwxyz012345")])),
     "authorization", {"insufficient-scope"}),
    ("profile-scope-missing", exchange(hop(resp(403, []), bearer(tok({"scp": ["read"]})))), "authorization",
     {"insufficient-scope"}),
    ("insufficient-claims", exchange(hop(resp(401, [("WWW-Authenticate", CH_CLAIMS)]), bearer(tok()))),
     "step-up", {"step-up-required"}),
    ("use-dpop-nonce", exchange(hop(resp(401, [("WWW-Authenticate", 'DPoP error="use_dpop_nonce"'),
                                                ("DPoP-Nonce", "n")]), bearer(tok(), "DPoP"))),
     "authentication", {"dpop-required"}),
    ("cnf-jkt-as-bearer", exchange(hop(resp(401, CH_BEARER), bearer(tok({"cnf": {"jkt": "abc"}})))),
     "authentication", {"dpop-required"}),
    ("407-no-header", exchange(hop(resp(407), bearer(tok()))), "proxy-authentication", set()),
    ("flask-wrong-type", exchange(hop(resp(422, [], {"msg": "Only non-refresh tokens are allowed"}),
                                      bearer("opaque-token-abcdefghijkl"))),
     "authentication", {"wrong-token-type"}),
    ("api-key-no-challenge", exchange(hop(resp(401, [], {"message": "Invalid API key"}), [("X-API-Key", "k-123456")])),
     "authentication", {"missing-challenge", "server-message"}),
    ("google-unauthenticated", exchange(hop(resp(401, [("WWW-Authenticate", CH_GOOGLE)],
                                                {"error": {"code": 401, "message": "Request had invalid authentication "
                                                           "credentials.", "status": "UNAUTHENTICATED"}}),
                                            bearer("ya29.a0AfH6SMBopaque"))),
     "authentication", {"server-error-code", "server-message", "opaque-token"}),
]


@pytest.mark.parametrize(("name", "ex", "verdict", "ids"), VERDICT_CASES, ids=[c[0] for c in VERDICT_CASES])
def test_verdict_follows_evidence(name: str, ex: Exchange, verdict: str, ids: set[str]) -> None:
    expectations = Expectations(scopes=("write",)) if name == "profile-scope-missing" else None
    d = explain(ex, expectations)
    assert d.verdict == verdict, (d.verdict, d.summary, d.finding_ids)
    assert ids <= set(d.finding_ids), d.finding_ids
    assert d.verdict in VERDICTS and d.summary.endswith((".", ")"))


@pytest.mark.parametrize("case", ["403-aws-signature-expired", "403-aws-request-expired"])
def test_aws_expired_signature_is_not_called_a_permission_problem(case: str) -> None:
    ex = next(c[1] for c in VERDICT_CASES if c[0] == case)
    d = explain(ex)
    assert "authenticated-not-permitted" not in d.finding_ids
    assert d.summary.startswith("The server did not accept your credentials (403): \u201c")


def test_lowercase_bearer_is_not_a_scheme_mismatch() -> None:
    d = explain(VERDICT_CASES[6][1])
    assert "scheme-mismatch" not in d.finding_ids
    assert d.challenges[0].scheme == "bearer"


def test_expired_summary_as_a_support_engineer_says_it() -> None:
    d = explain(exchange(hop(resp(401, CH_BEARER), bearer(tok({"exp": T0 - 252})))))
    assert d.summary == "Your token expired 4 min 12 s before the request (by the server's clock)."
    assert d.findings[0].id == "token-expired"
    assert d.timeline is not None and d.timeline.by_server_clock


def test_expiry_judged_by_local_clock_without_date() -> None:
    d = explain(exchange(hop(nodate(resp(401, CH_BEARER)), bearer(tok({"exp": T0 - 60})))))
    assert d.summary == "Your token expired 1 min before the request (by your clock)."
    assert "no Date header: expiry judged by your clock" in d.missing_evidence


def test_cached_date_is_ignored() -> None:
    r = resp(401, [("Date", "Wed, 01 May 2024 11:00:00 GMT"), ("Age", "3600"), *CH_BEARER])
    r = Response(r.status, r.reason, tuple(x for x in r.headers if x != ("Date", DATE)), r.body, r.body_bytes)
    d = explain(exchange(hop(r, bearer(tok({"exp": T0 - 1800})))))
    assert "clock-skew" not in d.finding_ids
    assert "(by your clock)" in d.summary
    assert any("cache" in m for m in d.missing_evidence)


def test_server_clock_decides_when_it_disagrees_with_ours() -> None:
    # Our clock says the token is valid for 2 more minutes; the server's clock is 6 minutes ahead.
    r = resp(401, [("Date", "Wed, 01 May 2024 12:06:00 GMT"), *CH_BEARER])
    d = explain(exchange(hop(r, bearer(tok({"exp": T0 + 120})))))
    assert {"token-expired", "clock-skew"} <= set(d.finding_ids)
    assert d.finding("clock-skew").severity == "error"  # type: ignore[union-attr]
    assert d.summary == "Your token expired 4 min before the request (by the server's clock)."


def test_small_skew_is_not_reported() -> None:
    r = resp(200, [("Date", "Wed, 01 May 2024 12:00:30 GMT")])
    r = Response(r.status, r.reason, tuple(x for x in r.headers if x != ("Date", DATE)), r.body, r.body_bytes)
    assert "clock-skew" not in explain(exchange(hop(r, bearer(tok())))).finding_ids


def test_stripped_on_redirect_from_transport_flag() -> None:
    ex = exchange(hop(resp(301, [("Location", "https://b.example.com/")]), bearer(tok())),
                  hop(resp(401, CH_BEARER), url="https://b.example.com/", credentials_stripped=("Authorization",)))
    d = explain(ex)
    f = d.finding("credentials-stripped-on-redirect")
    assert f is not None and f.evidence["to_origin"] == "https://b.example.com"
    assert f.evidence["from_origin"] == "https://api.example.com" and f.evidence["names"] == ["Authorization"]
    assert d.summary.startswith("Your credentials were dropped")


def test_same_origin_redirect_that_loses_nothing_is_fine() -> None:
    ex = exchange(hop(resp(302, [("Location", "/v2/items")]), bearer(tok())),
                  hop(resp(200), bearer(tok()), url="https://api.example.com/v2/items"))
    d = explain(ex)
    assert d.verdict == "ok" and "credentials-stripped-on-redirect" not in d.finding_ids


def test_loopback_http_is_not_flagged() -> None:
    d = explain(exchange(hop(resp(200), bearer(tok()), url="http://127.0.0.1:8080/x")))
    assert "credentials-over-http" not in d.finding_ids


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("Bearer Bearer abc", "doubled"), ('Bearer "abc"', "quotes"), ("Bearer undefined", "placeholder"),
     ("Bearer abc def", "whitespace"), ("Bearer  abc", "Several spaces"), ("eyJa.eyJb.c", "no scheme"),
     ("Bearer", "followed by no credentials"), ("Bearer ab$c", "token68"), ("Basic !!!", "token68"),
     ("Basic bm9jb2xvbg==", "no ':'")],
)
def test_malformed_authorization_variants(value: str, fragment: str) -> None:
    d = explain(exchange(hop(resp(401, [("WWW-Authenticate", "Bearer, Basic")]), [("Authorization", value)])))
    f = d.finding("malformed-authorization")
    assert f is not None and fragment in f.detail
    assert "abc" not in json.dumps(f.evidence) or fragment == "doubled"


@pytest.mark.parametrize(
    "value",
    [
        ('Digest username="demo", realm="demo", nonce="abc", uri="/x", qop=auth, nc=00000001, cnonce="c1", '
        'response="6629fae49393a05397450978507c4ef1", opaque="xyz"'),
        'OAuth oauth_consumer_key="k", oauth_signature_method="HMAC-SHA1", oauth_signature="c2ln"',
    ],
)
def test_auth_param_schemes_ending_in_a_quoted_value_are_not_malformed(value: str) -> None:
    d = explain(exchange(hop(resp(200), [("Authorization", value)])))
    assert "malformed-authorization" not in d.finding_ids


def test_rfc6750_status_contradiction_is_flagged() -> None:
    d = explain(exchange(hop(resp(403, [("WWW-Authenticate", 'Bearer error="invalid_token"')]), bearer(tok()))))
    f = d.finding("server-error-code")
    assert f is not None and f.evidence["expected_status"] == 401 and "RFC 6750" in f.detail
    assert d.verdict == "authentication"


def test_insufficient_scope_lists_missing_scopes() -> None:
    d = explain(exchange(hop(resp(403, [("WWW-Authenticate", 'Bearer error="insufficient_scope", scope="read write"')]),
                             bearer(tok({"scope": "read"})))))
    f = d.finding("insufficient-scope")
    assert f is not None and f.evidence["missing"] == ["write"] and "write" in d.summary


def test_step_up_compares_max_age_with_auth_time() -> None:
    ch = [("WWW-Authenticate", 'Bearer error="insufficient_user_authentication", max_age="300"')]
    d = explain(exchange(hop(resp(401, ch), bearer(tok({"auth_time": T0 - 7200})))))
    f = d.finding("step-up-required")
    assert f is not None and "2 h" in f.detail and f.evidence["login_age_s"] == pytest.approx(7200, abs=1)


def test_server_message_is_scrubbed_of_the_token() -> None:
    raw = tok({"exp": T0 - 5})
    d = explain(exchange(hop(resp(401, CH_BEARER, {"message": f"Token {raw} is expired"}), bearer(raw))))
    text = json.dumps(diagnosis_json(d))
    assert raw not in text and d.server_message is not None and "is expired" in d.server_message


def test_transport_error() -> None:
    failure = TransportFailure("dns", "GET https://nope.invalid/ failed: the host name could not be resolved.")
    d = explain(exchange(hop(None, bearer(tok())), error=failure))
    assert d.verdict == "transport-error" and "could not be resolved" in d.summary
    assert d.findings == () and d.token is not None


def test_transport_error_without_hops() -> None:
    d = explain(exchange(error=TransportFailure("invalid-url", "The URL is bad.")))
    assert d.verdict == "transport-error" and d.credential is None


def test_now_defaults_to_received_at() -> None:
    ex = exchange(hop(nodate(resp(200)), bearer(tok({"exp": T0 + 10}))))
    assert explain(ex).timeline.now == ex.received_at  # type: ignore[union-attr]


def test_api_key_names_from_the_profile() -> None:
    ex = exchange(hop(resp(401, [], {"message": "no key"}), [("X-Tenant-Key", "secret-key-1234567")]))
    assert "no-credentials" in explain(ex).finding_ids
    d = explain(ex, Expectations(api_key_names=("X-Tenant-Key",)))
    assert "no-credentials" not in d.finding_ids and d.credential is not None and d.credential.where == "header"
    assert d.token is None  # a plain API key is not a token


def test_token_endpoint_invalid_client() -> None:
    token_hop = Hop("POST", "https://login.example.com/oauth2/token",
                    (("Authorization", "Basic Y2xpZW50OnNlY3JldA=="),),
                    b"grant_type=client_credentials", resp(401, [], {"error": "invalid_client",
                                                                     "error_description": "Bad client secret"}),
                    0.1, SENT, role="token")
    d = explain(exchange(token_hop, token_problem="The token endpoint refused the client."))
    assert d.verdict == "authentication"
    assert "invalid_client" in d.summary and "login.example.com" in d.summary
    assert {"server-error-code", "server-message", "missing-challenge"} <= set(d.finding_ids)
    assert "Y2xpZW50OnNlY3JldA==" not in json.dumps(diagnosis_json(d))


@pytest.mark.parametrize(("status", "body", "verdict"), [
    (400, {"error": "invalid_scope"}, "authorization"),
    (400, {"error": "invalid_grant", "error_description": "Refresh token expired"}, "authentication"),
    (503, b"down", "not-credential-related"),
    (200, {"token_type": "bearer"}, "authentication"),
])
def test_token_endpoint_verdicts(status: int, body: object, verdict: str) -> None:
    token_hop = Hop("POST", "http://login.example.com/token", (), b"grant_type=refresh_token&refresh_token=r-secret",
                    resp(status, [], body), 0.1, SENT, role="token")  # type: ignore[arg-type]
    d = explain(exchange(token_hop, token_problem="The token response has no access_token."))
    assert d.verdict == verdict
    assert "credentials-over-http" in d.finding_ids  # a refresh token went over plain HTTP
    assert "r-secret" not in json.dumps(diagnosis_json(d))


def test_unparseable_challenge_is_missing_evidence_not_a_crash() -> None:
    d = explain(exchange(hop(resp(401, [("WWW-Authenticate", 'Bearer realm="x')]), bearer(tok()))))
    assert d.verdict == "authentication" and any("could not be parsed" in m for m in d.missing_evidence)
    assert "missing-challenge" not in d.finding_ids


def test_token_json_never_holds_the_raw_token() -> None:
    raw = tok()
    d = explain(exchange(hop(resp(200), bearer(raw))))
    out = token_json(d.token, d.timeline)
    assert out is not None and raw not in json.dumps(out) and out["format"] == "jws"


# --------------------------------------------------------------------------------------------- inspect_alone

NOW = SENT


@pytest.mark.parametrize(
    ("raw", "expectations", "ids"),
    [
        (tok({"exp": T0 - 252}), None, {"token-expired"}),
        (tok({"nbf": T0 + 600}), None, {"token-not-yet-valid"}),
        (tok({"iat": T0 + 600}), None, {"token-not-yet-valid"}),
        (tok(alg="none"), None, {"unsigned-token"}),
        (".".join([_b64({"alg": "dir", "enc": "A128GCM"}), "", "b", "c", "d"]), None, {"encrypted-token"}),
        ("opaque-value-1234", None, {"opaque-token"}),
        (tok({"token_use": "id"}), None, {"id-token-as-access-token"}),
        (tok({"type": "refresh"}), None, {"wrong-token-type"}),
        (tok({"aud": ["a", "b"]}), Expectations(audience="c"), {"audience-mismatch"}),
        (tok({"aud": ["a", "b"]}), Expectations(audience="b"), set()),
        (tok({"iss": "https://login.microsoftonline.com/t/v2.0"}),
         Expectations(issuer="https://sts.windows.net/t/"), {"issuer-mismatch"}),
        ("Bearer " + tok(), None, set()),
        (tok({"exp": T0 + 30}), None, set()),  # near expiry is about requests in flight, not a pasted token
    ],
)
def test_inspect_alone(raw: str, expectations: Expectations | None, ids: set[str]) -> None:
    info, timeline, findings = inspect_alone(raw, expectations, NOW)
    assert {f.id for f in findings} == ids
    assert (timeline is not None) == (info.format == "jws")


def test_inspect_alone_expired_wording_is_relative_to_now() -> None:
    _info, _tl, findings = inspect_alone(tok({"exp": T0 - 252}), None, NOW)
    assert "expired 4 min 12 s ago (by your clock)" in findings[0].detail


def test_inspect_alone_signature_invalid_when_a_check_failed() -> None:
    info = _bad_signature_token()
    _i, _t, findings = inspect_alone(info.raw, Expectations(jwks_url="https://idp/jwks"), NOW, token=info)
    assert [f.id for f in findings] == ["signature-invalid"]
    assert findings[0].title == "The signature does not verify"
    assert "does not match the key" in findings[0].detail


@pytest.mark.parametrize(("raw", "bare"), [("Bearer abc", "abc"), ("Authorization: Bearer abc", "abc"),
                                           (" abc ", "abc"), ("Basic abc", "Basic abc")])
def test_strip_scheme(raw: str, bare: str) -> None:
    assert strip_scheme(raw) == bare


def test_diagnosis_helpers() -> None:
    d = Diagnosis("ok", "fine")
    assert d.finding("x") is None and d.finding_ids == ()


def test_insufficient_scope_without_a_named_scope_does_not_ask_for_one_already_granted() -> None:
    """The body says insufficient_scope, the profile's scope is granted: say the server wants another one."""
    import jwt

    from inspector.core.diagnosis import Expectations, explain
    from inspector.core.exchange import Exchange, Hop, Response
    from inspector.core.request import RequestSpec

    token = jwt.encode({"sub": "svc", "scope": "invoices:read reader", "exp": 4102444800}, "k" * 32,
                       algorithm="HS256")
    response = Response(403, "Forbidden", (("Content-Type", "application/json"),),
                        b'{"error": "insufficient_scope"}', 31)
    hop = Hop("GET", "http://127.0.0.1:1/api/reports", (("Authorization", f"Bearer {token}"),),
              response=response)
    d = explain(Exchange(RequestSpec(url=hop.url), (hop,)), Expectations(scopes=("invoices:read",)))
    finding = d.finding("insufficient-scope")
    assert finding is not None and d.verdict == "authorization"
    assert "is granted, so the server wants one it did not name" in finding.detail
    assert "invoices:read" not in finding.next_step


def test_a_csrf_refusal_is_not_a_session_expiry() -> None:
    """signin.md: on csrf-failed "the session is fine, the request lacks its anti-forgery proof"; a 403 that
    names CSRF with the session cookie sent must lead with csrf-failed, not claim the session expired."""
    ex = exchange(hop(resp(403, [], {"detail": "CSRF Failed: CSRF token missing."}), SESSION_COOKIE,
                      cookies_sent=("sessionid", "csrftoken")))
    d = explain(ex, None)
    assert "csrf-failed" in d.finding_ids
    assert "session-expired" not in d.finding_ids, d.finding_ids
    assert d.findings[0].id == "csrf-failed"
