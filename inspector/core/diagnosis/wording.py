"""Families of wording: how servers word each kind of refusal, in one table every rule shares.

The same failure is worded differently by every vendor ("Token has expired", "JWTExpired", `token_expired`,
"Access token has expired or is not yet valid", `ExpiredToken`). A family gathers those wordings, says which
verdict they argue for and what to do about them. A new vendor's wording is one row in CODES or WORDS, never a
new rule: the status-based rules (is this 403 about who you are?), the body-based ones (is this 200 a
refusal?) and the rate-limit rule all read this table.

Families are listed by precedence: when a response says several things ("permission denied" and "invalid
token", as Vault does; "not authorized to perform" and "explicit deny", as AWS IAM does), the first family in
FAMILIES wins, so the most specific reason speaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inspector.core.diagnosis.findings import Verdict

MAX_TEXT = 2000  # only this much of a message is read: the wording that matters comes first


@dataclass(frozen=True)
class Family:
    """One kind of refusal: the verdict its wordings argue for, what they mean, and what to do."""

    name: str
    verdict: Verdict
    means: str  # completes "the server says ..." (lower case, no final stop)
    next_step: str


FAMILIES: tuple[Family, ...] = (
    # Gateways that answer an unknown route as if credentials were missing (checked first: the words say
    # "missing token", the cause is the path).
    Family(
        "endpoint",
        "not-credential-related",
        "no route matches this method and path (a gateway's way of saying 404)",
        "Check the method, the path and the stage against the deployed API, and deploy the latest changes.",
    ),
    Family(
        "rate",
        "not-credential-related",
        "a rate limit or quota was hit",
        "Wait and retry with fewer requests.",
    ),
    Family(
        "expired",
        "authentication",
        "the token, session or signature has expired",
        "Get a new token (sign in again or refresh it) and resend.",
    ),
    Family(
        "not-yet-valid",
        "authentication",
        "the token is not valid yet",
        "Check the clocks of the issuer and of this machine; wait, or get a new token.",
    ),
    Family(
        "audience",
        "authentication",
        "the token was issued for another audience",
        "Request the token for this API's audience (the audience or resource parameter of the token "
        "request).",
    ),
    Family(
        "issuer",
        "authentication",
        "the token comes from an issuer this API does not trust",
        "Get the token from the issuer this API trusts (check the tenant, the realm and a trailing slash).",
    ),
    Family(
        "unknown-key",
        "authentication",
        "no key the server knows matches the token's key id",
        "Get a new token: the issuer may have rotated its keys, or the token comes from another issuer.",
    ),
    Family(
        "signature",
        "authentication",
        "the signature does not verify",
        "Check that the token or request is signed by the expected issuer with its current key.",
    ),
    Family(
        "revoked",
        "authentication",
        "the token or key was revoked, or its account deactivated",
        "Create a new token or key (the old one will not come back) and resend.",
    ),
    Family(
        "invalid-key",
        "authentication",
        "the token, key or credentials are not valid",
        "Check that the credential is complete and current, for this environment (test or live, region), "
        "and sent where the API expects it.",
    ),
    Family(
        "missing-credentials",
        "authentication",
        "no credentials reached it",
        "Send the credentials the API expects (the header, query parameter or cookie its documentation "
        "names).",
    ),
    Family(
        "csrf",
        "authentication",
        "the CSRF token is missing or does not match the session",
        "Send the CSRF token the site set (its cookie or form field) back in the header or field it expects.",
    ),
    Family(
        "unauthenticated",
        "authentication",
        "it could not authenticate the caller",
        "Check the credentials and how they are sent (scheme, header name, environment).",
    ),
    Family(
        "scope",
        "authorization",
        "the token lacks a scope this request needs",
        "Request a token with the scope the API names (and make sure the client may be granted it).",
    ),
    Family(
        "policy",
        "authorization",
        "a policy refused the request (an explicit deny, an IP allow-list, conditional access, SSO "
        "enforcement)",
        "Ask the owners which policy refused it; a new token will not help until the policy allows it.",
    ),
    Family(
        "permission",
        "authorization",
        "this identity lacks the permission or role for this request",
        "Ask the API owners to grant this identity access to the resource.",
    ),
)
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
_RANK: dict[str, int] = {f.name: i for i, f in enumerate(FAMILIES)}

# Error codes, normalised by normalize_code (lower case, letters and digits only, namespace prefix dropped):
# one row per code, with who sends it.
CODES: dict[str, str] = {
    # endpoint
    "missingauthenticationtokenexception": "endpoint",  # AWS API Gateway x-amzn-ErrorType
    # rate
    "ratelimited": "rate",  # Slack
    "ratelimiterror": "rate",  # Stripe error type
    "throttled": "rate",  # Shopify GraphQL
    "throttlingexception": "rate",  # AWS
    "toomanyrequests": "rate",  # Docker registry
    "requestlimitexceeded": "rate",  # AWS EC2
    # expired
    "tokenexpired": "expired",  # Slack token_expired, Microsoft
    "expiredtoken": "expired",  # AWS STS / S3
    "expiredtokenexception": "expired",  # AWS
    "accesstokenexpired": "expired",  # NetSuite
    "jwtexpired": "expired",  # Hasura, jose
    "errjwtexpired": "expired",  # panva/jose ERR_JWT_EXPIRED
    "sessionexpired": "expired",
    "expired": "expired",
    "messageexpired": "expired",  # WS-Security wsu:MessageExpired
    "oauthaccesstokenexpired": "expired",  # Snowflake
    "expiredauthentication": "expired",  # HubSpot category EXPIRED_AUTHENTICATION
    # not yet valid
    "tokennotyetvalid": "not-yet-valid",
    "jwtimmature": "not-yet-valid",
    # audience
    "invalidauthenticationtokenaudience": "audience",  # Azure Resource Manager
    "invalidaudience": "audience",
    "audiencemismatch": "audience",
    # issuer
    "invalidauthenticationtokentenant": "issuer",  # Azure: token from another tenant
    "invalidissuer": "issuer",
    # signature
    "signaturedoesnotmatch": "signature",  # AWS S3 / SigV4
    "incompletesignature": "signature",  # AWS
    "invalidsignature": "signature",  # NetSuite
    "failedcheck": "signature",  # WS-Security wsse:FailedCheck
    "jwsinvalidsignature": "signature",  # Hasura
    "badsignature": "signature",
    "signatureinvalid": "signature",
    # unknown key
    "invalidaccesskeyid": "unknown-key",  # AWS: the access key id does not exist
    "securitytokenunavailable": "unknown-key",  # WS-Security
    "nomatchingkey": "unknown-key",
    "unknownkid": "unknown-key",
    "kidnotfound": "unknown-key",
    "signingkeynotfound": "unknown-key",
    # revoked
    "tokenrevoked": "revoked",  # Slack
    "accountinactive": "revoked",  # Slack: the token's user or workspace was deleted
    "apikeyrevoked": "revoked",
    # invalid credentials
    "invalidtoken": "invalid-key",  # RFC 6750 (the description, when there is one, says more)
    "invalidauth": "invalid-key",  # Slack
    "invalidclient": "invalid-key",  # RFC 6749
    "invalidgrant": "invalid-key",  # RFC 6749
    "invalidauthenticationtoken": "invalid-key",  # Microsoft Graph
    "invalidsessionid": "invalid-key",  # Salesforce INVALID_SESSION_ID
    "invalidclienttokenid": "invalid-key",  # AWS
    "unrecognizedclientexception": "invalid-key",  # AWS
    "authfailure": "invalid-key",  # AWS EC2
    "invalidkey": "invalid-key",  # Mailchimp Transactional (Mandrill) Invalid_Key
    "invalidapikey": "invalid-key",  # Zulip INVALID_API_KEY, many SaaS
    "apikeyinvalid": "invalid-key",  # Google API_KEY_INVALID
    "invalidjwt": "invalid-key",  # Hasura invalid-jwt
    "invalidsecuritytoken": "invalid-key",  # WS-Security
    "invalidsecurity": "invalid-key",  # WS-Security
    "unsupportedsecuritytoken": "invalid-key",  # WS-Security
    "invalidcredentials": "invalid-key",  # Onfleet, Microsoft Advertising
    "badcredentials": "invalid-key",
    "e0000011": "invalid-key",  # Okta: Invalid token provided
    "e0000004": "invalid-key",  # Okta: Authentication failed
    "tokenrejected": "invalid-key",  # NetSuite: a refresh token used to log in
    "tokeninvalid": "invalid-key",
    "notallowedtokentype": "invalid-key",  # Slack: a token of the wrong type
    # missing credentials
    "notauthed": "missing-credentials",  # Slack not_authed
    "missingauthenticationtoken": "missing-credentials",
    "missingapikey": "missing-credentials",
    "credentialsrequired": "missing-credentials",  # express-jwt
    "securitytokenmissing": "missing-credentials",
    # CSRF
    "csrffailed": "csrf",
    "csrftokenmismatch": "csrf",
    "invalidcsrftoken": "csrf",
    # generic "not authenticated"
    "unauthenticated": "unauthenticated",  # gRPC / Google / Apollo GraphQL
    "authenticationerror": "unauthenticated",  # Stripe error type, Microsoft Advertising
    "authenticationfailed": "unauthenticated",  # Azure Storage
    "failedauthentication": "unauthenticated",  # WS-Security wsse:FailedAuthentication
    "invalidauthentication": "unauthenticated",  # HubSpot category INVALID_AUTHENTICATION
    "notauthenticated": "unauthenticated",  # Django REST framework
    "authenticationrequired": "unauthenticated",
    # scope
    "insufficientscope": "scope",  # RFC 6750
    "missingscope": "scope",  # Slack missing_scope
    "missingscopes": "scope",  # HubSpot category MISSING_SCOPES
    "insufficientscopes": "scope",  # GitHub GraphQL INSUFFICIENT_SCOPES
    "accesstokenscopeinsufficient": "scope",  # Google ACCESS_TOKEN_SCOPE_INSUFFICIENT
    "invalidscope": "scope",  # RFC 6749
    # permission
    "forbidden": "permission",  # Apollo GraphQL FORBIDDEN, GitHub GraphQL type FORBIDDEN
    "permissiondenied": "permission",  # gRPC / Google PERMISSION_DENIED
    "permissionerror": "permission",  # Stripe permission_error
    "accessdenied": "permission",  # Shopify ACCESS_DENIED, Hasura access-denied, S3 AccessDenied
    "authorizationfailed": "permission",  # Azure Resource Manager
    "authorizationrequestdenied": "permission",  # Microsoft Graph Authorization_RequestDenied
    "erroraccessdenied": "permission",  # Microsoft Graph / Exchange
    "insufficientpermissions": "permission",
    "notauthorized": "permission",  # PayPal NOT_AUTHORIZED
    "denied": "permission",  # Docker registry DENIED
    "e0000006": "permission",  # Okta: You do not have permission
    "unauthorizedclient": "permission",  # RFC 6749: the client may not use this grant
    "nopermission": "permission",  # Slack no_permission
    "teamaccessnotgranted": "permission",  # Slack
    # policy
    "accessdeniedexception": "policy",  # AWS IAM (an explicit deny or no allow)
    "authorizationpermissionmismatch": "policy",  # Azure Storage RBAC
    "ipnotallowed": "policy",
    "ekmaccessdenied": "policy",  # Slack: Enterprise Key Management revoked access
    "conditionalaccess": "policy",
}

# Words, one row per wording (a case-insensitive regular expression without unbounded repetition), with who
# says it. Searched in messages, descriptions and faults.
WORDS: tuple[tuple[str, str], ...] = (
    # endpoint
    ("endpoint", r"missing authentication token"),  # AWS API Gateway
    ("endpoint", r"unable to determine service/operation name"),  # AWS: SigV4 sent to the wrong endpoint
    # rate
    ("rate", r"rate[ -]?limit|too many requests|throttl"),  # GitHub, most gateways
    ("rate", r"quota (has been )?exceeded|exceeded .{0,30}quota"),  # Google
    # expired
    ("expired", r"\b(token|jwt|signature|session|credentials?|key|assertion|cookie|grant|password)s? "
                r"(has |have |is |are |was )?(already )?(been )?expired"),  # most vendors
    ("expired", r"\bexpired (access |auth |bearer |api |security |session )?"
                r"(token|jwt|session|key|signature)"),  # "Expired token"
    ("expired", r"\brequest has expired|\bsignature expired"),  # AWS SigV4
    ("expired", r"jwt ?expired|\btoken (has )?expired"),  # jsonwebtoken, Hasura JWTExpired
    ("expired", r"\bexpired at \d|lifetime validation failed|idx10223"),  # Spring, Microsoft identity
    ("expired", r"\btoken is not active"),  # Keycloak
    ("expired", r"\bsession (has )?timed out"),
    ("expired", r"\bexpired \d+ ?(s|sec|second|min|minute|h|hour|d|day)"),  # HubSpot "expired 3 hour(s) ago"
    # not yet valid
    ("not-yet-valid", r"not (yet )?valid (yet|before)|\bnot yet valid"),
    ("not-yet-valid", r"immature signature|used before (issued|nbf)|\bnbf\b"),  # PyJWT
    ("not-yet-valid", r"idx10222|jwt not active"),  # Microsoft identity, jsonwebtoken
    # audience
    # jsonwebtoken "jwt audience invalid", Entra "Audience validation failed"
    ("audience", r"\baudiences?\b.{0,60}\b(invalid|mismatch|not (allowed|accepted|valid|match))"),
    ("audience", r"\b(invalid|wrong|bad|unexpected|unknown) ['\"]?aud(ience)?\b"),  # Auth0, Microsoft Graph
    ("audience", r"idx10214|audience validation failed"),  # Microsoft identity
    ("audience", r"obtained for wrong audience|aud claim"),  # Azure Resource Manager
    ("audience", r"\b(different|another|other|wrong) audience"),
    # issuer
    ("issuer", r"\bissuer\b.{0,60}\b(invalid|mismatch|not (trusted|allowed|accepted|valid))"),  # jsonwebtoken
    ("issuer", r"\b(invalid|wrong|bad|unexpected|untrusted|unknown) ['\"]?iss(uer)?\b"),
    ("issuer", r"idx10205|issuer validation failed|\biss claim"),  # Microsoft identity
    ("issuer", r"another tenant|wrong tenant"),  # Azure
    ("issuer", r"\b(different|another|other|wrong|untrusted) (token )?issuer"),
    # unknown key
    ("unknown-key", r"\b(no|unable to find an?|cannot find an?|could not find an?) (matching |suitable )?"
                    r"(signing |verification |public )?keys? (found )?(matching|matches|that matches|"
                    r"for)"),
    ("unknown-key", r"\b(signing|public|verification|jwk|jwks) key (was )?not found"),
    ("unknown-key", r"\bkey id .{0,40}not found"),
    ("unknown-key", r"\bunknown (kid|key id|signing key)|\bkid\b.{0,40}\b(not found|unknown|no match)"),
    ("unknown-key", r"idx10501|idx10516|unable to match key"),  # Microsoft identity
    ("unknown-key", r"access key id you provided does not exist"),  # AWS S3 InvalidAccessKeyId
    # signature
    ("signature", r"\bsignature (verification|validation|check) (has )?failed"),  # Flask-JWT-Extended
    ("signature", r"\b(invalid|bad) signature|\bsignature (is invalid|is not valid)"),  # jsonwebtoken, PayPal
    ("signature", r"\bsignature (does not match|did not match|mismatch)|idx10503"),  # AWS, Azure Storage
    ("signature", r"\bsignature .{0,30}does not match the signature"),  # AWS S3 SignatureDoesNotMatch
    ("signature", r"jwsinvalidsignature|could not verify (the )?(jwt|token) signature"),  # Hasura
    ("signature", r"jwt signature is required|\binvalid algorithm"),  # jsonwebtoken: alg none
    # revoked
    ("revoked", r"\b(token|key|session|credentials?|grant)s? (has |have |was |were )?(been )?revoked"),
    ("revoked", r"\brevoked (token|key|session)"),
    ("revoked", r"\b(account|user|key|token) (is |has been |was )?(deactivated|disabled|suspended)"),
    # invalid credentials
    ("invalid-key", r"\b(invalid|bad|incorrect|wrong) (access |auth |authentication |bearer |security |"
                    r"session |oauth |id )?(token|jwt|credentials?|session id)\b"),  # many vendors
    ("invalid-key", r"\b(invalid|bad|incorrect|wrong|unknown|unrecognized) (api|access|auth|subscription|"
                    r"secret|client|app|application|developer|license|signing) ?key\b"),  # Stripe, Azure APIM
    ("invalid-key", r"\b(api key|token|access token|credentials?|jwt|session id)( provided| supplied| you "
                    r"provided| used)? (is |are |was )?(invalid|not valid|malformed|incorrect|unknown|"
                    r"not recogni[sz]ed)"),  # Google, Stripe
    ("invalid-key", r"\bapi key (was )?not found"),
    # Cloudflare "Invalid format for Authorization header"
    ("invalid-key", r"\b(invalid|malformed|bad) (format (for|of) )?(the )?authori[sz]ation header"),
    ("invalid-key", r"bad credentials|could not validate credentials"),  # GitHub, FastAPI
    ("invalid-key", r"not enough segments|wrong number of segments|invalid header padding"),  # PyJWT
    ("invalid-key", r"token has wrong type|only non-refresh tokens"),  # Flask-JWT-Extended
    ("invalid-key", r"security token included in the request is (invalid|expired)"),  # AWS
    ("invalid-key", r"unrecognized login or wrong password"),  # Shopify
    ("invalid-key", r"access token validation failure"),  # Microsoft Graph
    ("invalid-key", r"invalid, expired,? or revoked"),  # SendGrid
    ("invalid-key", r"could not verify jwt|jwt malformed|jwt must be provided"),  # Hasura, jsonwebtoken
    # missing credentials
    ("missing-credentials", r"\bmissing (the )?(authentication|auth|api|access|bearer|subscription|session|"
                            r"authorization) (key|token|credentials?|header|cookie)\b"),  # Azure APIM
    ("missing-credentials", r"\bmissing (credentials|(access |bearer |auth |api |jwt )?token)\b"),
    ("missing-credentials", r"\bno (api key|token|credentials?|authorization header|authentication token|"
                            r"auth token|bearer token|authorization token|session)s? (was |were )?"
                            r"(provided|found|supplied|given|present)"),  # Kong, express-jwt
    ("missing-credentials", r"credentials (were )?(not provided|not found)"),  # Django REST, HubSpot
    ("missing-credentials", r"(authentication|authorization|login|auth) (header |credentials? )?"
                            r"(is )?required"),  # Spring, Docker registry
    ("missing-credentials", r"\bnot authenticated|must (be )?(logged|signed) in"),  # FastAPI, kubectl
    ("missing-credentials", r"you need to sign in"),  # GitLab (Devise)
    ("missing-credentials", r"request is missing required authentication"),  # Google
    # CSRF
    ("csrf", r"\bcsrf|\bxsrf|authenticity token|cross-site request forgery"),  # Django, Laravel, Rails
    # generic "not authenticated"
    ("unauthenticated", r"\bunauthenticated\b|authentication (has )?failed|failed to authenticate"),
    ("unauthenticated", r"(could not|couldn't|cannot|unable to) authenticate"),  # Zendesk
    ("unauthenticated", r"authentication error"),  # Cloudflare
    # scope
    ("scope", r"\binsufficient[_ ](authentication )?scopes?"),  # Google, Auth0
    ("scope", r"\bmissing[_ ](required )?scopes?|\brequired scopes?\b"),  # Slack, HubSpot
    ("scope", r"scopes? (does not|do not|doesn't|don't) match"),  # Atlassian
    ("scope", r"access scopes?\b"),  # Shopify
    ("scope", r"not been granted the required scopes"),  # GitHub GraphQL
    ("scope", r"(lacks|requires|needs) (the |a |an )?.{0,40}\bscopes?\b"),
    ("scope", r"\bscope .{0,40}(is )?(required|missing|not granted)"),
    ("scope", r"higher privileges than provided by the access token"),  # GitLab
    # permission
    ("permission", r"\bpermission denied|\bpermission_denied"),  # Vault, Google
    ("permission", r"\b(do|does|did) not have (the )?(required |necessary |sufficient )?"
                   r"(permissions?|privileges|access|rights|authorization)"),  # Google, Stripe, Azure
    ("permission", r"\binsufficient (privileges|permissions|rights|access)"),  # Microsoft Graph, PayPal
    ("permission", r"\bnot (authorized|authorised|allowed|permitted) to (perform|access|do|use|view|read|"
                   r"write|call)"),  # AWS IAM
    # Kubernetes RBAC
    ("permission", r"\bis forbidden: user|\bcannot (get|list|create|update|delete|patch|watch) resource"),
    ("permission", r"access (is )?denied (for|to)\b"),  # Shopify
    ("permission", r"requested access to the resource is denied"),  # Docker registry
    # policy
    ("policy", r"explicit deny|denied by (an? )?(policy|rule)"),  # AWS IAM
    ("policy", r"(blocked|denied) by .{0,30}polic(y|ies)"),
    ("policy", r"conditional access"),  # Microsoft Entra
    ("policy", r"\bip address .{0,60}\bnot (allowed|authorized|permitted|whitelisted)"),
    ("policy", r"\bip (allow ?list|whitelist|restriction)"),
    ("policy", r"saml enforcement|sso enforcement"),  # GitHub
)

# Words that only echo a status line. In a 4xx they say nothing the status does not; inside a 2xx's error
# container they are the one thing that says the call was refused ({"ok": false, "error": "unauthorized"}).
GENERIC_WORDS: tuple[tuple[str, str], ...] = (
    ("unauthenticated", r"\bunauthori[sz]ed\b|\bauthori[sz]ation (failed|required)\b"),
    ("permission", r"\bforbidden\b|\baccess(_| is | )denied\b|\bnot (allowed|permitted|authori[sz]ed)\b"),
    ("permission", r"\bno[_ ]permissions?\b|\bnot[_ ]allowed\b"),
)
_GENERIC: tuple[tuple[str, re.Pattern[str]], ...] = tuple((f, re.compile(p, re.I)) for f, p in GENERIC_WORDS)
# The family an HTTP status stated inside a 2xx body stands for ({"code": 403, "msg": "..."})
_STATUS_FAMILY = {401: "unauthenticated", 403: "permission", 407: "unauthenticated"}

_COMPILED: dict[str, re.Pattern[str]] = {
    family.name: re.compile("|".join(f"(?:{p})" for f, p in WORDS if f == family.name) or "(?!)", re.I)
    for family in FAMILIES
}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Wording:
    """What the server's words were classified as: the family, and the code or words that decided it."""

    family: Family
    said: str  # the code as sent, or the words that matched
    source: str  # "code" | "message"

    @property
    def verdict(self) -> Verdict:
        return self.family.verdict


