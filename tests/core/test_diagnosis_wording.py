"""The wording table (families of wording shared by every rule), the error-shape reader and SOAP faults."""

from __future__ import annotations

import gc
import time

import pytest

from inspector.core.bodies import server_message
from inspector.core.diagnosis.error_shape import read_error_shape
from inspector.core.diagnosis.wording import (
    CODES,
    FAMILIES,
    WORDS,
    classify,
    code_family,
    message_family,
    normalize_code,
    says,
)

ISSUE_FAMILIES = {
    "expired",
    "not-yet-valid",
    "audience",
    "issuer",
    "signature",
    "unknown-key",
    "invalid-key",
    "revoked",
    "missing-credentials",
    "scope",
    "permission",
    "policy",
    "rate",
    "csrf",
}


def test_the_table_has_every_family_the_issue_names_each_with_words_a_verdict_and_a_next_step() -> None:
    names = {f.name for f in FAMILIES}
    assert ISSUE_FAMILIES <= names
    worded = {family for family, _ in WORDS}
    coded = set(CODES.values())
    for family in FAMILIES:
        assert family.name in worded, family.name
        assert family.verdict in ("authentication", "authorization", "not-credential-related")
        assert family.means and family.next_step.endswith(".") and not family.means.endswith(".")
    assert coded <= names and worded <= names


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("TOKEN_EXPIRED", "tokenexpired"),
        ("token-expired", "tokenexpired"),
        ("sf:INVALID_SESSION_ID", "invalidsessionid"),
        ("wsse:FailedAuthentication", "failedauthentication"),
        (" invalid_auth ", "invalidauth"),
        ("https://example.com/x", "httpsexamplecomx"),
    ],
)
def test_normalize_code(raw: str, normal: str) -> None:
    assert normalize_code(raw) == normal


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("invalid_auth", "invalid-key"),
        ("UNAUTHENTICATED", "unauthenticated"),
        ("FORBIDDEN", "permission"),
        ("missing_scope", "scope"),
        ("ExpiredToken", "expired"),
        ("oauth.v2.InvalidApiKey", "invalid-key"),
        ("InvalidAuthenticationTokenAudience", "audience"),
        ("MissingAuthenticationTokenException", "endpoint"),
        ("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "scope"),
        ("E0000011", "invalid-key"),
        ("ratelimited", "rate"),
        ("validation-failed", None),
        ("invalid_request_error", None),
        ("0", None),
    ],
)
def test_code_family(code: str, family: str | None) -> None:
    found = code_family(code)
    assert (found.name if found else None) == family


# One wording per family per vendor, as each vendor writes it.
@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Signature expired: 20240501T114500Z is now earlier than 20240501T114600Z", "expired"),  # AWS
        ("Could not verify JWT: JWTExpired", "expired"),  # Hasura
        ("Access token has expired or is not yet valid.", "expired"),  # Microsoft Graph
        ("The OAuth token used to make this call expired 3 hour(s) ago.", "expired"),  # HubSpot
        ("Token is not active", "expired"),  # Keycloak
        ("jwt not active", "not-yet-valid"),  # jsonwebtoken
        ("The token is not yet valid (iat)", "not-yet-valid"),  # PyJWT
        ("jwt audience invalid. expected: api://billing", "audience"),  # jsonwebtoken
        ("IDX10214: Audience validation failed.", "audience"),  # Microsoft identity
        ("The access token has been obtained for wrong audience or resource 'x'.", "audience"),  # Azure ARM
        ("IDX10205: Issuer validation failed.", "issuer"),
        ("jwt issuer invalid. expected: https://idp.example.com/", "issuer"),
        ("Signature verification failed", "signature"),  # Flask-JWT-Extended
        (
            "The request signature we calculated does not match the signature you provided.",
            "signature",
        ),  # AWS S3
        ("IDX10501: Signature validation failed. Unable to match key: kid: 'abc'", "unknown-key"),
        ("No signing key matches the token's kid", "unknown-key"),
        ("The AWS Access Key Id you provided does not exist in our records.", "unknown-key"),
        ("Token has been revoked", "revoked"),
        ("Invalid API Key provided: sk_test_****1234", "invalid-key"),  # Stripe
        ("API key not valid. Please pass a valid API key.", "invalid-key"),  # Google
        ("Access denied due to invalid subscription key.", "invalid-key"),  # Azure APIM
        ("Bad credentials", "invalid-key"),  # GitHub
        ("The provided authorization grant is invalid, expired, or revoked", "invalid-key"),  # SendGrid
        ("Access denied due to missing subscription key.", "missing-credentials"),  # Azure APIM
        ("Authentication credentials were not provided.", "missing-credentials"),  # Django REST framework
        ("No API key found in request", "missing-credentials"),  # Kong
        ("No authorization token was found", "missing-credentials"),  # express-jwt
        ("Not authenticated", "missing-credentials"),  # FastAPI
        ("CSRF Failed: CSRF token missing or incorrect.", "csrf"),  # Django
        ("CSRF token mismatch.", "csrf"),  # Laravel
        ("Couldn't authenticate you", "unauthenticated"),  # Zendesk
        ("Request had insufficient authentication scopes.", "scope"),  # Google
        ("Unauthorized; scope does not match", "scope"),  # Atlassian
        ("Access denied for orders field. Required access: `read_orders` access scope.", "scope"),  # Shopify
        ("The caller does not have permission", "permission"),  # Google
        ("permission denied", "permission"),  # Vault
        ('pods is forbidden: User "x" cannot list resource "pods"', "permission"),  # Kubernetes
        (
            "User: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject with an explicit deny",
            "policy",
        ),
        ("AADSTS53003: Access has been blocked by Conditional Access policies.", "policy"),  # Entra
        ("Resource protected by organization SAML enforcement.", "policy"),  # GitHub
        ("API rate limit exceeded for 1.2.3.4.", "rate"),  # GitHub
        ("Missing Authentication Token", "endpoint"),  # AWS API Gateway
    ],
)
def test_message_family(text: str, family: str) -> None:
    hit = message_family(text)
    assert hit is not None and hit[0].name == family, (text, hit)
    assert hit[1].lower() in text.lower()  # the evidence is the server's own words


