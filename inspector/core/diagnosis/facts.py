"""The facts the rules read from one exchange, gathered once: the final hop and its response, the credential
that was sent, the token, the challenges, the message in the body, the error codes and the clocks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from inspector.core.bodies import BodyMessage, server_message
from inspector.core.challenges import Challenge, parse_challenges_lenient
from inspector.core.diagnosis.error_shape import ErrorShape, read_error_shape
from inspector.core.diagnosis.findings import MISSING, fill
from inspector.core.diagnosis.wording import Wording, classify, classify_generic, code_family
from inspector.core.exchange import Exchange, Hop, Response, header_values
from inspector.core.expectations import Expectations
from inspector.core.redact import Redactor
from inspector.core.request import is_masked
from inspector.core.timeline import Timeline, build_timeline
from inspector.core.tokens import SentCredential, TokenInfo, inspect_token, sent_credentials

_BODY_SECRET_FIELDS = ("client_secret", "refresh_token", "password", "client_assertion", "assertion", "code")

# Block pages of common web application firewalls and CDNs: (header name, value pattern or None).
_WAF_HEADERS = (
    ("cf-mitigated", None),  # Cloudflare: the request met a challenge or block rule
    ("x-amzn-waf-action", None),  # AWS WAF
    ("x-sucuri-block", None),
    ("x-iinfo", None),  # Imperva Incapsula
)
_WAF_BODY_RE = re.compile(
    r"you have been blocked|attention required!|request blocked|request rejected"
    r"|the requested url was rejected"
    r"|incapsula incident|web application firewall|access denied.{0,200}reference #|sucuri website firewall"
    r"|mod_security|modsecurity",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Facts:
    """Everything the rules read, gathered once by gather()."""

    exchange: Exchange
    expectations: Expectations
    now: datetime
    hop: Hop  # the final hop (the token request's when a token fetch stopped the send)
    resp: Response
    redactor: Redactor  # seeded with every credential sent: scrubs what the server echoes back
    credential: SentCredential | None = None
    credentials: list[SentCredential] = field(default_factory=list)
    token: TokenInfo | None = None
    timeline: Timeline | None = None
    challenges: list[Challenge] = field(default_factory=list)
    proxy_challenges: list[Challenge] = field(default_factory=list)
    body: BodyMessage | None = None
    codes: dict[str, str] = field(default_factory=dict)  # lower-cased code -> where ("challenge" | "body")
    server_error: str | None = None
    server_message: str | None = None
    error_shape: ErrorShape | None = None  # the body's error container (GraphQL errors, ok: false, a fault)
    wording: Wording | None = None  # what the server's codes and words name (wording.py), most specific first
    missing: list[str] = field(default_factory=list)
    auth_message: bool = False  # the server's words (a code or a message) name an authentication failure
    waf: str | None = None  # the evidence that a web application firewall, not the API, answered
    # The credential was read back masked (history, HAR): it was sent, but its value cannot be inspected.
    masked: bool = False

    @property
    def status(self) -> int:
        return self.resp.status

    @property
    def refused(self) -> bool:
        """A 4xx/5xx, or a 2xx whose body refuses the request for its credentials."""
        return self.resp.status >= 400 or self.refused_in_body

    @property
    def refused_in_body(self) -> bool:
        """A 2xx whose error container names a credential problem (a GraphQL UNAUTHENTICATED, ok: false with
        invalid_auth, a SOAP FailedAuthentication): the status says yes, the body says no."""
        return (
            200 <= self.resp.status < 300
            and self.error_shape is not None
            and self.error_shape.failed
            and self.wording is not None
            and self.wording.verdict in ("authentication", "authorization")
        )

    @property
    def refusal_status(self) -> int:
        """The status the refusal stands for: the real one, or 401/403 for a refusal inside a 2xx (by what
        its body names)."""
        if self.refused_in_body and self.wording is not None:
            return 401 if self.wording.verdict == "authentication" else 403
        return self.resp.status

    @property
    def auth_code(self) -> bool:
        """An error code that names an authentication failure (invalid_token, ExpiredToken, ...)."""
        families = (code_family(code) for code in self.codes)
        return any(f is not None and f.verdict == "authentication" for f in families)

    @property
    def readable_token(self) -> TokenInfo | None:
        """The token when its claims could be read (a JWS that decoded), else None."""
        info = self.token
        return info if info is not None and is_readable(info) else None

    def scrub(self, text: str | None) -> str | None:
        return self.redactor.scrub(text) if text else text


def is_readable(info: TokenInfo) -> bool:
    """A JWS whose header and claims decoded: the only kind whose times, audience and issuer can be judged."""
    return info.format == "jws" and not info.decode_error


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return url
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def status_text(resp: Response) -> str:
    return f"{resp.status} {resp.reason}".strip()


def body_sentence(body: BodyMessage) -> str | None:
    """The body's message; a problem+json title with its detail, since the title alone says little."""
    title, detail = body.message, body.description
    if body.shape == "problem" and title and detail and title.lower() not in detail.lower():
        return f"{title.rstrip('.')}: {detail}"
    return body.text


