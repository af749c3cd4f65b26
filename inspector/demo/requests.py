"""The demo requests the window opens with (and the CLI tests use): a 401 and a 403 first, then the rest."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.demo.scenarios import (
    CONFIDENTIAL_CLIENT_ID,
    DEMO_API_KEY,
    DEMO_AUDIENCE,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USER,
)
from inspector.demo.server import mint_token
from inspector.demo.vendors import DEMO_VAULT_TOKEN


def _get(url: str, *headers: Header) -> RequestSpec:
    return RequestSpec(method="GET", url=url, headers=tuple(headers))


def _bearer(base_url: str, scenario: str) -> Header:
    return Header("Authorization", f"Bearer {mint_token(base_url, scenario)}")


def _sigv4_headers(age_s: int) -> tuple[Header, Header]:
    """An AWS Signature Version 4 Authorization header (AWS's documented example key id), signed age_s ago."""
    signed_at = datetime.now(UTC) - timedelta(seconds=age_s)
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    signature = hashlib.sha256(stamp.encode("ascii")).hexdigest()  # a stand-in: the scenario never checks it
    credential = f"AKIAIOSFODNN7EXAMPLE/{stamp[:8]}/us-east-1/execute-api/aws4_request"
    return (
        Header(
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={signature}",
        ),
        Header("X-Amz-Date", stamp),
    )


def _json_body(obj: object) -> Body:
    return Body(kind="json", text=json.dumps(obj, indent=2))


def _soap_envelope(user: str, password: str) -> str:
    """A SOAP 1.1 request with a WS-Security UsernameToken (the demo's /vendors/soap)."""
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Header><wsse:Security xmlns:wsse="{wsse}"><wsse:UsernameToken><wsse:Username>{user}'
        f"</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security>"
        "</soap:Header><soap:Body><GetInvoices/></soap:Body></soap:Envelope>"
    )