@pytest.mark.parametrize(
    "text",
    [
        "Forbidden",
        "Unauthorized",
        "Not Found",
        "body.x: field required",
        "Unrecognized token 'foo': was expecting",
        "Missing header 'X-Request-Id'",
        "Invalid key 'foo' in body",
        "Internal Server Error",
        "Access Denied",
        "The client does not have authorization to perform action 'x' over scope '/subscriptions/0' or the "
        "scope is "
        "invalid.",
    ],
)
def test_generic_or_unrelated_words_name_no_credential_family(text: str) -> None:
    hit = message_family(text)
    assert hit is None or hit[0].name == "permission", (
        text,
        hit,
    )  # Azure's "over scope" is not an OAuth scope


def test_the_most_specific_family_wins() -> None:
    # Vault says both; the invalid token is the reason
    w = classify([], ["2 errors occurred: * permission denied * invalid token"])
    assert w is not None and w.family.name == "invalid-key" and w.verdict == "authentication"
    # a generic code, specific words
    w = classify(["FORBIDDEN"], ["Context creation failed: jwt expired"])
    assert w is not None and w.family.name == "expired" and w.source == "message"
    # a gateway's "missing token" is not about credentials
    w = classify(["MissingAuthenticationTokenException"], ["Missing Authentication Token"])
    assert w is not None and w.verdict == "not-credential-related"
    assert classify(["invalid_request_error"], ["Something else"]) is None


def test_says() -> None:
    assert says("rate", "Too Many Requests: retry later") and not says("rate", None)
    assert not says("rate", "token expired")


def test_every_word_row_is_linear_on_hostile_text() -> None:
    """A message is at most MAX_TEXT characters, and no row backtracks on it (10x input, far less than "
    "100x)."""

    def cpu(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            gc.disable()
            try:
                start = time.thread_time()
                classify(["x"], [text])
                best = min(best, time.thread_time() - start)
            finally:
                gc.enable()
        return best

    for unit in ("token ", "a" * 7 + " ", "scope ", "no api key ", "ip address "):
        assert cpu(unit * 2000) < 0.5, unit  # MAX_TEXT caps the work however long the message


# ------------------------------------------------------------------------------------------- error shapes


@pytest.mark.parametrize(
    ("body", "kind", "flag", "codes", "messages"),
    [
        (b'{"ok": false, "error": "invalid_auth"}', "rpc", "ok: false", ("invalid_auth",), ()),
        (
            b'{"success": false, "errors": [{"code": 10000, "message": "Authentication error"}]}',
            "rpc",
            "success: false",
            (),
            ("Authentication error",),
        ),
        (
            b'{"errors": [{"message": "no", "extensions": {"code": "UNAUTHENTICATED"}}], "data": null}',
            "graphql",
            None,
            ("UNAUTHENTICATED",),
            ("no",),
        ),
        (
            b'{"stat": "fail", "code": 98, "message": "Invalid auth token"}',
            "rpc",
            'stat: "fail"',
            (),
            ("Invalid auth token",),
        ),
        (
            b'{"errcode": 40001, "errmsg": "invalid credential"}',
            "rpc",
            "errcode: 40001",
            (),
            ("invalid credential",),
        ),
        (
            b'{"jsonrpc": "2.0", "error": {"code": 100, "message": "Odoo Session Expired"}}',
            "error",
            None,
            (),
            ("Odoo Session Expired",),
        ),
        (
            b'{"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": '
            b'"oauth.v2.InvalidApiKey"}}}',
            "error",
            None,
            ("oauth.v2.InvalidApiKey",),
            ("Invalid ApiKey",),
        ),
        (
            b'\xef\xbb\xbf{"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}',
            "rpc",
            'status: "REQUEST_DENIED"',
            ("REQUEST_DENIED",),
            ("The provided API key is invalid.",),
        ),
    ],
)
def test_error_shapes(
    body: bytes, kind: str, flag: str | None, codes: tuple[str, ...], messages: tuple[str, ...]
) -> None:
    shape = read_error_shape(body, "application/json", server_message(body, "application/json"))
    assert shape is not None and shape.failed
    assert (shape.kind, shape.flag) == (kind, flag)
    assert set(codes) <= set(shape.codes) and set(messages) <= set(shape.messages), shape


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": null, "result": 1}',
        b'{"errors": []}',
        b'{"data": {"a": 1}}',
        b'{"ok": true}',
        b"[1, 2]",
        b'{"error": false}',
        b'{"status": "ok", "code": 0}',
        b'{"error": {}}',
        b"not json",
        b"",
        b'{"broken": ',
        b'{"status": 200, "code": 200}',
    ],
)
def test_no_error_shape(body: bytes) -> None:
    assert read_error_shape(body, "application/json", None) is None