def _credential_name(cred: SentCredential) -> str:
    if cred.where == "query":
        return f"query parameter '{cred.name}'"
    if cred.where == "cookie":
        return f"cookie '{cred.name}'"
    return f"{cred.name} header"


def credentials_for(hop: Hop, expectations: Expectations) -> list[SentCredential]:
    return sent_credentials(hop, expectations.api_key_names)


def token_hop_secrets(hop: Hop) -> list[str]:
    """Names of secret fields in a token request body (client_secret, refresh_token, ...)."""
    try:
        pairs = parse_qsl(hop.sent_body.decode("utf-8", "replace"), keep_blank_values=True)
    except ValueError:
        return []
    return [k for k, v in pairs if k.lower() in _BODY_SECRET_FIELDS and v]


# Credentials inside a SOAP envelope: WS-Security (UsernameToken, BinarySecurityToken, a SAML assertion) or a
# session header (Salesforce's SessionHeader)
_SOAP_CREDENTIAL_RE = re.compile(
    rb"<(?:[\w.-]{1,40}:)?(UsernameToken|BinarySecurityToken|Assertion|SessionHeader)[\s>]"
)
# An API key or token as a top-level field of a JSON body (Mandrill's {"key": ...}, some RPC APIs' "token")
_JSON_CREDENTIAL_FIELDS = frozenset(
    {"key", "api_key", "apikey", "access_token", "token", "auth_token", "password", "client_secret"}
)


def body_credentials(hop: Hop) -> list[str]:
    """Credentials a request carried in its body: OAuth secrets in a form, a key in JSON, SOAP headers."""
    body = hop.sent_body
    if not body:
        return []
    names = token_hop_secrets(hop)
    m = _SOAP_CREDENTIAL_RE.search(body[:65536])
    if m is not None:
        names.append(f"SOAP {m.group(1).decode('ascii')}")
    if body.lstrip()[:1] == b"{" and len(body) <= 65536:
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict):
            names += [
                k for k, v in doc.items() if k.lower() in _JSON_CREDENTIAL_FIELDS and isinstance(v, str) and v
            ]
    return names


def waf_block(resp: Response) -> str | None:
    """Why the refusal looks like a web application firewall's block page, or None."""
    if resp.status not in (403, 406):
        return None
    for name, _pattern in _WAF_HEADERS:
        value = resp.header(name)
        if value is not None:
            return f"{name}: {value.strip()[:60]}"
    ctype = (resp.content_type or "").lower()
    if "html" in ctype or resp.body[:15].lstrip().lower().startswith((b"<!doctype", b"<html")):
        m = _WAF_BODY_RE.search(resp.body[:16384].decode("utf-8", "replace"))
        if m:
            return f"a block page saying \u201c{' '.join(m.group(0).split())[:60]}\u201d"
    return None


