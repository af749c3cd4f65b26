"""What real APIs say beyond the status line (issue 15): refusals recorded in the shapes vendors document,
each judged by explain(), and property tests that a 2xx without an error shape is never judged a refusal.

Each row names its vendor in its id and its source (the vendor's public documentation, or the public thread
that quotes the vendor's response) in a comment. Bodies and headers keep the vendor's shape; identifiers and
secrets are made up.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core.diagnosis import Diagnosis, explain
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.jsonout import diagnosis_json
from inspector.core.request import RequestSpec

SENT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(SENT.timestamp())
DATE = "Wed, 01 May 2024 12:00:00 GMT"
URL = "https://api.example.com/v1/items"
SECRET = "vendor-table-secret-vendor-table-secret"


def _jwt(**claims: object) -> str:
    base: dict[str, object] = {
        "sub": "alice",
        "iat": T0 - 600,
        "exp": T0 + 3000,
        "scope": "read",
        "aud": "https://api.example.com",
        "iss": "https://idp.example.com/",
    }
    base.update(claims)
    return jwt.encode(base, SECRET, algorithm="HS256")


JWT = _jwt()
EXPIRED = _jwt(exp=T0 - 300)
AWS_SIGV4 = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240501/us-east-1/sts/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027",
)


def bearer(token: str = JWT, scheme: str = "Bearer") -> tuple[str, str]:
    return ("Authorization", f"{scheme} {token}")


def basic(user: str, password: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: what was sent, and the response (status, headers, body) as the vendor sends "
    "it."""

    status: int
    body: object = b""  # dict/list: JSON; str: text; bytes: as is
    headers: tuple[tuple[str, str], ...] = ()
    sent: tuple[tuple[str, str], ...] = ()
    url: str = URL
    method: str = "GET"
    sent_body: bytes = b""
    content_type: str | None = None
    reason: str = ""

    def exchange(self) -> Exchange:
        if isinstance(self.body, (dict, list)):
            raw, ctype = json.dumps(self.body).encode(), self.content_type or "application/json"
        elif isinstance(self.body, str):
            raw, ctype = self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        else:
            raw, ctype = bytes(self.body), self.content_type  # type: ignore[arg-type]
        lines = [("Date", DATE), *self.headers] + ([("Content-Type", ctype)] if ctype else [])
        resp = Response(self.status, self.reason, tuple(lines), raw, len(raw))
        hop = Hop(
            self.method,
            self.url,
            self.sent,
            sent_body=self.sent_body,
            response=resp,
            elapsed_s=0.2,
            sent_at=SENT,
        )
        return Exchange(
            RequestSpec(method=self.method, url=self.url),
            hops=(hop,),
            sent_at=SENT,
            received_at=SENT + timedelta(seconds=0.2),
        )


def graphql(errors: list[dict[str, object]], data: object = None) -> dict[str, object]:
    return {"errors": errors, "data": data}


SOAP_FAILED_AUTH = (
    '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<soap:Fault><faultcode xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
    'secext-1.0.xsd">wsse:FailedAuthentication</faultcode><faultstring>The security token could not be '
    "authenticated or authorized</faultstring></soap:Fault></soap:Body></soap:Envelope>"
)
SOAP_SESSION_HEADER = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:urn="urn:partner.soap.'
    b'sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>00Dxx0000001gPL!AR8AQJXg</urn:sessionId>'
    b"</urn:SessionHeader></soapenv:Header><soapenv:Body><urn:getUserInfo/></soapenv:Body></soapenv:Envelope>"
)
SOAP_USERNAME_TOKEN = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><wsse:Security '
    b'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    b"<wsse:UsernameToken><wsse:Username>svc</wsse:Username><wsse:Password>not-it</wsse:Password>"
    b"</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><Ping/></soap:Body></soap:Envelope>"
)