def test_graphql_partial_data_and_paths() -> None:
    body = (
        b'{"data": {"me": {"id": 1}, "salary": null}, "errors": [{"message": "Not authorised!", '
        b'"path": ["salary", 0, "amount"], "extensions": {"code": "FORBIDDEN"}}]}'
    )
    shape = read_error_shape(body, "application/json", None)
    assert shape is not None and shape.partial_data and shape.paths == ("salary.0.amount",)
    assert "GraphQL" in shape.label
    assert (
        read_error_shape(
            b'{"data": null, "errors": [{"message": "x", "path": ["a"]}]}', None, None
        ).partial_data
        is False
    )  # type: ignore[union-attr]


def test_slack_needed_and_provided_scopes() -> None:
    shape = read_error_shape(
        b'{"ok": false, "error": "missing_scope", "needed": "chat:write", '
        b'"provided": "channels:read,users:read"}',
        None,
        None,
    )
    assert shape is not None and shape.needed_scopes == ("chat:write",)
    assert shape.granted_scopes == ("channels:read", "users:read")


# ------------------------------------------------------------------------------------------- SOAP faults

SOAP11 = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
    b'<faultcode xmlns:ns1="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    b"ns1:InvalidSecurityToken</faultcode><faultstring>An invalid security token was provided</faultstring>"
    b"</soap:Fault></soap:Body></soap:Envelope>"
)
SOAP12 = (
    b'<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
    b"<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>wsse:FailedAuthentication"
    b'</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">The security token could not '
    b"be authenticated or authorized</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"
)


@pytest.mark.parametrize(
    ("body", "ctype", "code", "message"),
    [
        (
            SOAP11,
            "text/xml; charset=utf-8",
            "ns1:InvalidSecurityToken",
            "An invalid security token was provided",
        ),
        (
            SOAP12,
            "application/soap+xml",
            "wsse:FailedAuthentication",
            "The security token could not be authenticated or authorized",
        ),
        (SOAP11, None, "ns1:InvalidSecurityToken", "An invalid security token was provided"),
    ],
)
def test_soap_faults(body: bytes, ctype: str | None, code: str, message: str) -> None:
    msg = server_message(body, ctype)
    assert msg is not None and (msg.shape, msg.code, msg.message) == ("soap", code, message)
    shape = read_error_shape(body, ctype, msg)
    assert shape is not None and shape.kind == "soap" and shape.failed
    w = classify(shape.codes, shape.messages)
    assert w is not None and w.verdict == "authentication"


def test_aws_xml_errors_are_still_read_as_before() -> None:
    msg = server_message(
        b"<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
        "application/xml",
    )
    assert msg is not None and (msg.shape, msg.code) == ("xml", "ExpiredToken")


@pytest.mark.parametrize("unit", [b"<soap:Fault>", b"<faultcode ", b"<env:Code><env:Value>", b"<Fault "])
def test_soap_parsing_is_linear(unit: bytes) -> None:
    def cpu(n: int) -> float:
        body = b"<soap:Envelope>" + unit * n
        best = float("inf")
        for _ in range(3):
            start = time.thread_time()
            server_message(body, "text/xml")
            best = min(best, time.thread_time() - start)
        return best

    n = 200
    while cpu(n) < 0.004 and n < 400_000:
        n *= 2
    small, large = cpu(n), cpu(n * 10)
    assert large < 30 * max(small, 1e-4), (unit, small, large)
