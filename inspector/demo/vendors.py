"""Refusals shaped like other vendors' APIs, for the explainer to read what the status line does not say.

Every reply copies a real service's shape: Apollo GraphQL (a refusal inside a 200, partial data), Slack's Web
API (`{"ok": false, "error": "invalid_auth"}` in a 200), a Node API behind express-jwt / jsonwebtoken (a 403
naming the wrong audience in its body only), HashiCorp Vault (a token in X-Vault-Token), Amazon API Gateway
(403 "Missing Authentication Token" for a path it has no route for) and a WS-Security SOAP fault in a 200.
server.py wires ROUTES in; tokens are the demo's own RS256 tokens, checked with the running server's key.

| Method | Path | What it answers |
|---|---|---|
| POST GET | /vendors/graphql | GraphQL (invoices, reports, viewer): UNAUTHENTICATED / FORBIDDEN in a 200. |
| GET POST | /vendors/rpc/METHOD | Slack-style RPC (invoices.list, invoices.create, reports.list): ok false. |
| GET | /vendors/billing/invoices | express-jwt: 401 for token problems, 403 "jwt audience invalid" (body). |
| GET | /vendors/vault/v1/secret/data/PATH | Vault KV: X-Vault-Token; demo/app readable, the rest 403. |
| ANY | /vendors/gateway/prod/orders | API Gateway: x-api-key; other paths 403 Missing Authentication Token. |
| POST | /vendors/soap | SOAP 1.1 + WS-Security UsernameToken: a FailedAuthentication fault in a 200. |
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs

import jwt

from inspector.demo.scenarios import DEMO_API_KEY, DEMO_AUDIENCE, DEMO_PASSWORD, DEMO_USER, SUBJECT, DemoKey

# Demo secrets of the vendor endpoints (treated as secrets like the others: masked wherever they are shown)
DEMO_VAULT_TOKEN = "hvs.CAESIdemo0vault0token0Qk7Lm2Xz"
DEMO_SLACK_TEAM = "T0DEMO01"
VAULT_READABLE = "demo/app"  # the one secret path the demo Vault token may read
LEEWAY_S = 30

_INVOICES = [
    {"id": "inv_1001", "customer": "Ada Lovelace", "amount": "129.90", "currency": "EUR"},
    {"id": "inv_1002", "customer": "Alan Turing", "amount": "42.00", "currency": "GBP"},
]
_REPORTS = [{"id": "rep_q1", "title": "Q1 revenue"}]


class Request(Protocol):
    """What these endpoints read of a request (server.DemoRequest)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def groups(self) -> tuple[str, ...]: ...
    def header(self, name: str) -> str | None: ...
    def arg(self, name: str) -> str | None: ...


class State(Protocol):
    """What these endpoints need of a running demo server (server._DemoState)."""

    issuer: str
    key: DemoKey

    def now(self) -> float: ...


class VendorReply(NamedTuple):
    status: int
    body: bytes
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request, State], VendorReply]


def _json(status: int, obj: object, *headers: tuple[str, str]) -> VendorReply:
    body = (json.dumps(obj, indent=2) + "\n").encode("utf-8")
    return VendorReply(status, body, "application/json", headers)