def words_of(facts: Facts) -> Wording | None:
    """The family the server's words fall into (wording.py). A refusal's codes, challenge descriptions,
    message and error container all count; a 2xx only through an error container that says it failed."""
    shape, resp = facts.error_shape, facts.resp
    if resp.status < 400:
        if shape is None or not shape.failed:
            return None  # a healthy 2xx is never read as a refusal, whatever its fields are called
        return classify(shape.codes, shape.messages) or classify_generic(
            shape.codes, shape.messages, shape.status_code
        )
    codes = list(facts.codes)
    # AWS API Gateway names its error in a header: "MissingAuthenticationTokenException[:http://...]"
    codes += [v.split(":", 1)[0] for v in header_values(resp.headers, "x-amzn-ErrorType")]
    messages: list[str | None] = [facts.server_message]
    messages += [ch.param("error_description") for ch in facts.challenges]
    if facts.body is not None:
        messages += [facts.body.description, facts.body.message]
    if shape is not None:
        codes += shape.codes
        messages += shape.messages
    return classify(codes, messages)


def gather(
    exchange: Exchange,
    expectations: Expectations,
    now: datetime,
    token: TokenInfo | None,
    hop: Hop,
    resp: Response,
) -> Facts:
    """Read the facts of an exchange whose final hop got a response."""
    redactor = Redactor()
    for h in exchange.hops:
        for cred in credentials_for(h, expectations):
            redactor.add(cred.value)
        for name, value in h.sent_headers:
            if name.lower() in ("authorization", "proxy-authorization", "cookie"):
                redactor.add(value)
    facts = Facts(exchange, expectations, now, hop, resp, redactor)
    if token is not None:
        redactor.add(token.raw)

    www_lines = header_values(resp.headers, "WWW-Authenticate")
    proxy_lines = header_values(resp.headers, "Proxy-Authenticate")
    facts.challenges, errors = parse_challenges_lenient(www_lines)
    facts.proxy_challenges, perrors = parse_challenges_lenient(proxy_lines)
    facts.missing += [fill(MISSING["challenge-unreadable"], {"error": e}) for e in errors + perrors]

    facts.body = server_message(resp.body, resp.content_type)

    if hop.role == "request":
        facts.credentials = credentials_for(hop, expectations)
        facts.credential = facts.credentials[0] if facts.credentials else None
        facts.masked = facts.credential is not None and is_masked(facts.credential.value)
        if facts.masked and facts.credential is not None:
            facts.missing.append(fill(MISSING["masked"], {"name": _credential_name(facts.credential)}))
            if token is not None:
                facts.missing.append(MISSING["masked-recorded-token"])
        if token is None and facts.credential is not None and not facts.masked:
            cred = facts.credential
            if cred.where != "authorization" or cred.is_bearerish:
                info = inspect_token(cred.value)
                # An API key or session cookie that is not a JWT is simply a key: nothing to decode.
                token = info if (cred.is_bearerish or info.format != "opaque") else None
        facts.token = token

    # Error codes: the challenge for the scheme that was sent first, then any challenge, then the body.
    sent_scheme = (facts.credential.scheme or "").lower() if facts.credential else ""
    ordered = sorted(facts.challenges + facts.proxy_challenges, key=lambda c: c.scheme.lower() != sent_scheme)
    for ch in ordered:
        code = ch.param("error")
        if code:
            facts.codes.setdefault(code.strip().lower(), "challenge")
            if facts.server_error is None:
                facts.server_error = code.strip()
                facts.server_message = facts.scrub(ch.param("error_description"))
    if facts.body and facts.body.code:
        facts.codes.setdefault(facts.body.code.strip().lower(), "body")
        if facts.server_error is None:
            facts.server_error = facts.scrub(facts.body.code)
    if facts.body and facts.body.text and facts.body.text != facts.body.code:
        facts.server_message = facts.scrub(body_sentence(facts.body))
    facts.error_shape = read_error_shape(resp.body, resp.content_type, facts.body)
    facts.wording = words_of(facts)
    facts.auth_message = facts.wording is not None and facts.wording.verdict == "authentication"
    facts.waf = waf_block(resp)

    claims = facts.token.claims if facts.token and facts.token.format == "jws" else {}
    facts.timeline = build_timeline(
        claims,
        sent_at=hop.sent_at or exchange.sent_at,
        elapsed_s=hop.elapsed_s,
        server_date=next(iter(header_values(resp.headers, "Date")), None),  # a repeated Date: the first
        age_header=resp.header("Age"),
        now=now,
        leeway_s=expectations.leeway_s,
    )
    return facts
