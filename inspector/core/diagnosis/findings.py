"""The finding catalogue: for each id its severity, wording, family and rank in the summary, in one place.

A finding's family is the verdict it is evidence for (`token-expired` argues for `authentication`); findings
without a family inform but do not decide. Among the findings present, the one with the lowest priority whose
family (or `leads`) is the verdict speaks for the summary, and comes first in the list: the banner and the
first finding tell the same story. A generic finding is dropped when a more specific one that explains it is
present (`explained_by`: no credentials reached the final hop *because* a redirect stripped them). Adding a
finding means one entry here and one rule in a module of `rules/`.

Templates use str.format fields filled from the values the explainer passes; a value that is missing renders
as '?' rather than raising, so a wording change can never crash an explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

Verdict = Literal[
    "ok",
    "authentication",
    "authorization",
    "step-up",
    "proxy-authentication",
    "not-credential-related",
    "transport-error",
]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)


@dataclass(frozen=True)
class Finding:
    id: str  # a stable id from the catalogue in shared/specs/explainer.md
    severity: Severity
    title: str
    detail: str  # plain language, may name values from evidence
    evidence: Mapping[str, object] = field(default_factory=dict)  # JSON-serialisable values it was drawn from
    next_step: str = ""  # what the user can do about it
    summary: str = ""  # the diagnosis summary when this finding leads it (one sentence)


@dataclass(frozen=True)
class FindingSpec:
    """One catalogue entry: how a finding is worded, and what it means for the verdict and the summary."""

    severity: Severity  # the usual severity; a rule may choose another (clock-skew is an error above 300 s)
    title: str  # template
    detail: str  # template
    next_step: str  # template
    summary: str  # the one-sentence summary when this finding leads the diagnosis (template)
    family: Verdict | None = None  # the verdict this finding is evidence for; None: it informs, never decides
    priority: int | None = None  # rank when choosing the finding that leads the summary (lowest first)
    leads: Verdict | None = None  # the verdict whose summary it may lead when it has no family of its own
    # Findings that explain this one more precisely: when one of them is present, this one is not emitted.
    explained_by: tuple[str, ...] = ()

    @property
    def summary_verdict(self) -> Verdict | None:
        """The verdict whose summary this finding may lead; None when it never leads one."""
        return (self.family or self.leads) if self.priority is not None else None


CATALOGUE: dict[str, FindingSpec] = {
    "no-credentials": FindingSpec(
        "error",
        "No credentials were sent",
        "The final request carried no Authorization header, no API key and no session cookie.",
        "Choose an auth profile or add the Authorization header (or the API key the service expects).",
        "The request carried no credentials, so the server does not know who you are.",
        family="authentication",
        priority=32,
        # the user did send them: the redirect dropped them, and that is what to fix
        explained_by=("credentials-stripped-on-redirect",),
    ),
    "credentials-stripped-on-redirect": FindingSpec(
        "error",
        "Credentials were dropped on a redirect to another origin",
        "The request to {from_origin} carried {names}, but it was redirected to {to_origin}, a "
        "different origin, "
        "and credentials are not forwarded across origins.",
        "Send the request to {to_origin} directly (the URL after the redirect), or fix the base URL.",
        "Your credentials were dropped when {from_origin} redirected the request to {to_origin}.",
        family="authentication",
        priority=30,
    ),
    "netrc-override": FindingSpec(
        "error",
        "A .netrc entry replaced your Authorization header",
        "An entry for {host} in your .netrc file was used instead of the Authorization header you "
        "set{schemes}.",
        "Remove or fix the {host} entry in ~/.netrc, or send with a profile.",
        "A .netrc entry for {host} replaced the Authorization header you set.",
        family="authentication",
        priority=31,
    ),
    "credentials-over-http": FindingSpec(
        "warning",
        "Credentials were sent over plain HTTP",
        "{names} went to {url} without TLS: anyone on the path can read them, and many servers refuse them.",
        "Use https:// for this host, and consider the credential exposed.",
        "Your credentials were sent over plain HTTP to {host}.",
    ),
    "scheme-mismatch": FindingSpec(
        "error",
        "The server does not accept the '{sent}' scheme",
        "You sent '{sent}' credentials; the server challenged with {challenged}.",
        "Send the credentials with the {challenged} scheme (check the profile kind).",
        "You sent {sent} credentials but the server only accepts {challenged}.",
        family="authentication",
        priority=34,
        explained_by=("dpop-required",),  # says the same, and how to send the DPoP proof
    ),
    "malformed-authorization": FindingSpec(
        "error",
        "The Authorization header is malformed",
        "{problem}.",
        "Send 'Authorization: <Scheme> <credentials>' with exactly one scheme and the bare token.",
        "The Authorization header is malformed: {problem_lower}.",
        family="authentication",
        priority=33,
    ),
    "missing-challenge": FindingSpec(
        "warning",
        "A 401 without WWW-Authenticate",
        "RFC 9110 §15.5.2 requires a 401 to say which scheme it wants in WWW-Authenticate; this "
        "server did not, "
        "so the explanation leans on the body and the token.",
        "Ask the API owners which scheme it expects, or look at its documentation.",
        "The server refused with 401 but did not say how it wants you to authenticate.",
    ),
    "refusal-in-success-body": FindingSpec(
        "error",
        "A refusal inside a {status} response",
        "The server answered {status}, but its {where} says the request was refused: {said}. That means "
        "{means}.{partial}",
        "{next_step}",
        "The server answered {status} but refused the request in its body: {said}, meaning {means}.",
    ),
    "endpoint-not-found-likely": FindingSpec(
        "warning",
        "The gateway probably has no such route",
        "The gateway answered {status} \u201c{message}\u201d{header_part}. API gateways such as Amazon API "
        "Gateway answer this, instead of 404, for a method and path they have no route for. "
        "{credentials_part}",
        "Check the method ({method}), the path and the stage against the deployed API (base path mappings, "
        "a trailing slash), and deploy the latest changes.",
        "The gateway says \u201c{message}\u201d, which usually means that {method} {path} is not deployed, "
        "not that credentials are missing.",
        leads="not-credential-related",
        priority=65,
    ),
    "server-error-code": FindingSpec(
        "info",
        "The server named the error {code}",
        "{description_part}{status_part}",
        "{next_step_part}{uri_part}",
        "The server reports '{code}'.",
    ),
    "server-message": FindingSpec(
        "info",
        "The server's message",
        "\u201c{message}\u201d",
        "{next_step}",
        "The server says: \u201c{message}\u201d.",
    ),
    "token-expired": FindingSpec(
        "error",
        "The token has expired",
        "Its exp is {expires_at}; it {phrase}.",
        "Get a new token (sign in again or refresh it) and resend.",
        "Your token {phrase}.",
        family="authentication",
        priority=38,
    ),
    "token-near-expiry": FindingSpec(
        "warning",
        "The token was about to expire",
        "It {phrase}; it may have expired while the request was in flight.",
        "Refresh tokens shortly before they expire.",
        "Your token {phrase}, so it may have expired in flight.",
        priority=90,
        leads="authentication",
        explained_by=("token-expired",),
    ),
    "token-not-yet-valid": FindingSpec(
        "error",
        "The token is not valid yet",
        "{phrase}.",
        "Check the clock of the machine that issued the token and of this one; wait, or get a new token.",
        "Your token is not valid yet: {phrase_lower}.",
        family="authentication",
        priority=39,
    ),
    "clock-skew": FindingSpec(
        "warning",
        "Your clock differs from the server's",
        "Your clock is {amount} {side} the server's (by its Date header); time checks here use the "
        "server's clock.",
        "Synchronise this machine's clock (NTP).",
        "Your clock is {amount} {side} the server's.",
        priority=91,
        leads="authentication",
    ),
    "audience-mismatch": FindingSpec(
        "error",
        "The token is for another audience",
        "Expected audience {expected}; the token's aud is {actual}.{difference}",
        "Request the token for audience {expected} (the resource/audience parameter of the token request).",
        "Your token is for {actual}, not {expected}.",
        family="authentication",
        priority=41,
    ),
    "issuer-mismatch": FindingSpec(
        "error",
        "The token comes from another issuer",
        "Expected issuer {expected}; the token's iss is {actual}. {difference}",
        "Get the token from the expected issuer, or fix the issuer expected by the profile.",
        "Your token was issued by {actual}, not {expected}.",
        family="authentication",
        priority=42,
    ),
    "insufficient-scope": FindingSpec(
        "error",
        "The token lacks a required scope",
        "{detail}",
        "Request a token with {missing_or_required} (and make sure the client may be granted it).",
        "Your token lacks the scope this request needs{missing_suffix}.",
        family="authorization",
        priority=60,
    ),
    "id-token-as-access-token": FindingSpec(
        "error",
        "An ID token was sent as an access token",
        "The token looks like an OpenID Connect ID token ({why}); APIs expect an access token.",
        "Send the access_token from the token response, not the id_token.",
        "You sent an ID token; the API expects an access token.",
        family="authentication",
        priority=36,
    ),
    "wrong-token-type": FindingSpec(
        "error",
        "This is not an access token",
        "The token's type is {kind} ({why}).",
        "Send an access token; exchange a refresh token for one first.",
        "You sent a {kind} token where an access token is expected.",
        family="authentication",
        priority=37,
    ),
    "step-up-required": FindingSpec(
        "error",
        "A stronger or more recent login is required",
        "{detail}",
        "Sign in again with the required method (acr_values/max_age) and send the new token.",
        "You are signed in, but the server requires {need}.",
        family="step-up",
        priority=20,
    ),
    "dpop-required": FindingSpec(
        "error",
        "The server requires DPoP",
        "{why}.",
        "Send the token with 'Authorization: DPoP <token>' and a DPoP proof header (with the "
        "server's nonce).",
        "The token must be sent with DPoP: {why_lower}.",
        family="authentication",
        priority=43,
    ),
    "unsigned-token": FindingSpec(
        "error",
        "The token is unsigned",
        "{why}: no server should accept it.",
        "Get a token from the real issuer; never accept alg 'none'.",
        "Your token is unsigned ({why_lower}).",
        family="authentication",
        priority=35,
    ),
    "suspicious-token-header": FindingSpec(
        "warning",
        "The token header has unusual fields",
        "{why}.",
        "Check where the token came from; servers should ignore jku/x5u/jwk and fix algorithms per key.",
        "The token header looks suspicious: {why_lower}.",
    ),
    "signature-invalid": FindingSpec(
        "error",
        "The signature does not verify",
        "{why}",
        "Check that the token comes from the expected issuer and that the key or JWKS is the "
        "issuer's current one.",
        "Your token's signature does not verify against {source}.",
        family="authentication",
        priority=40,
    ),
    "encrypted-token": FindingSpec(
        "info",
        "The token is encrypted (JWE)",
        "Its claims cannot be read without the decryption key; only the header is shown.",
        "",
        "The token is encrypted, so its claims cannot be checked here.",
    ),
    "opaque-token": FindingSpec(
        "info",
        "The token is opaque",
        "It is not a JWT, so its claims cannot be read here; only the server can introspect it.",
        "Ask the issuer's introspection endpoint (RFC 7662) about it if you can.",
        "The token is opaque, so its claims cannot be checked here.",
        # 'Bearer Bearer x' sends the value 'Bearer x': calling it an opaque token would mislead
        explained_by=("malformed-authorization",),
    ),
    "basic-charset": FindingSpec(
        "warning",
        "Basic credentials are not UTF-8",
        'The server asked for charset="UTF-8" but the user name or password holds non-ASCII bytes that are '
        "not valid UTF-8.",
        "Encode the user name and password as UTF-8 before base64.",
        "Your Basic credentials are not encoded as UTF-8 as the server asked.",
        priority=50,
        leads="authentication",
    ),
    "authenticated-not-permitted": FindingSpec(
        "info",
        "Authenticated, but not permitted",
        "The credentials look healthy and no scope is named: the refusal is about roles, an ACL, the tenant, "
        "an IP allow-list or a policy.",
        "Ask the API owners to grant this identity access to the resource.",
        "The server knows who you are but does not let you do this{reason_suffix}.",
        family="authorization",
        priority=80,
    ),
    "rate-limited": FindingSpec(
        "info",
        "Rate limited",
        "{why}. This is not a credential problem.",
        "Wait{retry_part} and retry with fewer requests.",
        "You are rate limited, which is not a credential problem{retry_suffix}.",
        family="not-credential-related",
        priority=70,
    ),
    "proxy-auth-required": FindingSpec(
        "error",
        "A proxy wants credentials",
        "A proxy between you and the API answered 407 and challenged with {challenged}.",
        "Configure the proxy credentials (HTTPS_PROXY with user:password, or the proxy settings).",
        "A proxy, not the API, wants credentials ({challenged}).",
        family="proxy-authentication",
        priority=10,
    ),
    # --- signing in: sessions, cookies, CSRF, login forms, OAuth flows, keys (rules/signin.py) -------------
    "redirected-to-login": FindingSpec(
        "error",
        "You were sent to a sign-in page",
        "The request to {from_url} was redirected to {login_url}, {why}. The {status} that came back is "
        "that page, not the API's answer.",
        "Sign in first: use a session profile (a login form's cookie) or an OAuth profile (a token) for this "
        "API. An API that redirects calls it cannot place to a login page wants a session or a token.",
        "You were not signed in: the request was redirected to the sign-in page {login_url}, and the "
        "{status} is that page, not the API's answer.",
        family="authentication",
        priority=29,
    ),
    "session-expired": FindingSpec(
        "error",
        "The session is no longer valid",
        "The session cookie {names} was sent, and the server answered as if none was: {how}.{again}",
        "Send again: the profile logs in again when its session is gone. If it keeps happening, the server "
        "keeps sessions shorter than you expect (or ended this one: a logout, a restart).",
        "Your session has expired: {names} was sent, but the server answered as if you were not signed in "
        "({how}).",
        family="authentication",
        priority=26,
    ),
    "cookie-not-sent": FindingSpec(
        "error",
        "A cookie for this site was not sent",
        "{reasons}",
        "{fix}",
        "The cookie {names} was not sent with the request: {first_reason}",
        family="authentication",
        priority=28,
    ),
    "csrf-failed": FindingSpec(
        "error",
        "The anti-forgery (CSRF) check failed",
        "The server refused the request because {what}. The session is fine: an unsafe request (POST, PUT, "
        "PATCH, DELETE) must also carry its anti-forgery token, and {framework} reads it from {carrier}.",
        "Copy the {cookie} cookie's value into the {header} header: a session profile does it with "
        'csrf_cookie = "{cookie}" and csrf_header = "{header}".',
        "The session is fine, but the request lacks its anti-forgery (CSRF) token: {framework} wants "
        "{carrier_short} in {header}.",
        family="authentication",
        priority=27,
    ),
    "login-failed": FindingSpec(
        "error",
        "The login was refused",
        "{problem}",
        "Check the username and password of the profile (and whether the account is locked), and that "
        "login_url still points at the login form (its fields: {fields}).",
        "The login at {login_url} failed ({status}), so the request was not sent: {reason}.",
        family="authentication",
        priority=24,
    ),
    "oauth-flow-failed": FindingSpec(
        "error",
        "The sign-in ended without a token",
        "{problem}",
        "{fix}",
        "The {flow} ended without a token ({reason}), so the request was not sent.",
        family="authentication",
        priority=25,
    ),
    "signing-key-unknown": FindingSpec(
        "error",
        "The token's signing key is not in the issuer's JWKS",
        "The token names the key '{kid}', and the JWKS at {jwks} holds {kids}: the key was rotated, or the "
        "token comes from another tenant or environment.",
        "Get a new token from the issuer (it signs with its current key), and check that the token and the "
        "API belong to the same tenant and environment.",
        "Your token was signed with a key ('{kid}') that the issuer's JWKS does not hold ({kids}).",
        family="authentication",
        priority=44,
    ),
    "tls-client-certificate-required": FindingSpec(
        "error",
        "The server wants a client certificate",
        "{how} No client certificate was sent.",
        "Add your certificate to the profile: [tls] client_cert, client_key and key_password (a reference).",
        "The server at {host} wants a client certificate (mutual TLS), and none was sent.",
        family="transport-error",
        priority=5,
    ),
    "tls-client-certificate-rejected": FindingSpec(
        "error",
        "The server refused the client certificate",
        "The client certificate was sent and the server ended the handshake ({alert}): it does not trust the "
        "CA that signed it, or the certificate has expired or was revoked.",
        "Compare the certificate's issuer and dates (openssl x509 -in FILE -noout -issuer -dates) with what "
        "the server trusts, and ask its owners for a certificate from their CA if needed.",
        "The server at {host} refused your client certificate ({alert}).",
        family="transport-error",
        priority=6,
    ),
    "tls-untrusted-certificate": FindingSpec(
        "error",
        "The server's certificate is not trusted",
        "{host} presented a certificate for {subject}, issued by {issuer}, valid {not_before} to "
        "{not_after}, SHA-256 fingerprint {sha256}. It does not chain to a CA this computer trusts: {why}.",
        "If you trust it (a test server, your company's private CA, a TLS-inspecting proxy), add that CA's "
        'certificate to the profile: [tls] ca_bundle = "path/to/ca.pem"{bundle_note}. Turning verification '
        "off (--insecure) is for test servers only.",
        "The server's certificate at {host} is not trusted: {why}.",
        family="transport-error",
        priority=7,
    ),
    "tls-hostname-mismatch": FindingSpec(
        "error",
        "The certificate is for another host",
        "{host} presented a valid certificate for {names}, which does not include {host}.",
        "Use a host name the certificate names ({first_name}), or ask the server's owners for a certificate "
        "that names {host}.",
        "The server's certificate is valid but not for {host}: it names {names}.",
        family="transport-error",
        priority=8,
    ),
    "tls-certificate-expired": FindingSpec(
        "error",
        "The server's certificate is outside its validity period",
        "The certificate of {host} is valid from {not_before} to {not_after}; by your clock it is now "
        "{local_time}, so it {state}.{server_clock}",
        "Ask the server's owners to renew the certificate; if only this computer's clock is wrong, fix it "
        "(NTP).",
        "The server's certificate at {host} {state} ({when}).",
        family="transport-error",
        priority=9,
    ),
}

FINDING_IDS = tuple(CATALOGUE)

# The banner over an explanation, by verdict (the panel; the CLI prints it beside the verdict id).
VERDICT_TITLES: dict[str, str] = {  # by verdict
    "ok": "Looks fine",
    "authentication": "Not accepted: the server did not accept the credentials",
    "authorization": "Refused: you are known but not allowed",
    "step-up": "A stronger or fresher sign-in is needed",
    "proxy-authentication": "A proxy wants credentials, not the API",
    "not-credential-related": "Not a credentials problem",
    "transport-error": "No response came back",
}
# The banner of an authentication refusal when nothing identified the caller on the final request.
ANONYMOUS_AUTHENTICATION_TITLE = "Not accepted: the server could not tell who you are"

# Summaries when no finding leads, by verdict.
VERDICT_SUMMARIES: dict[str, str] = {
    "ok": "The server accepted the request ({status}).",
    "ok-but": "The server accepted the request ({status}), but {finding}.",
    "authentication": "The server did not accept your credentials ({status}).",
    "authentication-message": "The server did not accept your credentials ({status}): \u201c{message}\u201d.",
    "authorization": "The server knows who you are but refuses this request ({status}).",
    "step-up": "You are signed in, but the server requires a stronger or more recent login.",
    "proxy-authentication": "A proxy, not the API, wants credentials ({status}).",
    "not-credential-related": "The server refused the request ({status}), for a reason credentials "
    "will not fix.",
    "not-credential-related-message": "The server refused the request ({status}), for a reason "
    "credentials will not fix: \u201c{message}\u201d.",
    "transport-error": "{message}",  # the transport's sentence; the banner's title says no response came
    "waf": "A web application firewall in front of the API blocked the request ({status}, {evidence}): "
    "credentials will not fix this; ask the site's owners to allow it.",
    "server-error": "The server failed ({status}){message_part}: the problem is on its side, not "
    "with your credentials.",
    "not-found": "The server answered {status}: check the URL and method (some APIs also answer 404 "
    "to hide a resource from callers who may not see it).",
    "token-endpoint": "The token request to {url} failed ({status}){code_part}: {message}",
    "token-endpoint-client": "The token endpoint {url} did not accept the client credentials "
    "({code}){desc_part}.",
    "aws-missing-token": "The server says \u201cMissing Authentication Token\u201d: no AWS signature "
    "or API key was found (API Gateway also says this for a path or method that does not exist).",
}

MISSING: dict[str, str] = {
    "no-date": "no Date header: expiry judged by your clock",
    "date-cached": "{note}: expiry judged by your clock",
    "no-token": "no token was sent, so nothing about a token could be judged",
    "opaque": "the token is opaque: its claims (expiry, audience, scopes) are unknown",
    "jwe": "the token is encrypted: its claims (expiry, audience, scopes) are unknown",
    "decode": "the token could not be decoded: {error}",
    "unverified": "signature not checked: give a key or JWKS URL to check it",
    "verify-unavailable": "signature not checked: {error}",
    "scopes-unknown": "the granted scopes are unknown, so required scopes could not be compared",
    "challenge-unreadable": "a challenge header could not be parsed: {error}",
    "no-exp": "the token has no exp claim: it never expires by itself",
    "proxy-no-challenge": "the 407 carried no Proxy-Authenticate header: the proxy's scheme is unknown",
    "masked": "the {name} was recorded masked (history or a HAR file): its value cannot be inspected here",
    "masked-recorded-token": "the token's claims come from the explanation recorded with the exchange",
}


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, values: Mapping[str, object]) -> str:
    """A template filled with values; unknown fields render as '?'."""
    return template.format_map(_Blank(values)) if template else ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text and not text[:2].isupper() else text


def make_finding(
    finding_id: str,
    *,
    evidence: Mapping[str, object] | None = None,
    severity: Severity | None = None,
    **values: object,
) -> Finding:
    """Build the catalogue's finding for this id; values fill the templates, evidence is kept as given."""
    spec = CATALOGUE[finding_id]
    vals: dict[str, object] = dict(evidence or {})
    vals.update(values)
    for key in ("problem", "phrase", "why"):
        if isinstance(vals.get(key), str):
            vals.setdefault(f"{key}_lower", _lower_first(str(vals[key])))
    sev = severity or spec.severity
    if sev not in SEVERITIES:
        raise ValueError(f"Unknown severity '{sev}' for finding '{finding_id}'.")
    return Finding(
        id=finding_id,
        severity=sev,
        title=fill(spec.title, vals),
        detail=" ".join(fill(spec.detail, vals).split()),
        evidence=dict(evidence or {}),
        next_step=fill(spec.next_step, vals),
        summary=" ".join(fill(spec.summary, vals).split()),
    )