def normalize_code(code: str) -> str:
    """'TOKEN_EXPIRED', 'token-expired', 'sf:INVALID_SESSION_ID' -> 'tokenexpired', 'invalidsessionid'."""
    text = code.strip()
    if ":" in text and "//" not in text:  # a namespace prefix (SOAP's wsse:, sf:), not a URL
        text = text.rsplit(":", 1)[1]
    return _NON_ALNUM.sub("", text.lower())[:80]


def code_family(code: str) -> Family | None:
    """The family an error code belongs to, or None. A dotted code is also read by its last part
    (Apigee's oauth.v2.InvalidApiKey is InvalidApiKey)."""
    name = CODES.get(normalize_code(code))
    if name is None and "." in code:
        name = CODES.get(normalize_code(code.rsplit(".", 1)[1]))
    return BY_NAME[name] if name else None


def message_family(text: str) -> tuple[Family, str] | None:
    """The first family (by precedence) whose wording the text holds, with the words that matched."""
    sample = text[:MAX_TEXT]
    for family in FAMILIES:
        m = _COMPILED[family.name].search(sample)
        if m:
            return family, m.group(0)
    return None


_EXPECTED_RE = re.compile(r"\bexpected:?\s+['\"]?([^\s'\",;]{1,300})")


def expected_value(text: str | None) -> str | None:
    """The value a server says it expected ("jwt audience invalid. expected: api://billing"), or None."""
    m = _EXPECTED_RE.search(text[:MAX_TEXT]) if text else None
    return m.group(1).rstrip(".") if m else None