def demo_requests(base_url: str) -> list[tuple[str, RequestSpec]]:
    """(title, request) pairs against the demo server at base_url; tokens are minted now."""
    b = base_url.rstrip("/")

    def token(scenario: str) -> Header:
        return _bearer(b, scenario)

    basic = base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode("ascii")
    # The server asks for charset="UTF-8"; old clients encode non-ASCII passwords as Latin-1.
    latin1_basic = base64.b64encode(f"{DEMO_USER}:p\u00e4sswort".encode("latin-1")).decode("ascii")
    new_invoice = _json_body({"customer": "Grace Hopper", "amount": "250.00", "currency": "USD"})
    return [
        # A newcomer should meet a 401 and a 403 first.
        ("401 Expired token", _get(f"{b}/api/invoices", token("expired"))),
        (
            "403 Missing scope (invoices:write)",
            RequestSpec("POST", f"{b}/api/invoices", (token("missing-scope"),), new_invoice),
        ),
        ("200 Valid token", _get(f"{b}/api/invoices", token("valid"))),
        ("401 No token at all", _get(f"{b}/api/invoices")),
        ("401 Token dropped by a cross-origin redirect", _get(f"{b}/api/moved", token("valid"))),
        ("401 Token not valid yet (nbf)", _get(f"{b}/api/invoices", token("not-yet-valid"))),
        ("401 Token for another audience", _get(f"{b}/api/invoices", token("wrong-audience"))),
        ("401 ID token sent as an access token", _get(f"{b}/api/invoices", token("id-token"))),
        ("401 Opaque token", _get(f"{b}/api/invoices", token("opaque"))),
        ("401 Encrypted token (JWE)", _get(f"{b}/api/invoices", token("jwe"))),
        ("401 Unsigned token (alg none)", _get(f"{b}/api/invoices", token("alg-none"))),
        ("401 Bad signature", _get(f"{b}/api/invoices", token("bad-signature"))),
        ("401 Refresh token sent as an access token", _get(f"{b}/api/invoices", token("refresh-token"))),
        (
            "401 Expired by the server's clock (7 min skew)",
            _get(f"{b}/api/skewed/invoices", token("clock-skew")),
        ),
        ("401 Step-up: multi-factor login required", _get(f"{b}/api/transfers", token("step-up"))),
        ("401 DPoP required", _get(f"{b}/api/dpop/invoices", token("dpop-bound"))),
        ("403 Authenticated, not permitted", _get(f"{b}/api/admin/users", token("not-permitted"))),
        ("403 insufficient_scope in the body only", _get(f"{b}/api/reports", token("missing-scope"))),
        ("401 No WWW-Authenticate (AWS API Gateway)", _get(f"{b}/scenario/no-challenge", token("valid"))),
        ("401 Lowercase bearer challenge", _get(f"{b}/scenario/lowercase-bearer", token("valid"))),
        ("401 Several challenges", _get(f"{b}/scenario/multiple-challenges")),
        ("401 problem+json body", _get(f"{b}/scenario/problem-json", token("valid"))),
        (
            "422 Flask-JWT-Extended: bad signature",
            _get(f"{b}/scenario/flask-jwt-422", token("bad-signature")),
        ),
        ("403 AWS: signature expired", _get(f"{b}/scenario/aws-signature-expired", *_sigv4_headers(600))),
        ("403 AWS: missing authentication token", _get(f"{b}/scenario/aws-missing-token")),
        ("403 Rate limited (GitHub)", _get(f"{b}/scenario/rate-limited", token("valid"))),
        ("429 Too many requests", _get(f"{b}/scenario/too-many-requests", token("valid"))),
        ("407 Proxy authentication required", _get(f"{b}/scenario/proxy-auth")),
        ("403 Blocked by a web application firewall", _get(f"{b}/scenario/waf-blocked", token("valid"))),
        ("200 Server clock 7 minutes ahead", _get(f"{b}/scenario/clock-skew")),
        ("200 Token about to expire (20 s left)", _get(f"{b}/api/invoices", token("near-expiry"))),
        ("200 Token header names its own key URL (jku)", _get(f"{b}/api/invoices", token("jku-header"))),
        (
            "401 Doubled scheme (Bearer Bearer ...)",
            _get(f"{b}/api/invoices", Header("Authorization", f"Bearer {token('valid').value}")),
        ),
        (
            "401 Basic credentials sent to a Bearer API",
            _get(f"{b}/api/invoices", Header("Authorization", f"Basic {basic}")),
        ),
        ("401 Basic: no credentials", _get(f"{b}/auth/basic")),
        ("200 Basic: right password", _get(f"{b}/auth/basic", Header("Authorization", f"Basic {basic}"))),
        (
            "401 Basic: password encoded as Latin-1, not UTF-8",
            _get(f"{b}/auth/basic", Header("Authorization", f"Basic {latin1_basic}")),
        ),
        ("401 Digest challenge (SHA-256 and MD5)", _get(f"{b}/auth/digest")),
        ("401 API key missing", _get(f"{b}/auth/api-key")),
        ("200 API key in a header", _get(f"{b}/auth/api-key", Header("X-API-Key", DEMO_API_KEY))),
        ("200 API key in the query", _get(f"{b}/auth/api-key-query?api_key={DEMO_API_KEY}")),
        (
            "200 OAuth 2 token request (client credentials)",
            RequestSpec(
                "POST",
                f"{b}/oauth/token",
                (),
                Body(
                    kind="form",
                    fields=(
                        FormField("grant_type", "client_credentials"),
                        FormField("client_id", CONFIDENTIAL_CLIENT_ID),
                        FormField("client_secret", DEMO_CLIENT_SECRET),
                        FormField("scope", "invoices:read"),
                        FormField("audience", DEMO_AUDIENCE),
                    ),
                ),
            ),
        ),
        (
            "401 OAuth 2 token request with a wrong secret",
            RequestSpec(
                "POST",
                f"{b}/oauth/token",
                (),
                Body(
                    kind="form",
                    fields=(
                        FormField("grant_type", "client_credentials"),
                        FormField("client_id", CONFIDENTIAL_CLIENT_ID),
                        FormField("client_secret", "not-the-secret"),
                    ),
                ),
            ),
        ),
        # What real APIs say beyond the status line (vendors.py)
        (
            "200 GraphQL: not signed in (UNAUTHENTICATED inside a 200)",
            RequestSpec(
                "POST", f"{b}/vendors/graphql", (), _json_body({"query": "{ invoices { id amount } }"})
            ),
        ),
        (
            "200 GraphQL: partial data, one field refused (FORBIDDEN)",
            RequestSpec(
                "POST",
                f"{b}/vendors/graphql",
                (token("missing-scope"),),
                _json_body({"query": "{ invoices { id } reports { title } }"}),
            ),
        ),
        (
            "200 RPC: ok false, invalid_auth (Slack style)",
            _get(
                f"{b}/vendors/rpc/invoices.list", Header("Authorization", "Bearer xoxb-0000-demo-not-a-token")
            ),
        ),
        (
            "200 RPC: ok false, missing_scope",
            _get(f"{b}/vendors/rpc/invoices.create", token("missing-scope")),
        ),
        (
            "403 Wrong audience named only in the body",
            _get(f"{b}/vendors/billing/invoices", token("wrong-audience")),
        ),
        (
            "403 Vault: the X-Vault-Token is not accepted",
            _get(
                f"{b}/vendors/vault/v1/secret/data/demo/app",
                Header("X-Vault-Token", "hvs.not-the-demo-token"),
            ),
        ),
        (
            "403 Vault: token accepted, path not permitted",
            _get(f"{b}/vendors/vault/v1/secret/data/prod/db", Header("X-Vault-Token", DEMO_VAULT_TOKEN)),
        ),
        (
            "403 API Gateway: Missing Authentication Token for a path it does not have",
            _get(f"{b}/vendors/gateway/prod/order", Header("x-api-key", DEMO_API_KEY)),
        ),
        (
            "200 SOAP fault inside a 200 (WS-Security FailedAuthentication)",
            RequestSpec(
                "POST",
                f"{b}/vendors/soap",
                (Header("Content-Type", "text/xml; charset=utf-8"),),
                Body(kind="text", text=_soap_envelope(DEMO_USER, "not-the-password")),
            ),
        ),
        # Everyday responses, for the viewer
        ("404 Unknown endpoint", _get(f"{b}/api/invoices/inv_9999", token("valid"))),
        ("200 JSON", _get(f"{b}/json")),
        ("200 POST JSON (echo)", RequestSpec("POST", f"{b}/echo?source=demo", (), new_invoice)),
        (
            "200 POST form (echo)",
            RequestSpec(
                "POST",
                f"{b}/echo",
                (),
                Body(kind="form", fields=(FormField("name", "Ada Lovelace"), FormField("plan", "pro"))),
            ),
        ),
        ("200 Large JSON (10 MiB)", _get(f"{b}/large?mb=10")),
        ("200 Image (PNG)", _get(f"{b}/image.png")),
        ("200 Slow endpoint (5 s)", _get(f"{b}/slow?s=5")),
        ("200 Redirect chain (5 hops)", _get(f"{b}/redirect/5")),
        ("200 gzip-encoded JSON", _get(f"{b}/gzip")),
        ("200 JSON served as text/plain", _get(f"{b}/lying-json")),
        ("200 XML", _get(f"{b}/xml")),
        ("200 HTML", _get(f"{b}/html")),
        ("200 Binary", _get(f"{b}/binary")),
    ]