def finding_summary(finding: Finding) -> str:
    """The one-sentence summary for a diagnosis this finding leads."""
    return finding.summary or finding.title + "."


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """error > warning > info; within a severity, catalogue order; stable otherwise."""
    order = {fid: i for i, fid in enumerate(FINDING_IDS)}
    return sorted(findings, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), order.get(f.id, 99)))


def family_of(finding: Finding) -> Verdict | None:
    """The verdict this finding is evidence for (None for an id the catalogue does not know)."""
    spec = CATALOGUE.get(finding.id)
    return spec.family if spec else None


def has_family(findings: Iterable[Finding], family: Verdict, *, errors_only: bool = False) -> bool:
    """Whether any finding is evidence for this verdict (only errors count when errors_only)."""
    return any(family_of(f) == family and (f.severity == "error" or not errors_only) for f in findings)


def explained_away(findings: Iterable[Finding]) -> list[Finding]:
    """The findings without those a more specific finding present explains (catalogue `explained_by`)."""
    found = list(findings)
    present = {f.id for f in found}
    return [
        f
        for f in found
        if not ((spec := CATALOGUE.get(f.id)) is not None and present.intersection(spec.explained_by))
    ]


def story_order(findings: Iterable[Finding], verdict: Verdict) -> list[Finding]:
    """The finding that leads the verdict's summary first, then error > warning > info (catalogue order)."""
    ordered = sort_findings(findings)
    leader = leading_finding(ordered, verdict)
    if leader is None:
        return ordered
    return [leader, *(f for f in ordered if f is not leader)]


def verdict_title(verdict: str | None, *, credential_sent: bool = True) -> str:
    """The banner's title: what the verdict means, said so a 401 never reads like a 403."""
    if verdict == "authentication" and not credential_sent:
        return ANONYMOUS_AUTHENTICATION_TITLE
    return VERDICT_TITLES.get(verdict or "", "No explanation")


def leading_finding(findings: Iterable[Finding], verdict: Verdict) -> Finding | None:
    """The finding that speaks for the summary of this verdict: the lowest priority among those that may."""
    by_id = {f.id: f for f in findings}
    ranked = [
        (spec.priority, f)
        for f in by_id.values()
        if (spec := CATALOGUE.get(f.id)) is not None
        and spec.priority is not None
        and spec.summary_verdict == verdict
    ]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None