def _bearer(req: Request) -> str | None:
    scheme, _, token = (req.header("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _scopes(claims: Mapping[str, Any]) -> set[str]:
    scope = claims.get("scope")
    return set(scope.split()) if isinstance(scope, str) else set()


def verify(token: str, st: State) -> dict[str, Any] | str:
    """The claims of a demo access token, or why it is refused, in jsonwebtoken's (Node) words."""
    try:
        header = jwt.get_unverified_header(token)
        if str(header.get("alg", "")).lower() == "none" or token.endswith("."):
            return "jwt signature is required"
        claims: dict[str, Any] = jwt.decode(
            token,
            st.key.public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                     "verify_iss": False},
        )
    except jwt.InvalidSignatureError:
        return "invalid signature"
    except jwt.InvalidAlgorithmError:
        return "invalid algorithm"
    except jwt.PyJWTError:
        return "jwt malformed"
    now = st.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or exp <= now:
        return "jwt expired"
    if isinstance(nbf, (int, float)) and nbf > now + LEEWAY_S:
        return "jwt not active"
    if claims.get("iss") != st.issuer:
        return f"jwt issuer invalid. expected: {st.issuer}"
    aud = claims.get("aud")
    if DEMO_AUDIENCE not in (aud if isinstance(aud, list) else [aud]):
        return f"jwt audience invalid. expected: {DEMO_AUDIENCE}"
    return claims


# ---------------------------------------------------------------------------------------------------------
# Apollo GraphQL: every refusal is a 200 with an errors list (the HTTP layer only knows the query ran).
_GRAPHQL_FIELDS: dict[str, tuple[str | None, object]] = {
    "viewer": (None, {"id": SUBJECT, "name": "Demo User"}),
    "invoices": ("invoices:read", _INVOICES),
    "reports": ("reports:read", _REPORTS),
}


def _graphql_query(req: Request) -> str | None:
    if req.method == "GET":
        return req.arg("query")
    try:
        doc = json.loads(req.body or b"{}")
    except ValueError:
        return None
    query = doc.get("query") if isinstance(doc, dict) else None
    return query if isinstance(query, str) else None


def graphql(req: Request, st: State) -> VendorReply:
    query = _graphql_query(req)
    if not query or not query.strip():
        return _json(400, {"errors": [{"message": "GraphQL operations must contain a non-empty `query`.",
                                       "extensions": {"code": "BAD_REQUEST"}}]})
    fields = [name for name in _GRAPHQL_FIELDS if re.search(rf"\b{name}\b", query)]
    if not fields:
        return _json(400, {"errors": [{"message": 'Cannot query field on type "Query": ask for viewer, '
                                                  "invoices or reports.",
                                       "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]})
    token = _bearer(req)
    if token is None:
        return _json(200, {"errors": [{"message": "You must be signed in to query this API.",
                                       "extensions": {"code": "UNAUTHENTICATED"}}], "data": None})
    claims = verify(token, st)
    if isinstance(claims, str):
        return _json(200, {"errors": [{"message": f"Context creation failed: {claims}",
                                       "extensions": {"code": "UNAUTHENTICATED"}}], "data": None})
    granted = _scopes(claims)
    data: dict[str, object] = {}
    errors: list[dict[str, object]] = []
    for name in fields:
        needed, value = _GRAPHQL_FIELDS[name]
        if needed is not None and needed not in granted:
            data[name] = None
            errors.append({"message": f"Not allowed to read {name}: the token lacks the {needed} scope.",
                           "path": [name], "extensions": {"code": "FORBIDDEN"}})
        else:
            data[name] = value
    return _json(200, {"errors": errors, "data": data} if errors else {"data": data})


# ---------------------------------------------------------------------------------------------------------
# Slack Web API: 200 and {"ok": false, "error": CODE}; the token in Authorization or a `token` argument.
_RPC_METHODS: dict[str, tuple[str, Callable[[], dict[str, object]]]] = {
    "invoices.list": ("invoices:read", lambda: {"invoices": _INVOICES}),
    "invoices.create": ("invoices:write", lambda: {"invoice": {"id": "inv_1003", "amount": "10.00"}}),
    "reports.list": ("reports:read", lambda: {"reports": _REPORTS}),
}


def _rpc_token(req: Request) -> str | None:
    token = _bearer(req) or req.arg("token")
    if token is None and req.body and "form" in (req.header("Content-Type") or ""):
        values = parse_qs(req.body.decode("utf-8", "replace")).get("token")
        token = values[0] if values else None
    return token


def rpc(req: Request, st: State) -> VendorReply:
    method = req.groups[0] if req.groups else ""
    if method not in _RPC_METHODS:
        return _json(200, {"ok": False, "error": "unknown_method", "req_method": method[:60]})
    token = _rpc_token(req)
    if not token:
        return _json(200, {"ok": False, "error": "not_authed"})
    claims = verify(token, st)
    if claims == "jwt expired":
        return _json(200, {"ok": False, "error": "token_expired"})
    if isinstance(claims, str):
        return _json(200, {"ok": False, "error": "invalid_auth"})
    needed, result = _RPC_METHODS[method]
    granted = _scopes(claims)
    if needed not in granted:
        return _json(200, {"ok": False, "error": "missing_scope", "needed": needed,
                           "provided": ",".join(sorted(granted))},
                     ("X-OAuth-Scopes", ",".join(sorted(granted))), ("X-Accepted-OAuth-Scopes", needed))
    return _json(200, {"ok": True, "team_id": DEMO_SLACK_TEAM, **result()})


# ---------------------------------------------------------------------------------------------------------
# A Node API behind express-jwt whose error handler answers 403 for a token of another audience, and names
# the audience in its body only (no WWW-Authenticate).
def billing_invoices(req: Request, st: State) -> VendorReply:
    token = _bearer(req)
    if token is None:
        return _json(401, {"code": "credentials_required", "message": "No authorization token was found"})
    claims = verify(token, st)
    if isinstance(claims, str):
        status = 403 if claims.startswith("jwt audience invalid") else 401
        return _json(status, {"message": claims})
    return _json(200, {"invoices": _INVOICES})


# ---------------------------------------------------------------------------------------------------------
# HashiCorp Vault: the token travels in X-Vault-Token; every refusal is a 403 with an errors list.
def vault_secret(req: Request, st: State) -> VendorReply:
    path = req.groups[0] if req.groups else ""
    token = (req.header("X-Vault-Token") or "").strip()
    if not token:
        return _json(403, {"errors": ["permission denied"]})
    if token != DEMO_VAULT_TOKEN:
        return _json(403, {"errors": ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]})
    if path != VAULT_READABLE:
        return _json(403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]})
    created = "2024-05-01T12:00:00.000000Z"
    return _json(200, {"request_id": "5b0f8a3c-demo", "lease_id": "", "renewable": False, "lease_duration": 0,
                       "data": {"data": {"db_user": "app", "db_password": "demo-db-password-Zt4q"},
                                "metadata": {"created_time": created, "version": 3}}})


# ---------------------------------------------------------------------------------------------------------
# Amazon API Gateway: an API-key route; any method or path it has no route for is "Missing Authentication
# Token", whatever credentials came (it answers before it looks at them).
def _aws_ids() -> tuple[tuple[str, str], ...]:
    return (("x-amzn-RequestId", "6d3f2a1b-demo-4c5e-9f0a-1b2c3d4e5f60"), ("x-amz-apigw-id", "DemoApiGwId0="))


def gateway(req: Request, st: State) -> VendorReply:
    route = req.groups[0] if req.groups else ""
    if route != "prod/orders" or req.method not in ("GET", "HEAD"):
        return _json(403, {"message": "Missing Authentication Token"},
                     ("x-amzn-ErrorType", "MissingAuthenticationTokenException"), *_aws_ids())
    if (req.header("x-api-key") or "").strip() != DEMO_API_KEY:
        return _json(403, {"message": "Forbidden"}, ("x-amzn-ErrorType", "ForbiddenException"), *_aws_ids())
    return _json(200, {"orders": [{"id": "ord_1", "total": "19.99"}]}, *_aws_ids())


# ---------------------------------------------------------------------------------------------------------
# A SOAP 1.1 service with a WS-Security UsernameToken that answers its faults with 200 (many do).
_SOAP_USER_RE = re.compile(rb"<(?:\w+:)?Username>([^<]{1,100})<")
_SOAP_PASSWORD_RE = re.compile(rb"<(?:\w+:)?Password(?:\s[^>]{0,200})?>([^<]{1,200})<")
_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def soap(req: Request, st: State) -> VendorReply:
    user, password = _SOAP_USER_RE.search(req.body), _SOAP_PASSWORD_RE.search(req.body)
    ok = user is not None and password is not None and (user.group(1), password.group(1)) == (
        DEMO_USER.encode(), DEMO_PASSWORD.encode())
    if ok:
        body = ('<soap:Body><GetInvoicesResponse><Invoice id="inv_1001" amount="129.90"/>'
                "</GetInvoicesResponse></soap:Body>")
    else:
        body = (f'<soap:Body><soap:Fault><faultcode xmlns:wsse="{_WSSE}">wsse:FailedAuthentication'
                "</faultcode><faultstring>The security token could not be authenticated or authorized"
                "</faultstring></soap:Fault></soap:Body>")
    envelope = ('<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope '
                f'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">{body}</soap:Envelope>\n')
    return VendorReply(200, envelope.encode("utf-8"), "text/xml; charset=utf-8")


# (pattern, methods or None for any, handler): server.py registers these with its router.
ROUTES: tuple[tuple[str, tuple[str, ...] | None, Handler], ...] = (
    (r"/vendors/graphql", ("GET", "POST"), graphql),
    (r"/vendors/rpc/([A-Za-z0-9_.-]{1,80})", ("GET", "POST"), rpc),
    (r"/vendors/billing/invoices", ("GET",), billing_invoices),
    (r"/vendors/vault/v1/secret/data/([A-Za-z0-9_./-]{1,200})", ("GET",), vault_secret),
    (r"/vendors/gateway/(.{0,200})", None, gateway),
    (r"/vendors/soap", ("POST",), soap),
)
# For the index (GET /): methods, path, summary.
ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("POST GET", "/vendors/graphql", "Apollo GraphQL: UNAUTHENTICATED / FORBIDDEN refusals inside a 200."),
    ("GET POST", "/vendors/rpc/METHOD", "Slack-style RPC: 200 {\"ok\": false, \"error\": ...}."),
    ("GET", "/vendors/billing/invoices", "express-jwt: a 403 naming the wrong audience in its body only."),
    ("GET", "/vendors/vault/v1/secret/data/PATH", "Vault: a token in X-Vault-Token; demo/app is readable."),
    ("ANY", "/vendors/gateway/prod/orders", "API Gateway: x-api-key; else Missing Authentication Token."),
    ("POST", "/vendors/soap", "SOAP 1.1 + WS-Security: a FailedAuthentication fault inside a 200."),
)