# (id, recorded exchange, verdict, finding ids that must be there, finding ids that must not)
Case = tuple[str, Recorded, str, set[str], set[str]]
REFUSED_2XX = {"refusal-in-success-body"}
NOT_PERMITTED = {"authenticated-not-permitted"}
CASES: list[Case] = [
    # ---- refusals inside a 2xx
    # Slack Web API, https://api.slack.com/web#responses and the errors of https://api.slack.com/methods/auth.test
    (
        "slack-invalid-auth",
        Recorded(
            200,
            {"ok": False, "error": "invalid_auth"},
            sent=(bearer("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"),),
        ),
        "authentication",
        REFUSED_2XX | {"server-error-code"},
        {"no-credentials"} | NOT_PERMITTED,
    ),
    (
        "slack-not-authed",
        Recorded(200, {"ok": False, "error": "not_authed"}),
        "authentication",
        REFUSED_2XX | {"no-credentials"},
        set(),
    ),
    (
        "slack-token-expired",
        Recorded(
            200, {"ok": False, "error": "token_expired"}, sent=(bearer("xoxe.xoxp-1-Mi0yLTE3NjUzNjcyNDgx"),)
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    (
        "slack-token-revoked-in-query",
        Recorded(
            200,
            {"ok": False, "error": "token_revoked"},
            url="https://slack.com/api/auth.test?token=xoxp-1-revoked-0000",
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    # Slack: missing_scope comes with the scope needed and the scopes the token has
    (
        "slack-missing-scope",
        Recorded(
            200,
            {
                "ok": False,
                "error": "missing_scope",
                "needed": "chat:write",
                "provided": "channels:read,users:read",
            },
            sent=(bearer("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"),),
        ),
        "authorization",
        REFUSED_2XX | {"insufficient-scope"},
        {"no-credentials"},
    ),
    # Apollo Server error codes, https://www.apollographql.com/docs/apollo-server/data/errors
    (
        "apollo-unauthenticated",
        Recorded(
            200,
            graphql(
                [
                    {
                        "message": "Context creation failed: jwt expired",
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ]
            ),
            sent=(bearer(EXPIRED),),
            method="POST",
        ),
        "authentication",
        REFUSED_2XX | {"token-expired"},
        NOT_PERMITTED,
    ),
    (
        "apollo-forbidden-partial-data",
        Recorded(
            200,
            graphql(
                [
                    {
                        "message": "Not authorised!",
                        "locations": [{"line": 3, "column": 5}],
                        "path": ["salary"],
                        "extensions": {"code": "FORBIDDEN"},
                    }
                ],
                data={"me": {"name": "Alice"}, "salary": None},
            ),
            sent=(bearer(),),
            method="POST",
        ),
        "authorization",
        REFUSED_2XX | NOT_PERMITTED,
        {"no-credentials"},
    ),
    # Hasura: an invalid JWT is a 200 with code invalid-jwt, https://hasura.io/docs/latest/auth/authentication/jwt/
    (
        "hasura-invalid-jwt",
        Recorded(
            200,
            {
                "errors": [
                    {
                        "extensions": {"path": "$", "code": "invalid-jwt"},
                        "message": "Could not verify JWT: JWTExpired",
                    }
                ]
            },
            sent=(bearer(EXPIRED),),
            method="POST",
        ),
        "authentication",
        REFUSED_2XX | {"token-expired"},
        set(),
    ),
    # Shopify GraphQL Admin API, https://shopify.dev/docs/api/usage/access-scopes (ACCESS_DENIED)
    (
        "shopify-graphql-access-denied",
        Recorded(
            200,
            graphql(
                [
                    {
                        "message": "Access denied for orders field. Required access: `read_orders` access "
                                   "scope.",
                        "locations": [{"line": 2, "column": 3}],
                        "path": ["orders"],
                        "extensions": {
                            "code": "ACCESS_DENIED",
                            "requiredAccess": "`read_orders` access scope.",
                        },
                    }
                ]
            ),
            sent=(("X-Shopify-Access-Token", "shpat_0123456789abcdef0123456789abcdef"),),
            method="POST",
        ),
        "authorization",
        REFUSED_2XX | {"insufficient-scope"},
        {"no-credentials"},
    ),
    # GitHub GraphQL API: INSUFFICIENT_SCOPES inside a 200, https://docs.github.com/graphql
    (
        "github-graphql-insufficient-scopes",
        Recorded(
            200,
            {
                "errors": [
                    {
                        "type": "INSUFFICIENT_SCOPES",
                        "locations": [{"line": 1, "column": 9}],
                        "message": "Your token has not been granted the required scopes to execute this "
                                   "query. The 'email' field "
                        "requires one of the following scopes: ['user:email', 'read:user'], but your token "
                        "has only "
                        "been granted the: ['repo'] scopes.",
                    }
                ]
            },
            sent=(bearer("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "bearer"),),
            method="POST",
        ),
        "authorization",
        REFUSED_2XX | {"insufficient-scope"},
        set(),
    ),
    # Google Maps web services answer 200 with status REQUEST_DENIED,
    # https://developers.google.com/maps/documentation/geocoding/requests-geocoding#StatusCodes
    (
        "google-maps-request-denied",
        Recorded(
            200,
            {"error_message": "The provided API key is invalid.", "results": [], "status": "REQUEST_DENIED"},
            url="https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=AIzaSyNotARealKey000000000",
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    # WeChat Official Accounts API: errcode 40001 in a 200, https://developers.weixin.qq.com/doc/ (global
    # return codes)
    (
        "wechat-invalid-credential",
        Recorded(
            200,
            {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"},
            url="https://api.weixin.qq.com/cgi-bin/user/info?access_token=ACCESS_TOKEN_0000&openid=o1",
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    # Flickr API: {"stat": "fail", "code": 98}, https://www.flickr.com/services/api/response.json.html
    (
        "flickr-invalid-auth-token",
        Recorded(
            200,
            {"stat": "fail", "code": 98, "message": "Invalid auth token"},
            url="https://api.flickr.com/services/rest/?method=flickr.test.login&api_key=abc123&format=json",
        ),
        "authentication",
        REFUSED_2XX,
        set(),
    ),
    # Odoo JSON-RPC: a session that expired is a 200 with an error object (odoo.http.SessionExpiredException)
    (
        "odoo-session-expired",
        Recorded(
            200,
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {
                    "code": 100,
                    "message": "Odoo Session Expired",
                    "data": {"name": "odoo.http.SessionExpiredException", "message": "Session expired"},
                },
            },
            sent=(("Cookie", "session_id=5b8f6d0c9e4a7b21"),),
            method="POST",
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    # A SOAP 1.1 service answering a WS-Security failure with 200 (WS-Security 1.1 fault codes, OASIS)
    (
        "soap-ws-security-failed-authentication",
        Recorded(
            200, SOAP_FAILED_AUTH, content_type="text/xml", method="POST", sent_body=SOAP_USERNAME_TOKEN
        ),
        "authentication",
        REFUSED_2XX,
        {"no-credentials"},
    ),
    # ---- the body decides when it names who-you-are, whatever the status
    # Cloudflare API v4 answers a bad token with 403, https://developers.cloudflare.com/fundamentals/api/
    (
        "cloudflare-authentication-error-403",
        Recorded(
            403,
            {
                "success": False,
                "errors": [{"code": 10000, "message": "Authentication error"}],
                "messages": [],
                "result": None,
            },
            sent=(bearer("Y2xvdWRmbGFyZS1ub3QtYS1yZWFsLXRva2Vu"),),
        ),
        "authentication",
        set(),
        NOT_PERMITTED | {"no-credentials"},
    ),
    (
        "cloudflare-legacy-key-headers",
        Recorded(
            400,
            {
                "success": False,
                "errors": [
                    {
                        "code": 6003,
                        "message": "Invalid request headers",
                        "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
                    }
                ],
                "messages": [],
                "result": None,
            },
            sent=(
                ("X-Auth-Email", "ops@example.com"),
                ("X-Auth-Key", "c2547eb745079dac9320b638f5e225cf483cc5cfdda41"),
            ),
        ),
        "authentication",
        set(),
        {"no-credentials"},
    ),
    # Node API behind express-jwt / jsonwebtoken, audience named in the body only (jsonwebtoken README)
    (
        "express-jwt-audience-403",
        Recorded(403, {"message": "jwt audience invalid. expected: api://billing"}, sent=(bearer(),)),
        "authentication",
        {"server-message"},
        NOT_PERMITTED,
    ),
    # Azure Resource Manager, wrong audience, https://learn.microsoft.com/azure/azure-resource-manager/
    (
        "azure-arm-wrong-audience",
        Recorded(
            401,
            {
                "error": {
                    "code": "InvalidAuthenticationTokenAudience",
                    "message": "The access token has been obtained for wrong audience or resource "
                    "'https://graph.microsoft.com'. It should exactly match with one of the allowed "
                    "audiences 'https://management.core.windows.net/','https://management.azure.com/'.",
                }
            },
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer authorization_uri="https://login.windows.net/tenant", '
                    'error="invalid_token", error_description="The access token is invalid."',
                ),
            ),
            sent=(bearer(),),
        ),
        "authentication",
        {"server-error-code"},
        NOT_PERMITTED,
    ),
    (
        "azure-arm-authorization-failed",
        Recorded(
            403,
            {
                "error": {
                    "code": "AuthorizationFailed",
                    "message": "The client 'app@contoso.com' with object id '00000000-1111' does not have "
                    "authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/"
                    "read' over scope '/subscriptions/0000' or the scope is invalid. If access was "
                    "recently granted, please refresh your credentials.",
                }
            },
            sent=(bearer(),),
        ),
        "authorization",
        NOT_PERMITTED,
        {"insufficient-scope"},
    ),
    # Azure Storage answers a bad Shared Key signature with 403 AuthenticationFailed (XML),
    # https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes
    (
        "azure-storage-authentication-failed",
        Recorded(
            403,
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server '
            "failed to authenticate the request. Make sure the value of Authorization header is formed "
            "correctly "
            "including the signature.</Message><AuthenticationErrorDetail>The MAC signature found in the "
            "HTTP "
            "request is not the same as any computed signature.</AuthenticationErrorDetail></Error>",
            content_type="application/xml",
            sent=(("Authorization", "SharedKey myaccount:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08="),),
        ),
        "authentication",
        set(),
        NOT_PERMITTED,
    ),
    # Azure API Management, https://learn.microsoft.com/troubleshoot/azure/api-mgmt/ (401 while invoking APIs)
    (
        "azure-apim-missing-subscription-key",
        Recorded(
            401,
            {
                "statusCode": 401,
                "message": "Access denied due to missing subscription key. Make sure to include "
                "subscription key when making requests to an API.",
            },
        ),
        "authentication",
        {"no-credentials", "missing-challenge"},
        set(),
    ),
    (
        "azure-apim-invalid-subscription-key",
        Recorded(
            401,
            {
                "statusCode": 401,
                "message": "Access denied due to invalid subscription key. Make sure to provide a "
                "valid key for an active subscription.",
            },
            sent=(("Ocp-Apim-Subscription-Key", "0123456789abcdef0123456789abcdef"),),
        ),
        "authentication",
        {"server-message"},
        {"no-credentials"},
    ),
    # Microsoft Graph, https://learn.microsoft.com/graph/errors
    (
        "microsoft-graph-expired",
        Recorded(
            401,
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token has expired or is not yet valid.",
                    "innerError": {"date": "2024-05-01T12:00:00", "request-id": "r-1"},
                }
            },
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                    'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
                ),
            ),
            sent=(bearer(),),
        ),
        "authentication",
        {"server-error-code"},
        NOT_PERMITTED,
    ),
    (
        "microsoft-graph-request-denied",
        Recorded(
            403,
            {
                "error": {
                    "code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation.",
                    "innerError": {},
                }
            },
            sent=(bearer(),),
        ),
        "authorization",
        NOT_PERMITTED,
        {"no-credentials"},
    ),
    # Google APIs, https://cloud.google.com/apis/design/errors (ErrorInfo reasons)
    (
        "google-insufficient-scopes",
        Recorded(
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Request had insufficient authentication scopes.",
                    "status": "PERMISSION_DENIED",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                            "domain": "googleapis.com",
                        }
                    ],
                }
            },
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
                    'scope="https://www.googleapis.com/auth/gmail.readonly"',
                ),
            ),
            sent=(bearer("ya29.a0AfB_byC-not-a-real-google-token"),),
        ),
        "authorization",
        {"insufficient-scope"},
        set(),
    ),
    (
        "google-api-key-invalid-400",
        Recorded(
            400,
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                        }
                    ],
                }
            },
            url="https://translation.googleapis.com/language/translate/v2?key=AIzaSyNotARealKey000000000&q=hi",
        ),
        "authentication",
        {"server-message"},
        {"no-credentials"},
    ),
    # GitHub REST API, https://docs.github.com/rest/overview/troubleshooting
    (
        "github-bad-credentials",
        Recorded(
            401,
            {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            sent=(bearer("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    (
        "github-saml-enforcement",
        Recorded(
            403,
            {
                "message": "Resource protected by organization SAML enforcement. You must grant your "
                           "Personal Access "
                "token access to this organization.",
                "documentation_url": "https://docs.github.com",
            },
            sent=(bearer("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # GitLab REST API, https://docs.gitlab.com/ee/api/rest/troubleshooting.html
    (
        "gitlab-private-token-401",
        Recorded(
            401, {"message": "401 Unauthorized"}, sent=(("PRIVATE-TOKEN", "glpat-xxxxxxxxxxxxxxxxxxxx"),)
        ),
        "authentication",
        {"missing-challenge"},
        {"no-credentials"},
    ),
    (
        "gitlab-insufficient-scope",
        Recorded(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than "
                "provided by the access token.",
                "scope": "api",
            },
            sent=(("PRIVATE-TOKEN", "glpat-xxxxxxxxxxxxxxxxxxxx"),),
        ),
        "authorization",
        {"insufficient-scope"},
        {"no-credentials"} | NOT_PERMITTED,
    ),
    # HashiCorp Vault, https://developer.hashicorp.com/vault/api-docs#error-response
    (
        "vault-invalid-token-403",
        Recorded(
            403,
            {"errors": ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]},
            sent=(("X-Vault-Token", "hvs.CAESIOnlyAnExampleToken0000"),),
        ),
        "authentication",
        {"server-message"},
        {"no-credentials"} | NOT_PERMITTED,
    ),
    (
        "vault-permission-denied",
        Recorded(
            403,
            {"errors": ["1 error occurred:\n\t* permission denied\n\n"]},
            sent=(("X-Vault-Token", "hvs.CAESIOnlyAnExampleToken0000"),),
        ),
        "authorization",
        NOT_PERMITTED,
        {"no-credentials"},
    ),
    # Okta, https://developer.okta.com/docs/reference/error-codes/
    (
        "okta-invalid-token",
        Recorded(
            401,
            {
                "errorCode": "E0000011",
                "errorSummary": "Invalid token provided",
                "errorLink": "E0000011",
                "errorId": "oaeExample",
                "errorCauses": [],
            },
            sent=(("Authorization", "SSWS 00QCjAl4MlV-WPXM-NotARealToken"),),
        ),
        "authentication",
        {"server-message", "server-error-code"},
        set(),
    ),
    (
        "okta-no-permission",
        Recorded(
            403,
            {
                "errorCode": "E0000006",
                "errorSummary": "You do not have permission to perform the requested action",
                "errorLink": "E0000006",
                "errorId": "oaeExample",
                "errorCauses": [],
            },
            sent=(("Authorization", "SSWS 00QCjAl4MlV-WPXM-NotARealToken"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Auth0 Management API, https://auth0.com/docs/api/management/v2 (error responses)
    (
        "auth0-insufficient-scope",
        Recorded(
            403,
            {
                "statusCode": 403,
                "error": "Forbidden",
                "message": "Insufficient scope, expected any of: read:users",
                "errorCode": "insufficient_scope",
            },
            sent=(bearer(),),
        ),
        "authorization",
        {"insufficient-scope"},
        NOT_PERMITTED,
    ),
    # Twilio, https://www.twilio.com/docs/errors/20003
    (
        "twilio-20003",
        Recorded(
            401,
            {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            },
            headers=(("WWW-Authenticate", 'Basic realm="Twilio API"'),),
            sent=(basic("AC00000000000000000000000000000000", "wrong-auth-token"),),
        ),
        "authentication",
        set(),
        {"no-credentials"},
    ),
    # SendGrid v3, https://support.sendgrid.com (4XX API errors and troubleshooting)
    (
        "sendgrid-grant-invalid",
        Recorded(
            401,
            {
                "errors": [
                    {
                        "field": None,
                        "message": "The provided authorization grant is invalid, expired, or revoked",
                    }
                ]
            },
            sent=(bearer("SG.not-a-real-key.000"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    (
        "sendgrid-access-forbidden",
        Recorded(
            403,
            {"errors": [{"field": None, "message": "access forbidden"}]},
            sent=(bearer("SG.not-a-real-key.000"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Atlassian Cloud, OAuth 2.0 (3LO) scopes, https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
    (
        "atlassian-scope-does-not-match",
        Recorded(401, {"code": 401, "message": "Unauthorized; scope does not match"}, sent=(bearer(),)),
        "authorization",
        {"insufficient-scope"},
        set(),
    ),
    (
        "jira-no-permission",
        Recorded(
            403,
            {"errorMessages": ["You do not have the permission to see the specified issue."], "errors": {}},
            sent=(basic("me@example.com", "ATATT3xFfGF0-not-a-token"),),
        ),
        "authorization",
        NOT_PERMITTED | {"server-message"},
        set(),
    ),
    # Salesforce REST API, https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
    (
        "salesforce-invalid-session",
        Recorded(
            401,
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
            sent=(bearer("00D5g000004Ea1s!AQ0AQNotARealSession"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    # Salesforce SOAP API answers INVALID_SESSION_ID with a fault and 500: the body decides, whatever the
    # status
    (
        "salesforce-soap-fault-500",
        Recorded(
            500,
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/'
            'soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
            "<faultcode>"
            "sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID found in "
            "SessionHeader: Illegal Session</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
            content_type="text/xml; charset=utf-8",
            method="POST",
            sent_body=SOAP_SESSION_HEADER,
        ),
        "authentication",
        {"server-error-code"},
        {"no-credentials"},
    ),
    # Mailchimp Transactional (Mandrill) answers errors with 500 and the key travels in the JSON body,
    # https://mailchimp.com/developer/transactional/docs/fundamentals/#errors
    (
        "mandrill-invalid-key-500",
        Recorded(
            500,
            {"status": "error", "code": -1, "name": "Invalid_Key", "message": "Invalid API key"},
            method="POST",
            sent_body=b'{"key": "md-not-a-real-key"}',
        ),
        "authentication",
        {"server-message"},
        {"no-credentials"},
    ),
    # Mailchimp Marketing API (problem details), https://mailchimp.com/developer/marketing/docs/errors/
    (
        "mailchimp-api-key-invalid",
        Recorded(
            401,
            {
                "type": "https://mailchimp.com/developer/marketing/docs/errors/",
                "title": "API Key Invalid",
                "status": 401,
                "detail": "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
                "instance": "e2b0c5f0",
            },
            content_type="application/problem+json",
            sent=(basic("anystring", "0123456789abcdef-us6"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    # HubSpot, https://developers.hubspot.com/docs/api/error-handling
    (
        "hubspot-missing-scopes",
        Recorded(
            403,
            {
                "status": "error",
                "message": "This app hasn't been granted all required scopes to make this call.",
                "correlationId": "c-1",
                "category": "MISSING_SCOPES",
                "errors": [
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": ["crm.objects.contacts.read"]},
                    }
                ],
            },
            sent=(bearer("pat-na1-00000000-0000-0000-0000-000000000000"),),
        ),
        "authorization",
        {"insufficient-scope"},
        NOT_PERMITTED,
    ),
    (
        "hubspot-expired-token",
        Recorded(
            401,
            {
                "status": "error",
                "message": "The OAuth token used to make this call expired 3 hour(s) ago.",
                "correlationId": "c-2",
                "category": "EXPIRED_AUTHENTICATION",
            },
            sent=(bearer("CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    # PayPal REST APIs, https://developer.paypal.com/api/rest/responses/
    (
        "paypal-token-signature",
        Recorded(
            401,
            {"error": "invalid_token", "error_description": "Token signature verification failed"},
            sent=(bearer("A21AAFEpH4PsADK7qSS7pSRsgzfENtu-not-real"),),
        ),
        "authentication",
        {"server-error-code"},
        set(),
    ),
    (
        "paypal-not-authorized",
        Recorded(
            403,
            {
                "name": "NOT_AUTHORIZED",
                "message": "Authorization failed due to insufficient permissions.",
                "debug_id": "90957fca61718",
                "details": [
                    {
                        "issue": "PERMISSION_DENIED",
                        "description": "You do not "
                        "have permission to access or perform operations on this "
                        "resource.",
                    }
                ],
            },
            sent=(bearer("A21AAFEpH4PsADK7qSS7pSRsgzfENtu-not-real"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Stripe, https://docs.stripe.com/api/errors
    (
        "stripe-invalid-api-key",
        Recorded(
            401,
            {
                "error": {
                    "message": "Invalid API Key provided: sk_test_****1234",
                    "type": "invalid_request_error",
                }
            },
            sent=(bearer("sk_test_51NotARealKey0000001234"),),
        ),
        "authentication",
        set(),
        NOT_PERMITTED,
    ),
    (
        "stripe-restricted-key",
        Recorded(
            403,
            {
                "error": {
                    "message": "The provided key 'rk_test_****1234' does not have the required permissions "
                               "for "
                    "this endpoint on account 'acct_1'. Having the 'rak_charge_read' permission would "
                    "allow this request to continue.",
                    "type": "invalid_request_error",
                }
            },
            sent=(bearer("rk_test_51NotARealKey0000001234"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Kubernetes API server Status objects, https://kubernetes.io/docs/reference/access-authn-authz/
    (
        "kubernetes-unauthorized",
        Recorded(
            401,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "Unauthorized",
                "reason": "Unauthorized",
                "code": 401,
            },
            sent=(bearer(),),
        ),
        "authentication",
        {"missing-challenge"},
        set(),
    ),
    (
        "kubernetes-forbidden",
        Recorded(
            403,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": 'pods is forbidden: User "system:serviceaccount:default:app" cannot list resource '
                '"pods" in API group "" in the namespace "kube-system"',
                "reason": "Forbidden",
                "details": {"kind": "pods"},
                "code": 403,
            },
            sent=(bearer(),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Docker Registry HTTP API V2 error codes, https://distribution.github.io/distribution/spec/api/
    (
        "docker-registry-unauthorized",
        Recorded(
            401,
            {
                "errors": [
                    {
                        "code": "UNAUTHORIZED",
                        "message": "authentication required",
                        "detail": [{"Type": "repository", "Name": "library/app", "Action": "pull"}],
                    }
                ]
            },
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                    'scope="repository:library/app:pull"',
                ),
            ),
        ),
        "authentication",
        {"no-credentials"},
        set(),
    ),
    (
        "docker-registry-denied",
        Recorded(
            403,
            {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]},
            sent=(bearer(),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Zendesk, https://developer.zendesk.com/api-reference/introduction/security-and-auth/
    (
        "zendesk-couldnt-authenticate",
        Recorded(
            401,
            {"error": "Couldn't authenticate you"},
            sent=(basic("agent@example.com/token", "not-the-token"),),
        ),
        "authentication",
        set(),
        set(),
    ),
    (
        "zendesk-forbidden",
        Recorded(
            403,
            {
                "error": "Forbidden",
                "description": "You do not have access to this "
                "page. Please contact the account owner of this help desk.",
            },
            sent=(basic("agent@example.com/token", "a-token"),),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # Zulip, https://zulip.com/api/rest-error-handling
    (
        "zulip-invalid-api-key",
        Recorded(
            401,
            {"result": "error", "msg": "Invalid API key", "code": "INVALID_API_KEY"},
            sent=(basic("bot@zulip.example.com", "not-a-key"),),
        ),
        "authentication",
        {"server-message"},
        set(),
    ),
    # Apigee, https://cloud.google.com/apigee/docs/api-platform/reference/policies/verify-api-key-policy
    (
        "apigee-invalid-api-key",
        Recorded(
            401,
            {"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}},
            url="https://api.example.com/v1/weather?apikey=not-a-real-key",
        ),
        "authentication",
        set(),
        {"no-credentials"},
    ),
    # Keycloak, https://www.keycloak.org/docs (bearer-only clients: "Token is not active")
    (
        "keycloak-token-not-active",
        Recorded(
            401,
            b"",
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer realm="demo", error="invalid_token", error_description="Token is not active"',
                ),
            ),
            sent=(bearer(),),
        ),
        "authentication",
        {"server-error-code"},
        set(),
    ),
    # Spring Security resource server, https://docs.spring.io/spring-security/reference/servlet/oauth2/resource-server/
    (
        "spring-jwt-expired",
        Recorded(
            401,
            b"",
            headers=(
                (
                    "WWW-Authenticate",
                    'Bearer error="invalid_token", '
                    'error_description="An error occurred while attempting to decode the Jwt: Jwt '
                    'expired at 2024-05-01T11:55:00Z", error_uri="https://tools.ietf.org/html/'
                    'rfc6750#section-3.1"',
                ),
            ),
            sent=(bearer(EXPIRED),),
        ),
        "authentication",
        {"token-expired"},
        set(),
    ),
    # Django REST framework CSRF failure on a session-authenticated request (a 403 that is not about roles)
    (
        "django-rest-csrf",
        Recorded(
            403,
            {"detail": "CSRF Failed: CSRF token missing."},
            method="POST",
            sent=(("Cookie", "sessionid=4f1c2a9e7b3d8c6a5e0f1b2c"),),
        ),
        "authentication",
        {"server-message"},
        NOT_PERMITTED,
    ),
    # FastAPI's HTTPBearer answers a missing header with 403 "Not authenticated"
    (
        "fastapi-httpbearer-403",
        Recorded(403, {"detail": "Not authenticated"}),
        "authentication",
        {"no-credentials"},
        NOT_PERMITTED,
    ),
    # AWS STS (XML), https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
    (
        "aws-sts-expired-token",
        Recorded(
            403,
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>'
            "ExpiredToken</Code><Message>The security token included in the request is "
            "expired</Message></Error>"
            "<RequestId>4c4f2d3e</RequestId></ErrorResponse>",
            content_type="text/xml",
            sent=(AWS_SIGV4, ("X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEXAMPLE")),
        ),
        "authentication",
        set(),
        NOT_PERMITTED,
    ),
    (
        "aws-iam-explicit-deny",
        Recorded(
            403,
            {
                "Message": "User: arn:aws:sts::123456789012:assumed-role/app/s1 is not authorized to "
                           "perform: "
                "execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/"
                "orders with an explicit deny"
            },
            sent=(AWS_SIGV4,),
        ),
        "authorization",
        NOT_PERMITTED,
        set(),
    ),
    # ---- misleading gateway refusals: Amazon API Gateway, https://repost.aws/knowledge-center/api-gateway-403-custom-domain
    (
        "aws-api-gateway-missing-token-key-sent",
        Recorded(
            403,
            {"message": "Missing Authentication Token"},
            headers=(("x-amzn-ErrorType", "MissingAuthenticationTokenException"),),
            sent=(("x-api-key", "a1b2c3d4e5f6g7h8i9j0"),),
            url="https://abc123.execute-api.us-east-1.amazonaws.com/prod/oder",
        ),
        "not-credential-related",
        {"endpoint-not-found-likely"},
        {"no-credentials"} | NOT_PERMITTED,
    ),
    (
        "aws-api-gateway-missing-token-nothing-sent",
        Recorded(
            403,
            {"message": "Missing Authentication Token"},
            headers=(("x-amzn-ErrorType", "MissingAuthenticationTokenException"),),
            url="https://abc123.execute-api.us-east-1.amazonaws.com/prod/orders",
        ),
        "authentication",
        {"no-credentials", "endpoint-not-found-likely"},
        NOT_PERMITTED,
    ),
]
VENDORS = {name.split("-")[0] for name, *_ in CASES}


def test_the_table_covers_at_least_25_real_apis() -> None:
    assert len(VENDORS) >= 25, sorted(VENDORS)


def _explain(rec: Recorded) -> Diagnosis:
    return explain(rec.exchange())


@pytest.mark.parametrize(("name", "rec", "verdict", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_vendor_refusal(name: str, rec: Recorded, verdict: str, present: set[str], absent: set[str]) -> None:
    d = _explain(rec)
    ids = set(d.finding_ids)
    assert d.verdict == verdict, (d.verdict, d.summary, d.finding_ids)
    assert present <= ids, (present - ids, d.finding_ids)
    assert not (absent & ids), (absent & ids, d.summary)
    assert d.summary.endswith((".", ")")) and "?" not in d.summary.replace("?format", "")
    for f in d.findings:
        assert f.title and f.detail and " ? " not in f.detail, f
    json.dumps(diagnosis_json(d))  # evidence is serialisable
    for _header, value in rec.sent:  # no credential reaches the explanation
        secret = value.split(" ", 1)[-1]
        if len(secret) >= 12:
            assert secret not in json.dumps(diagnosis_json(d)) + d.summary


def test_a_refusal_in_a_2xx_shows_where_it_was_read_and_what_to_do() -> None:
    d = _explain(next(c[1] for c in CASES if c[0] == "apollo-forbidden-partial-data"))
    f = d.finding("refusal-in-success-body")
    assert f is not None and f.severity == "error" and f.next_step
    assert f.evidence["shape"] == "graphql" and f.evidence["partial_data"] is True
    assert f.evidence["paths"] == ["salary"] and f.evidence["refused_as"] == "authorization"
    assert f.evidence["codes"] == ["FORBIDDEN"] and f.evidence["family"] == "permission"
    assert "salary" in f.detail and "200" in f.title


def test_slack_missing_scope_names_the_scope_it_needs() -> None:
    d = _explain(next(c[1] for c in CASES if c[0] == "slack-missing-scope"))
    f = d.finding("insufficient-scope")
    assert f is not None and f.evidence["required"] == ["chat:write"] and "body" in f.evidence["sources"]
    assert "chat:write" in f.next_step
    assert d.summary.startswith("Your token lacks the scope")


def test_a_403_naming_the_audience_is_authentication_with_a_next_step() -> None:
    d = _explain(next(c[1] for c in CASES if c[0] == "express-jwt-audience-403"))
    f = d.finding("server-message")
    assert f is not None and f.evidence["wording"] == "audience"
    assert "audience" in f.next_step
    # the audience the server says it expected stands in for the profile's, and says where it came from
    a = d.finding("audience-mismatch")
    assert a is not None and a.evidence["expected"] == "api://billing"
    assert a.evidence["actual"] == ["https://api.example.com"] and a.evidence["expected_from"] == "server"
    assert d.summary == "Your token is for https://api.example.com, not api://billing."


def test_the_profile_s_expected_audience_is_kept_over_the_server_s() -> None:
    from inspector.core.diagnosis import Expectations

    rec = next(c[1] for c in CASES if c[0] == "express-jwt-audience-403")
    d = explain(rec.exchange(), Expectations(audience="api://profile"))
    a = d.finding("audience-mismatch")
    assert a is not None and a.evidence["expected"] == "api://profile" and "expected_from" not in a.evidence


def test_the_gateway_finding_says_what_to_check_and_which_route() -> None:
    d = _explain(next(c[1] for c in CASES if c[0] == "aws-api-gateway-missing-token-key-sent"))
    f = d.finding("endpoint-not-found-likely")
    assert f is not None and f.severity == "warning"
    assert f.evidence["credentials_sent"] is True and f.evidence["method"] == "GET"
    assert "/prod/oder" in d.summary and "not deployed" in d.summary
    assert "stage" in f.next_step
    nothing = _explain(next(c[1] for c in CASES if c[0] == "aws-api-gateway-missing-token-nothing-sent"))
    g = nothing.finding("endpoint-not-found-likely")
    assert g is not None and g.evidence["credentials_sent"] is False and "No credentials" in g.detail


@pytest.mark.parametrize(
    "header",
    [
        "X-API-Key",
        "Api-Key",
        "X-Auth-Token",
        "X-Access-Token",
        "PRIVATE-TOKEN",
        "X-Vault-Token",
        "Ocp-Apim-Subscription-Key",
        "X-Goog-Api-Key",
        "X-Amz-Security-Token",
        "Authentication",
        "X-Shopify-Access-Token",
    ],
)
def test_vendor_credential_headers_count_as_sent(header: str) -> None:
    d = _explain(Recorded(401, {"message": "Unauthorized"}, sent=((header, "some-credential-value-123"),)))
    assert "no-credentials" not in d.finding_ids and d.credential is not None and d.credential.name == header


@pytest.mark.parametrize("param", ["api_key", "apikey", "key", "access_token", "token"])
def test_query_keys_count_as_sent(param: str) -> None:
    d = _explain(Recorded(403, {"message": "Forbidden"}, url=f"{URL}?{param}=some-credential-value-123"))
    assert "no-credentials" not in d.finding_ids and d.verdict == "authorization"


def test_a_header_the_profile_adds_counts_as_sent() -> None:
    from inspector.core.diagnosis import Expectations

    rec = Recorded(401, {"message": "Unauthorized"}, sent=(("X-Tenant-Secret", "some-credential-value-123"),))
    assert "no-credentials" in _explain(rec).finding_ids
    d = explain(rec.exchange(), Expectations(api_key_names=("X-Tenant-Secret",)))
    assert "no-credentials" not in d.finding_ids


# ------------------------------------------------------------------------------------- no false alarms on 2xx

HEALTHY_2XX: list[tuple[str, Recorded]] = [
    ("graphql-data-no-errors", Recorded(200, {"data": {"viewer": {"login": "octocat"}}}, sent=(bearer(),))),
    ("graphql-empty-errors", Recorded(200, {"data": {"viewer": None}, "errors": []}, sent=(bearer(),))),
    ("jsonrpc-error-null", Recorded(200, {"jsonrpc": "2.0", "id": 1, "result": {"ok": 1}, "error": None})),
    (
        "slack-ok-true",
        Recorded(
            200,
            {"ok": True, "url": "https://demo.slack.com/", "team": "Demo"},
            sent=(bearer("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"),),
        ),
    ),
    ("error-false", Recorded(200, {"error": False, "items": []})),
    (
        "message-field-without-error-shape",
        Recorded(
            200, {"status": "ok", "message": "Invalid API key rotation is scheduled for tomorrow", "code": 0}
        ),
    ),
    # Hasura hides a field a role may not see as a validation error: not a credential refusal
    (
        "hasura-validation-failed",
        Recorded(
            200,
            {
                "errors": [
                    {
                        "extensions": {"path": "$.selectionSet.salary", "code": "validation-failed"},
                        "message": "field 'salary' not found in type: 'query_root'",
                    }
                ]
            },
            sent=(bearer(),),
        ),
    ),
    # Shopify throttles inside a 200: not about credentials
    (
        "shopify-throttled",
        Recorded(
            200,
            {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]},
            sent=(("X-Shopify-Access-Token", "shpat_0123456789abcdef0123456789abcdef"),),
        ),
    ),
    (
        "a-resource-about-tokens",
        Recorded(
            200,
            {
                "id": 7,
                "type": "token",
                "name": "CI token",
                "expired": True,
                "scopes": ["read"],
                "description": "Token has expired",
            },
        ),
    ),
    ("plain-text", Recorded(200, "invalid token? no: this page explains tokens")),
]


@pytest.mark.parametrize(("name", "rec"), HEALTHY_2XX, ids=[n for n, _ in HEALTHY_2XX])
def test_a_healthy_2xx_is_not_a_refusal(name: str, rec: Recorded) -> None:
    d = _explain(rec)
    assert d.verdict == "ok", (d.summary, d.finding_ids)
    assert not {"refusal-in-success-body", "no-credentials", "server-error-code", "server-message"} & set(
        d.finding_ids
    )


_SCARY = st.sampled_from(
    [
        "invalid_token",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "permission denied",
        "Token expired",
        "Missing Authentication Token",
        "invalid_auth",
        "missing_scope",
        "jwt audience invalid",
        "",
        "ok",
        "error",
        "fail",
        "null",
    ]
)
_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=20), _SCARY
)
_JSON = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8) | _SCARY, inner, max_size=4)
    ),
    max_leaves=20,
)
# The keys that make an error container, and the values that say "no error" in them
_SHAPE_KEYS = {
    "error",
    "errors",
    "fault",
    "ok",
    "success",
    "succeeded",
    "status",
    "stat",
    "result",
    "outcome",
    "errcode",
    "error_code",
    "code",
    "statuscode",
    "status_code",
}
_NO_ERROR = st.sampled_from([None, False, "", [], {}, 0])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(
        st.text(max_size=10).filter(lambda k: k.lower() not in _SHAPE_KEYS), _JSON, max_size=6
    ),
    empty=st.dictionaries(st.sampled_from(["error", "errors", "fault"]), _NO_ERROR, max_size=3),
    status=st.sampled_from([200, 201, 202, 204, 206]),
    sent=st.booleans(),
)
def test_property_a_2xx_without_an_error_shape_is_never_a_refusal(
    fields: dict[str, object], empty: dict[str, object], status: int, sent: bool
) -> None:
    rec = Recorded(status, {**fields, **empty}, sent=(bearer(),) if sent else ())
    d = _explain(rec)
    assert d.verdict == "ok", (d.summary, d.finding_ids, rec.body)
    assert "refusal-in-success-body" not in d.finding_ids and "no-credentials" not in d.finding_ids


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_JSON, errors=st.sampled_from([None, []]))
def test_property_graphql_data_without_errors_is_ok(data: object, errors: object) -> None:
    body: dict[str, object] = {"data": data}
    if errors is not None:
        body["errors"] = errors
    d = _explain(Recorded(200, body, sent=(bearer(),), method="POST"))
    assert d.verdict == "ok" and "refusal-in-success-body" not in d.finding_ids, (d.summary, body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=300).filter(lambda t: t.lstrip()[:1] not in ("{", "<")),
    ctype=st.sampled_from(["text/plain", "text/html", "application/json", None]),
)
def test_property_any_2xx_text_that_is_not_an_error_object_is_ok(text: str, ctype: str | None) -> None:
    d = _explain(Recorded(200, text.encode("utf-8"), content_type=ctype))
    assert d.verdict == "ok" and "refusal-in-success-body" not in d.finding_ids


# Inside a 2xx's error container, words that only echo a status line ("unauthorized", "forbidden", "access
# denied") or an HTTP status the body states itself are the only sign of the refusal: they count there.
GENERIC_2XX: list[tuple[str, Recorded, str]] = [
    ("rpc-error-unauthorized", Recorded(200, {"ok": False, "error": "unauthorized"}, sent=(bearer(),)),
     "authentication"),
    ("success-false-forbidden", Recorded(200, {"success": False, "message": "Forbidden"}, sent=(bearer(),)),
     "authorization"),
    ("body-states-403", Recorded(200, {"code": 403, "msg": "\u65e0\u6743\u9650\u8bbf\u95ee"},
                                 sent=(bearer(),)), "authorization"),
    ("soap-fault-access-denied", Recorded(
        200, '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
             "<faultcode>soap:Client</faultcode><faultstring>Access is denied.</faultstring></soap:Fault>"
             "</soap:Body></soap:Envelope>", content_type="text/xml", sent=(bearer(),)), "authorization"),
]


@pytest.mark.parametrize(("name", "rec", "verdict"), GENERIC_2XX, ids=[c[0] for c in GENERIC_2XX])
def test_generic_words_count_inside_a_2xx_error_container(name: str, rec: Recorded, verdict: str) -> None:
    d = _explain(rec)
    assert d.verdict == verdict and "refusal-in-success-body" in d.finding_ids, (d.summary, d.finding_ids)


@pytest.mark.parametrize(
    "body",
    [{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}},
     {"ok": False, "error": "channel_not_found"},
     {"success": False, "errors": [{"message": "Name is required"}]}],
)
def test_a_2xx_that_failed_for_another_reason_is_not_a_credential_refusal(body: dict[str, object]) -> None:
    d = _explain(Recorded(200, body, sent=(bearer(),)))
    assert d.verdict == "ok" and "refusal-in-success-body" not in d.finding_ids


def test_generic_words_in_a_4xx_do_not_override_its_status() -> None:
    d = _explain(Recorded(403, {"error": "Unauthorized", "message": "Forbidden"}, sent=(bearer(),)))
    assert d.verdict == "authorization" and "authenticated-not-permitted" in d.finding_ids