def says(family_name: str, text: str | None) -> bool:
    """Whether the text holds this family's wording (whatever else it says)."""
    return text is not None and _COMPILED[family_name].search(text[:MAX_TEXT]) is not None


def classify_generic(
    codes: Iterable[str], messages: Iterable[str | None], status: int | None
) -> Wording | None:
    """For a 2xx's error container only: the generic words ("unauthorized", "forbidden", "access denied") or
    an HTTP status the body states itself, when nothing more specific was said."""
    texts: list[str] = [*codes, *(m for m in messages if m)]
    for text in texts:
        sample = text[:MAX_TEXT].replace("_", " ")
        for name, rx in _GENERIC:
            m = rx.search(sample)
            if m:
                return Wording(BY_NAME[name], m.group(0), "message")
    by_status = _STATUS_FAMILY.get(status or 0)
    return Wording(BY_NAME[by_status], str(status), "code") if by_status else None


def classify(codes: Iterable[str], messages: Iterable[str | None]) -> Wording | None:
    """The most specific family among the error codes and the messages; None when nothing is recognised."""
    found: list[Wording] = []
    for code in codes:
        family = code_family(code) if code else None
        if family is not None:
            found.append(Wording(family, code.strip(), "code"))
    for text in dict.fromkeys(m for m in messages if m):  # the same sentence often comes from two places
        hit = message_family(text)
        if hit is not None:
            found.append(Wording(hit[0], hit[1], "message"))
    if not found:
        return None
    # the most specific family; between a code and words of the same family, the words (they say more)
    return min(found, key=lambda w: (_RANK[w.family.name], w.source == "code"))
