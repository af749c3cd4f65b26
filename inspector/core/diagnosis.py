"""explain(exchange, expectations, now) -> Diagnosis: verdict, summary, findings. Pure: no network, no clock."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from inspector.core.bodies import BodyMessage, server_message
from inspector.core.challenges import TOKEN68_RE, Challenge, parse_challenges_lenient
from inspector.core.exchange import Exchange, Hop, Response, header_values
from inspector.core.expectations import Expectations
from inspector.core.findings import (
    MISSING,
    VERDICT_SUMMARIES,
    Finding,
    audience_difference,
    fill,
    finding_summary,
    issuer_difference,
    make_finding,
    sort_findings,
)
from inspector.core.redact import Redactor, mask_url
from inspector.core.timeline import (
    Timeline,
    build_timeline,
    describe_expiry,
    describe_not_before,
    describe_relative,
    format_utc,
)
from inspector.core.tokens import SentCredential, TokenInfo, inspect_token, sent_credentials

VERDICTS = (
    "ok",
    "authentication",
    "authorization",
    "step-up",
    "proxy-authentication",
    "not-credential-related",
    "transport-error",
)


@dataclass(frozen=True)
class Diagnosis:
    verdict: str  # one of VERDICTS
    summary: str  # one sentence, as a support engineer would say it
    findings: tuple[Finding, ...] = ()  # ordered by severity: error, warning, info
    challenges: tuple[Challenge, ...] = ()
    proxy_challenges: tuple[Challenge, ...] = ()
    credential: SentCredential | None = None
    token: TokenInfo | None = None
    timeline: Timeline | None = None
    server_error: str | None = None  # e.g. "invalid_token"
    server_message: str | None = None  # the human message from the challenge or body, verbatim
    missing_evidence: tuple[str, ...] = ()  # e.g. "no Date header: expiry judged by your clock"

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)

    @property
    def finding_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.findings)


# Findings that mean "the server does not accept who you are" (the 401 family).
AUTHENTICATION_IDS = (
    "credentials-stripped-on-redirect",
    "netrc-override",
    "no-credentials",
    "malformed-authorization",
    "scheme-mismatch",
    "unsigned-token",
    "id-token-as-access-token",
    "wrong-token-type",
    "token-expired",
    "token-not-yet-valid",
    "signature-invalid",
    "audience-mismatch",
    "issuer-mismatch",
    "dpop-required",
)
# Error codes (challenge `error`, OAuth body `error`, Google/Azure/AWS codes), lower-cased.
AUTHENTICATION_CODES = frozenset(
    {
        "invalid_token",
        "invalid_client",
        "invalid_grant",
        "unauthenticated",
        "invalidauthenticationtoken",
        "expiredtoken",
        "expiredtokenexception",
        "tokenexpired",
        "invalidclienttokenid",
        "signaturedoesnotmatch",
        "authfailure",
        "invalidaccesskeyid",
        "missingauthenticationtokenexception",
        "authenticationfailed",
        "unrecognizedclientexception",
        "incompletesignature",
    }
)
STEP_UP_CODES = frozenset({"insufficient_user_authentication", "insufficient_claims"})
AUTHORIZATION_TOKEN_ENDPOINT_CODES = frozenset({"invalid_scope", "unauthorized_client", "access_denied"})
# RFC 6750 §3.1: the status each error code goes with.
RFC6750_STATUS = {"invalid_request": 400, "invalid_token": 401, "insufficient_scope": 403}
_AUTH_MESSAGE_RE = re.compile(
    r"signature (verification failed|expired|has expired|does not match|is invalid)|request has expired"
    r"|token (has )?expired|expired token|jwt (has )?expired|invalid (bearer |access |auth |api )?(token|jwt|key)"
    r"|invalid signature|invalid credentials|missing authentication token|not enough segments"
    r"|token has wrong type|bad credentials|unauthenticated|authentication (failed|required)"
    r"|missing authorization|not authenticated|could not validate credentials|invalid api key"
    r"|security token included in the request is (invalid|expired)|login required|invalid header padding"
    r"|token is (invalid|expired|not valid)|signature has expired|credentials (are )?(invalid|expired)",
    re.IGNORECASE,
)
_WRONG_TYPE_MESSAGE_RE = re.compile(
    r"wrong (token )?type|only (non-refresh|access|refresh) tokens|refresh tokens? (is |are )?not allowed", re.IGNORECASE
)
_RATE_MESSAGE_RE = re.compile(r"rate limit|too many requests|throttl|quota exceeded", re.IGNORECASE)
_PLACEHOLDERS = frozenset(
    {"undefined", "null", "none", "nil", "<token>", "token", "$token", "${token}", "{{token}}", "[object", "false"}
)
_ACCESS_TYP = frozenset({"jwt", "at+jwt", "application/at+jwt", "jose", "jose+json", "bearer", ""})
_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")
_BODY_SECRET_FIELDS = ("client_secret", "refresh_token", "password", "client_assertion", "assertion", "code")


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return url
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost and *.localhost."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _status_text(resp: Response) -> str:
    return f"{resp.status} {resp.reason}".strip()


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def _words(value: object) -> list[str] | None:
    """A space-separated string or a list of strings as a list; None for anything else."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return None


def granted_scopes(claims: Mapping[str, object]) -> set[str] | None:
    """scope/scp (string or list), permissions and roles; None when the token names none of them."""
    found: set[str] | None = None
    for name in ("scope", "scp", "scopes", "permissions", "roles"):
        words = _words(claims.get(name))
        if words is not None:
            found = (found or set()) | set(words)
    return found


def _rate_limit_exhausted(resp: Response) -> str | None:
    for name in ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-Rate-Limit-Remaining"):
        value = resp.header(name)
        if value is not None and value.split(",")[0].strip() == "0":
            return f"{name}: 0"
    value = resp.header("RateLimit")
    if value and re.search(r"(remaining=|;\s*r=)0\b", value):
        return f"RateLimit: {value[:80]}"
    return None


@dataclass
class _Facts:
    """Everything explain() reads, gathered once."""

    exchange: Exchange
    expectations: Expectations
    now: datetime
    hop: Hop
    resp: Response
    redactor: Redactor
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
    missing: list[str] = field(default_factory=list)
    waf: str | None = None  # the evidence that a web application firewall, not the API, answered


def _body_sentence(body: BodyMessage) -> str | None:
    """The body's message; a problem+json title with its detail, since the title alone says little."""
    title, detail = body.message, body.description
    if body.shape == "problem" and title and detail and title.lower() not in detail.lower():
        return f"{title.rstrip('.')}: {detail}"
    return body.text


def _scrub(facts: _Facts, text: str | None) -> str | None:
    return facts.redactor.scrub(text) if text else text


def _credentials_for(hop: Hop, expectations: Expectations) -> list[SentCredential]:
    return sent_credentials(hop, expectations.api_key_names)


def _token_hop_secrets(hop: Hop) -> list[str]:
    """Names of secret fields in a token request body (client_secret, refresh_token, ...)."""
    try:
        pairs = parse_qsl(hop.sent_body.decode("utf-8", "replace"), keep_blank_values=True)
    except ValueError:
        return []
    return [k for k, v in pairs if k.lower() in _BODY_SECRET_FIELDS and v]


def _gather(
    exchange: Exchange, expectations: Expectations, now: datetime, token: TokenInfo | None, hop: Hop, resp: Response
) -> _Facts:
    redactor = Redactor()
    for h in exchange.hops:
        for cred in _credentials_for(h, expectations):
            redactor.add(cred.value)
        for name, value in h.sent_headers:
            if name.lower() in ("authorization", "proxy-authorization", "cookie"):
                redactor.add(value)
    facts = _Facts(exchange, expectations, now, hop, resp, redactor)
    if token is not None:
        redactor.add(token.raw)

    www_lines = header_values(resp.headers, "WWW-Authenticate")
    proxy_lines = header_values(resp.headers, "Proxy-Authenticate")
    facts.challenges, errors = parse_challenges_lenient(www_lines)
    facts.proxy_challenges, perrors = parse_challenges_lenient(proxy_lines)
    facts.missing += [fill(MISSING["challenge-unreadable"], {"error": e}) for e in errors + perrors]

    facts.body = server_message(resp.body, resp.content_type)

    if hop.role == "request":
        facts.credentials = _credentials_for(hop, expectations)
        facts.credential = facts.credentials[0] if facts.credentials else None
        if token is None and facts.credential is not None:
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
                facts.server_message = _scrub(facts, ch.param("error_description"))
    if facts.body and facts.body.code:
        facts.codes.setdefault(facts.body.code.strip().lower(), "body")
        if facts.server_error is None:
            facts.server_error = _scrub(facts, facts.body.code)
    if facts.body and facts.body.text and facts.body.text != facts.body.code:
        facts.server_message = _scrub(facts, _body_sentence(facts.body))

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


# ---------------------------------------------------------------------------------------------- token checks


def _token_findings(
    info: TokenInfo,
    timeline: Timeline | None,
    expectations: Expectations,
    *,
    alone: bool,
    bearerish: bool = True,
) -> list[Finding]:
    """What the token itself shows: format, signature, type, times, audience, issuer."""
    out: list[Finding] = []
    if info.format == "jwe":
        out.append(make_finding("encrypted-token", evidence={"format": "jwe", "alg": info.header.get("alg"),
                                                            "enc": info.header.get("enc")}))
        return out
    if info.format == "opaque":
        if bearerish:
            out.append(make_finding("opaque-token", evidence={"format": "opaque", "length": len(info.raw)}))
        return out
    header, claims = info.header, info.claims
    alg = header.get("alg")
    if info.decode_error:
        # The header may still be readable and say alg none: that alone condemns the token.
        if isinstance(alg, str) and alg.lower() == "none":
            out.append(make_finding("unsigned-token", evidence={"alg": alg, "signature_empty": info.signature_empty},
                                    why=f"Its alg is '{alg}'"))
        return out
    if (isinstance(alg, str) and alg.lower() == "none") or info.signature_empty or alg is None:
        why = f"its alg is '{alg}'" if isinstance(alg, str) and alg.lower() == "none" else (
            "it has no alg" if alg is None else "its signature segment is empty")
        out.append(make_finding("unsigned-token", evidence={"alg": alg, "signature_empty": info.signature_empty},
                                why=why[0].upper() + why[1:]))
    if not alone:
        reasons = _suspicious_header(header, expectations)
        if reasons:
            out.append(make_finding("suspicious-token-header",
                                    evidence={"header_fields": sorted(k for k in header if isinstance(k, str)),
                                              "alg": alg},
                                    why="; ".join(reasons)))
    if info.verify_outcome in ("invalid", "no-key"):
        source = (f"the JWKS at {expectations.jwks_url}" if expectations.jwks_url
                  else "the configured key")
        out.append(make_finding("signature-invalid",
                                evidence={"outcome": info.verify_outcome, "alg": alg, "kid": header.get("kid"),
                                          "error": info.verify_error},
                                why=info.verify_error or "The signature did not verify.", source=source))
    id_why = _id_token_reason(header, claims)
    if id_why:
        out.append(make_finding("id-token-as-access-token", evidence={"reason": id_why}, why=id_why))
    else:
        kind_why = _wrong_type_reason(header, claims)
        if kind_why:
            out.append(make_finding("wrong-token-type", evidence={"kind": kind_why[0], "reason": kind_why[1]},
                                    kind=kind_why[0], why=kind_why[1]))
    if timeline is not None:
        out.extend(_time_findings(timeline, alone=alone))
    if expectations.audience:
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else ([str(a) for a in aud] if isinstance(aud, list) else [])
        if expectations.audience not in auds:
            actual = ", ".join(auds) if auds else "missing"
            out.append(make_finding("audience-mismatch",
                                    evidence={"expected": expectations.audience, "actual": auds},
                                    expected=expectations.audience, actual=actual,
                                    difference=audience_difference(expectations.audience, auds)))
    if expectations.issuer:
        iss = claims.get("iss")
        if iss != expectations.issuer:
            actual = iss if isinstance(iss, str) else "missing"
            difference = (issuer_difference(expectations.issuer, iss) if isinstance(iss, str)
                          else "The token has no iss claim.")
            out.append(make_finding("issuer-mismatch",
                                    evidence={"expected": expectations.issuer, "actual": iss if isinstance(
                                        iss, str) else None, "difference": difference},
                                    expected=expectations.issuer, actual=actual, difference=difference))
    return out


def _suspicious_header(header: Mapping[str, object], expectations: Expectations) -> list[str]:
    reasons = []
    for name in ("jku", "x5u", "jwk"):
        if name in header:
            reasons.append(f"It names its own key source '{name}', which a server must not trust blindly")
    kid = header.get("kid")
    if kid is not None:
        if not isinstance(kid, str):
            reasons.append("Its kid is not a string")
        elif (len(kid) > 256 or ".." in kid or "/" in kid or "\\" in kid or any(c in kid for c in "'\";|$`")
              or any(ord(c) < 32 for c in kid)):
            reasons.append("Its kid looks like a path or an injection attempt")
    alg = header.get("alg")
    if isinstance(alg, str) and alg.upper().startswith("HS") and expectations.algorithms and all(
        not a.upper().startswith("HS") for a in expectations.algorithms
    ):
        reasons.append(f"It uses {alg} (a shared secret) where {', '.join(expectations.algorithms)} is expected: "
                       "the algorithm-confusion pattern")
    return reasons


def _id_token_reason(header: Mapping[str, object], claims: Mapping[str, object]) -> str | None:
    if str(claims.get("token_use", "")).lower() == "id":
        return "token_use is 'id'"
    for typ_src, typ in (("claim", claims.get("typ")), ("header", header.get("typ"))):
        if isinstance(typ, str) and typ.lower() in ("id", "id_token", "id+jwt"):
            return f"its {typ_src} typ is '{typ}'"
    if "at_hash" in claims:
        return "it has an at_hash claim"
    if "nonce" in claims:
        return "it has a nonce claim"
    return None


def _wrong_type_reason(header: Mapping[str, object], claims: Mapping[str, object]) -> tuple[str, str] | None:
    for name in ("typ", "type", "token_type", "token_use"):
        value = claims.get(name)
        if isinstance(value, str):
            low = value.lower().replace("_token", "")
            if low in ("refresh", "offline", "logout", "serialized-id", "registration", "action", "reset", "verify"):
                return value.lower(), f"its {name} claim is '{value}'"
    typ = header.get("typ")
    if isinstance(typ, str) and typ.lower() not in _ACCESS_TYP and typ.lower() not in ("id", "id_token"):
        return typ, f"its header typ is '{typ}'"
    return None


def _time_findings(tl: Timeline, *, alone: bool) -> list[Finding]:
    out: list[Finding] = []
    base = {"expires_at": _iso(tl.expires_at), "reference_time": _iso(tl.reference_time),
            "by_server_clock": tl.by_server_clock}
    if tl.remaining_s is not None:
        phrase = describe_expiry(tl) or ""
        if alone:
            phrase = phrase.replace("before the request", "ago").replace("after the request", "from now")
        if tl.remaining_s <= 0:
            out.append(make_finding("token-expired", evidence={**base, "remaining_s": round(tl.remaining_s, 3)},
                                    phrase=phrase, expires_at=format_utc(tl.expires_at)))
        elif not alone and tl.remaining_s <= max(tl.elapsed_s, 60.0):
            out.append(make_finding("token-near-expiry", evidence={**base, "remaining_s": round(tl.remaining_s, 3)},
                                    phrase=phrase))
    ahead = tl.not_before_s
    future_iat = tl.issued_in_future_s
    if ahead is not None and ahead > 0:
        phrase = "it " + (describe_not_before(tl) or "")
        if alone:
            phrase = phrase.replace("after the request", "from now")
        out.append(make_finding("token-not-yet-valid",
                                evidence={"not_before": _iso(tl.not_before), "reference_time": _iso(tl.reference_time),
                                          "by_server_clock": tl.by_server_clock, "seconds_early": round(ahead, 3)},
                                phrase=phrase[:1].upper() + phrase[1:]))
    elif future_iat is not None and future_iat > tl.leeway_s:
        after = "in the future" if alone else "after the request"
        phrase = (f"It was issued {describe_relative(future_iat)} {after} ({tl.clock_phrase}), "
                  f"beyond the {describe_relative(tl.leeway_s)} leeway")
        out.append(make_finding("token-not-yet-valid",
                                evidence={"issued_at": _iso(tl.issued_at), "reference_time": _iso(tl.reference_time),
                                          "by_server_clock": tl.by_server_clock, "seconds_early": round(future_iat, 3),
                                          "leeway_s": tl.leeway_s},
                                phrase=phrase))
    return out


# ------------------------------------------------------------------------------------------- request checks


def _authorization_problem(raw: str) -> str | None:
    """Why an Authorization value is malformed, in one sentence without the secret; None when it looks fine."""
    if not raw.strip():
        return "The Authorization header is empty"
    if raw != raw.strip():
        return "The Authorization value has leading or trailing whitespace"
    parts = raw.split(" ", 1)
    if len(parts) == 1:
        word = parts[0]
        if word.count(".") >= 2 or len(word) > 20 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", word):
            return "The value has no scheme: the token was sent bare, without 'Bearer ' in front"
        return f"The scheme '{word}' is followed by no credentials"
    scheme, rest = parts
    if rest.startswith((" ", "\t")):
        return f"Several spaces separate '{scheme}' from the credentials (many servers split on exactly one)"
    cred = rest
    first = cred.split()[0] if cred.split() else ""
    if first.lower().rstrip(":") == scheme.lower():
        return f"The scheme is doubled ('{scheme} {first} …')"
    # auth-param schemes (Digest, OAuth 1.0, AWS4, Signature...) legitimately end with a quoted value
    auth_params = re.match(r"[A-Za-z][A-Za-z0-9_-]*\s*=", cred) is not None
    if not auth_params and (cred[:1] in "\"'" or cred[-1:] in "\"'"):
        return "The credentials are wrapped in quotes"
    if cred.lower() in _PLACEHOLDERS or cred.lower().startswith("[object"):
        return f"The credentials are the placeholder '{cred[:20]}', not a token: the variable was never filled in"
    if scheme.lower() in ("bearer", "basic", "dpop"):
        if any(c.isspace() for c in cred):
            return "The credentials contain whitespace (a line break or a second word)"
        if not TOKEN68_RE.fullmatch(cred):
            bad = sorted({c for c in cred if not re.match(r"[A-Za-z0-9\-._~+/=]", c)})[:5]
            shown = " ".join(repr(c) for c in bad) if bad else "'=' in the middle"
            return f"The credentials hold characters a token68 cannot hold ({shown})"
    return None


def _basic_findings(facts: _Facts, cred: SentCredential) -> list[Finding]:
    try:
        decoded = base64.b64decode(cred.value, validate=True)
    except (binascii.Error, ValueError):
        return [make_finding("malformed-authorization",
                             evidence={"scheme": cred.scheme, "problem": "basic-not-base64"},
                             problem="The Basic credentials are not valid base64 of 'user:password'")]
    if b":" not in decoded:
        return [make_finding("malformed-authorization", evidence={"scheme": cred.scheme, "problem": "basic-no-colon"},
                             problem="The Basic credentials have no ':' between the user name and the password")]
    wants_utf8 = any(ch.is_scheme("Basic") and (ch.param("charset") or "").lower() in ("utf-8", "utf8")
                     for ch in facts.challenges)
    if wants_utf8 and any(b > 0x7F for b in decoded):
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return [make_finding("basic-charset", evidence={"charset_requested": "UTF-8", "non_ascii": True})]
    return []


def _redirect_findings(facts: _Facts) -> list[Finding]:
    out: list[Finding] = []
    hops = facts.exchange.request_hops
    if not hops:
        return out
    final = hops[-1]
    stripped = [n for h in hops for n in h.credentials_stripped]
    carried = [(h, _credentials_for(h, facts.expectations)) for h in hops[:-1]]
    with_creds = [(h, c) for h, c in carried if c]
    final_creds = facts.credentials if facts.hop is final else _credentials_for(final, facts.expectations)
    source: Hop | None = None
    names: list[str] = []
    if with_creds and not final_creds:
        last_h, last_c = with_creds[-1]
        if _origin(last_h.url) != _origin(final.url):
            source, names = last_h, [c.name for c in last_c]
    if stripped and source is None:
        source = next((h for h, _c in reversed(with_creds) if _origin(h.url) != _origin(final.url)), hops[0])
    if source is not None or stripped:
        assert source is not None
        all_names = sorted(set(names) | set(stripped), key=str.lower)
        out.append(make_finding(
            "credentials-stripped-on-redirect",
            evidence={"from_origin": _origin(source.url), "to_origin": _origin(final.url), "names": all_names,
                      "redirects": len(hops) - 1},
            names=", ".join(all_names) or "credentials"))
    for h in hops:
        if h.netrc_applied:
            set_value = facts.exchange.spec.header("Authorization") or ""
            sent_value = next((v for k, v in h.sent_headers if k.lower() == "authorization"), "")
            set_scheme = set_value.split()[0] if set_value.split() else None
            sent_scheme = sent_value.split()[0] if sent_value.split() else None
            schemes = (f" (you set {set_scheme} credentials; {sent_scheme} credentials from .netrc were sent)"
                       if set_scheme and sent_scheme else "")
            out.append(make_finding("netrc-override",
                                    evidence={"host": _host(h.url), "set_scheme": set_scheme,
                                              "sent_scheme": sent_scheme},
                                    schemes=schemes))
            break
    return out


def _http_findings(facts: _Facts) -> list[Finding]:
    for h in facts.exchange.hops:
        try:
            parts = urlsplit(h.url)
        except ValueError:
            continue
        if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
            continue
        names = [c.name for c in _credentials_for(h, facts.expectations)]
        if h.role == "token":
            names += _token_hop_secrets(h)
        if names:
            return [make_finding("credentials-over-http",
                                 evidence={"url": mask_url(h.url, facts.expectations.api_key_names),
                                           "host": parts.hostname, "names": names},
                                 names=", ".join(names))]
    return []


def _scope_finding(facts: _Facts) -> tuple[Finding | None, str | None]:
    """insufficient-scope, and a missing-evidence note when the granted scopes cannot be known."""
    server_says = "insufficient_scope" in facts.codes
    required: list[str] = []
    sources: list[str] = []
    for ch in facts.challenges:
        if ch.param("scope"):
            required += (ch.param("scope") or "").split()
            sources.append("challenge")
    if facts.expectations.scopes:
        required += list(facts.expectations.scopes)
        sources.append("profile")
    accepted_raw = facts.resp.header("X-Accepted-OAuth-Scopes")
    accepted = [s.strip() for s in (accepted_raw or "").split(",") if s.strip()]
    if accepted:
        sources.append("X-Accepted-OAuth-Scopes")
    granted: set[str] | None = None
    if facts.token and facts.token.format == "jws":
        granted = granted_scopes(facts.token.claims)
    oauth_scopes = facts.resp.header("X-OAuth-Scopes")
    if oauth_scopes is not None:
        granted = (granted or set()) | {s.strip() for s in oauth_scopes.split(",") if s.strip()}
    required = list(dict.fromkeys(required))
    missing: list[str] = []
    if granted is not None:
        missing = [s for s in required if s not in granted]
        if accepted and not (granted & set(accepted)):
            missing += [s for s in accepted if s not in missing]
    note = MISSING["scopes-unknown"] if (required or accepted) and granted is None else None
    if not (server_says or missing):
        return None, note
    parts = []
    if server_says:
        parts.append(f"The server says insufficient_scope (in the {facts.codes['insufficient_scope']}).")
    if missing:
        if accepted and not required:
            parts.append(f"The request accepts one of: {', '.join(accepted)}; the token grants none of them.")
        else:
            parts.append(f"Missing: {', '.join(missing)}.")
    elif (required or accepted) and granted is not None:
        parts.append(f"Every scope known to be needed ({', '.join(required or accepted)}) is granted, so the "
                     "server wants one it did not name.")
    elif required or accepted:
        parts.append(f"Required: {', '.join(required or accepted)}.")
    if granted is not None:
        parts.append(f"Granted: {', '.join(sorted(granted)) or 'none'}.")
    else:
        parts.append("The granted scopes cannot be read from this token.")
    # what to ask for: the missing scopes; with nothing missing but unknown grants, the known requirements
    want = missing or ([] if granted is not None else required or accepted)
    finding = make_finding(
        "insufficient-scope",
        evidence={"server_said": server_says, "required": required, "accepted_any_of": accepted,
                  "granted": sorted(granted) if granted is not None else None, "missing": missing,
                  "sources": sources},
        detail=" ".join(parts),
        missing_or_required=("scope " + " ".join(want)) if want else "the scope the API documents",
        missing_suffix=f" ({', '.join(missing)})" if missing else "",
    )
    return finding, note


def _step_up_finding(facts: _Facts) -> Finding | None:
    codes = [c for c in facts.codes if c in STEP_UP_CODES]
    if not codes:
        return None
    claims = facts.token.claims if facts.token and facts.token.format == "jws" else {}
    ch = next((c for c in facts.challenges if c.param("error") in STEP_UP_CODES), None)
    acr_values = ch.param("acr_values") if ch else None
    max_age = ch.param("max_age") if ch else None
    parts = [f"The server says {codes[0]}."]
    need = "more claims in the token" if codes[0] == "insufficient_claims" else "a stronger or more recent login"
    evidence: dict[str, object] = {"code": codes[0]}
    if acr_values:
        acr = claims.get("acr")
        parts.append(f"It asks for acr {acr_values}; the token's acr is {acr if acr is not None else 'missing'}.")
        evidence.update(acr_values=acr_values, acr=acr)
        need = f"a login with acr {acr_values}"
    if max_age:
        evidence["max_age"] = max_age
        tl = facts.timeline
        if tl and tl.auth_time and tl.reference_time:
            age = (tl.reference_time - tl.auth_time).total_seconds()
            parts.append(f"It wants a login at most {max_age} s old; yours was {describe_relative(age)} old.")
            evidence["login_age_s"] = round(age, 1)
        else:
            parts.append(f"It wants a login at most {max_age} s old; the token has no auth_time.")
        need = f"a login within the last {max_age} s" if not acr_values else need
    if ch and ch.param("claims"):
        evidence["claims_requested"] = True
    return make_finding("step-up-required", evidence=evidence, detail=" ".join(parts), need=need)


def _dpop_finding(facts: _Facts) -> Finding | None:
    cred = facts.credential
    sent = (cred.scheme or "").lower() if cred and cred.where == "authorization" else ""
    why = None
    if "use_dpop_nonce" in facts.codes:
        why = "The server asks for a DPoP proof carrying its nonce (use_dpop_nonce; see the DPoP-Nonce header)"
    elif any(ch.is_scheme("DPoP") for ch in facts.challenges) and sent != "dpop" and not any(
        ch.is_scheme(sent) for ch in facts.challenges if sent
    ):
        why = f"The server challenges with DPoP; you sent {cred.scheme if cred and cred.scheme else 'no DPoP proof'}"
    elif facts.token and facts.token.format == "jws" and sent == "bearer":
        cnf = facts.token.claims.get("cnf")
        if isinstance(cnf, Mapping) and "jkt" in cnf:
            why = "The token is bound to a key (cnf.jkt) but was sent as a plain Bearer token"
    if why is None:
        return None
    return make_finding("dpop-required", evidence={"sent_scheme": cred.scheme if cred else None,
                                                   "dpop_nonce": facts.resp.header("DPoP-Nonce") is not None},
                        why=why)


def _server_findings(facts: _Facts) -> list[Finding]:
    out: list[Finding] = []
    status = facts.resp.status
    if facts.server_error:
        code = facts.server_error
        where = facts.codes.get(code.lower(), "body")
        ch = next((c for c in facts.challenges + facts.proxy_challenges if c.param("error") == code), None)
        description = (ch.param("error_description") if ch else None) or (
            facts.body.message if facts.body and facts.body.code == code else None)
        uri = (ch.param("error_uri") if ch else None) or (facts.body.uri if facts.body else None)
        expected = RFC6750_STATUS.get(code.lower())
        status_part = ""
        if expected and where == "challenge" and expected != status:
            status_part = (f" RFC 6750 §3.1 says '{code}' goes with {expected}, but the server answered {status}.")
        description = _scrub(facts, description)
        out.append(make_finding(
            "server-error-code",
            evidence={"code": code, "description": description, "uri": uri, "source": where, "status": status,
                      "expected_status": expected},
            description_part=f"{description}." if description and not description.endswith(".") else (
                description or f"The server named the error '{code}'."),
            status_part=status_part,
            uri_part=f"See {uri}." if uri else ""))
    if facts.body and facts.body.message and status >= 400:
        message = _scrub(facts, _body_sentence(facts.body)) or ""
        out.append(make_finding("server-message", evidence={"message": message, "shape": facts.body.shape,
                                                            "description": _scrub(facts, facts.body.description)},
                                message=message))
    return out


def _rate_limit_finding(facts: _Facts) -> Finding | None:
    resp = facts.resp
    why = None
    if resp.status == 429:
        why = "The server answered 429 Too Many Requests"
    elif resp.status == 403:
        exhausted = _rate_limit_exhausted(resp)
        if exhausted:
            why = f"The server answered 403 with {exhausted}"
        elif facts.server_message and _RATE_MESSAGE_RE.search(facts.server_message):
            why = "The server's message says a rate limit was hit"
    if why is None:
        return None
    retry = resp.header("Retry-After") or resp.header("X-RateLimit-Reset") or resp.header("RateLimit-Reset")
    retry_part = f" (Retry-After: {retry.strip()[:40]})" if retry and resp.header("Retry-After") else ""
    return make_finding("rate-limited", evidence={"status": resp.status, "retry_after": retry},
                        why=why, retry_part=retry_part, retry_suffix=retry_part)


# ------------------------------------------------------------------------------------------------- explain


def explain(
    exchange: Exchange,
    expectations: Expectations | None = None,
    now: datetime | None = None,
    token: TokenInfo | None = None,
) -> Diagnosis:
    """Verdict, summary and findings for one finished exchange. `now` defaults to exchange.received_at."""
    exp = expectations or Expectations()
    hop = exchange.final_hop
    when = now or exchange.received_at or exchange.sent_at or (hop.sent_at if hop else None)
    # Only an exchange with no clock at all falls back to the real clock (nothing else to judge by).
    now_utc = _utc(when or datetime.now(UTC))

    if exchange.error is not None or hop is None or hop.response is None:
        message = exchange.error.message if exchange.error else "The request produced no response."
        creds = sent_credentials(hop, exp.api_key_names) if hop else []
        info = token
        if info is None and creds and (creds[0].where != "authorization" or creds[0].is_bearerish):
            info = inspect_token(creds[0].value)
        return Diagnosis(
            verdict="transport-error",
            summary=fill(VERDICT_SUMMARIES["transport-error"], {"message": message}),
            credential=creds[0] if creds else None,
            token=info,
        )

    resp = hop.response
    facts = _gather(exchange, exp, now_utc, token, hop, resp)
    if hop.role == "token":
        return _explain_token_hop(facts)
    return _explain_request(facts)


def _explain_request(facts: _Facts) -> Diagnosis:
    resp, status, exp = facts.resp, facts.resp.status, facts.expectations
    findings: list[Finding] = []
    refused = status >= 400
    cred = facts.credential

    findings += _redirect_findings(facts)
    findings += _http_findings(facts)
    auth_message = bool(facts.server_message and _AUTH_MESSAGE_RE.search(facts.server_message))
    # A 407 is the proxy's business: the API may not need credentials at all.
    # A client_secret/password in a form body (an OAuth token request) is a credential too.
    body_secrets = _token_hop_secrets(facts.hop) if facts.hop.sent_body else []
    if status != 407 and not facts.credentials and not body_secrets and (
            status in (401, 403) or facts.challenges or (refused and auth_message)):
        findings.append(make_finding("no-credentials", evidence={"status": status, "url": mask_url(
            facts.hop.url, exp.api_key_names)}))
    if cred is not None and cred.where == "authorization":
        raw = next((v for k, v in facts.hop.sent_headers if k.lower() == "authorization"), "")
        problem = _authorization_problem(raw)
        if problem:
            findings.append(make_finding("malformed-authorization",
                                         evidence={"scheme": cred.scheme, "problem": problem}, problem=problem))
        elif (cred.scheme or "").lower() == "basic":
            findings += _basic_findings(facts, cred)
        if cred.scheme and facts.challenges and refused and not any(ch.is_scheme(cred.scheme)
                                                                    for ch in facts.challenges):
            challenged = ", ".join(dict.fromkeys(ch.scheme for ch in facts.challenges))
            findings.append(make_finding("scheme-mismatch",
                                         evidence={"sent": cred.scheme, "challenged": challenged.split(", ")},
                                         sent=cred.scheme, challenged=challenged))
    if status == 401 and not header_values(resp.headers, "WWW-Authenticate"):
        findings.append(make_finding("missing-challenge", evidence={"status": status}))
    findings += _server_findings(facts)

    info, tl = facts.token, facts.timeline
    if info is not None:
        token_findings = _token_findings(info, tl if info.format == "jws" else None, exp, alone=False,
                                         bearerish=bool(cred and cred.is_bearerish))
        if _has(findings, "malformed-authorization"):
            # 'Bearer Bearer x' sends the value 'Bearer x': calling it an opaque token would mislead.
            token_findings = [f for f in token_findings if f.id != "opaque-token"]
        findings += token_findings
    if tl is not None and tl.clock_skew_s is not None and abs(tl.clock_skew_s) > 60:
        skew = tl.clock_skew_s
        findings.append(make_finding(
            "clock-skew", severity="error" if abs(skew) > 300 else "warning",
            evidence={"clock_skew_s": round(skew, 1), "server_date": _iso(tl.server_date), "sent_at": _iso(tl.sent_at)},
            amount=describe_relative(skew), side="behind" if skew > 0 else "ahead of"))
    scope, scope_note = _scope_finding(facts)
    if scope is not None and (refused or exp.scopes):
        findings.append(scope)
    step_up = _step_up_finding(facts)
    if step_up is not None:
        findings.append(step_up)
    dpop = _dpop_finding(facts)
    if dpop is not None and (refused or "use_dpop_nonce" in facts.codes):
        findings.append(dpop)
    if (refused and facts.server_message and _WRONG_TYPE_MESSAGE_RE.search(facts.server_message)
            and not _has(findings, "wrong-token-type", "id-token-as-access-token")):
        findings.append(make_finding("wrong-token-type", evidence={"message": facts.server_message},
                                     kind="non-access", why="the server's message says so"))
    if status == 407 and header_values(resp.headers, "Proxy-Authenticate"):
        challenged = ", ".join(dict.fromkeys(ch.scheme for ch in facts.proxy_challenges)) or "an unreadable scheme"
        findings.append(make_finding("proxy-auth-required", evidence={"challenged": challenged.split(", ")},
                                     challenged=challenged))
    rate = _rate_limit_finding(facts)
    if rate is not None:
        findings.append(rate)

    auth_errors = [f for f in findings if f.id in AUTHENTICATION_IDS and f.severity == "error"]
    auth_codes = any(code in AUTHENTICATION_CODES for code in facts.codes)
    facts.waf = _waf_block(facts)
    if (status == 403 and cred is not None and rate is None and facts.waf is None and not auth_errors
            and not auth_message
            and not auth_codes and not _has(findings, "insufficient-scope", "step-up-required", "dpop-required")):
        findings.append(make_finding("authenticated-not-permitted",
                                     evidence={"status": status, "message": facts.server_message},
                                     reason_suffix=_quoted_suffix(facts.server_message)))

    findings = sort_findings(findings)
    verdict = _verdict(facts, findings, auth_message)
    missing = _missing_evidence(facts, scope_note)
    return Diagnosis(
        verdict=verdict,
        summary=_summary(facts, verdict, findings),
        findings=tuple(findings),
        challenges=tuple(facts.challenges),
        proxy_challenges=tuple(facts.proxy_challenges),
        credential=cred,
        token=info,
        timeline=tl,
        server_error=facts.server_error,
        server_message=facts.server_message,
        missing_evidence=tuple(missing),
    )


def _has(findings: Sequence[Finding], *ids: str) -> bool:
    return any(f.id in ids for f in findings)


def _quoted_suffix(message: str | None) -> str:
    if not message:
        return ""
    short = message if len(message) <= 160 else message[:160] + "…"
    return f" (the server says \u201c{short.rstrip('.')}\u201d)"


def _verdict(facts: _Facts, findings: list[Finding], auth_message: bool) -> str:
    status = facts.resp.status
    if status == 407:
        return "proxy-authentication"
    if status < 400:
        return "ok"
    if _has(findings, "step-up-required"):
        return "step-up"
    if _has(findings, "rate-limited") or facts.waf is not None:
        return "not-credential-related"
    if "insufficient_scope" in facts.codes:
        return "authorization"  # the server said so, whatever status it chose
    if _has(findings, "insufficient-scope") and not any(
        f.id in AUTHENTICATION_IDS and f.severity == "error" for f in findings
    ):
        return "authorization"
    if status == 401:
        return "authentication"
    auth_evidence = (
        any(f.id in AUTHENTICATION_IDS and f.severity == "error" for f in findings)
        or any(code in AUTHENTICATION_CODES for code in facts.codes)
        or auth_message
    )
    if auth_evidence and status in (400, 403, 422, 419, 440, 498, 499):
        return "authentication"
    if status == 403:
        return "authorization"
    return "not-credential-related"


# Which finding speaks for the summary, most decisive first.
_SUMMARY_ORDER = (
    "proxy-auth-required",
    "step-up-required",
    *AUTHENTICATION_IDS,
    "basic-charset",
    "insufficient-scope",
    "rate-limited",
    "authenticated-not-permitted",
)
_SUMMARY_FOR_VERDICT = {
    "authentication": set(AUTHENTICATION_IDS) | {"basic-charset", "token-near-expiry", "clock-skew"},
    "authorization": {"insufficient-scope", "authenticated-not-permitted"},
    "step-up": {"step-up-required"},
    "proxy-authentication": {"proxy-auth-required"},
    "not-credential-related": {"rate-limited"},
}


def _summary(facts: _Facts, verdict: str, findings: list[Finding]) -> str:
    status = _status_text(facts.resp)
    allowed = _SUMMARY_FOR_VERDICT.get(verdict, set())
    by_id = {f.id: f for f in findings}
    if verdict == "ok":
        # findings are sorted error > warning > info: the first non-info one is the "but"
        errors = [f for f in findings if f.severity in ("error", "warning")]
        if errors:
            title = errors[0].title
            return fill(VERDICT_SUMMARIES["ok-but"], {"status": status, "finding": title[:1].lower() + title[1:]})
        return fill(VERDICT_SUMMARIES["ok"], {"status": status})
    if verdict == "not-credential-related" and facts.waf is not None and "rate-limited" not in by_id:
        return fill(VERDICT_SUMMARIES["waf"], {"status": status, "evidence": facts.waf})
    for fid in _SUMMARY_ORDER + ("token-near-expiry", "clock-skew"):
        if fid in allowed and fid in by_id:
            return finding_summary(by_id[fid])
    message = facts.server_message
    if verdict == "authentication" and "invalid_client" in facts.codes and _token_hop_secrets(facts.hop):
        return fill(VERDICT_SUMMARIES["token-endpoint-client"], {
            "url": mask_url(facts.hop.url), "code": "invalid_client",
            "desc_part": f": \u201c{message.rstrip('.')}\u201d" if message else ""})
    if message and _is_generic(message, facts.resp):
        message = None  # quoting "Unauthorized" after "401 Unauthorized" tells nobody anything
    if verdict == "not-credential-related" and facts.resp.status >= 500:
        return fill(VERDICT_SUMMARIES["server-error"], {
            "status": status, "message_part": f" saying \u201c{message.rstrip('.')}\u201d" if message else ""})
    if verdict == "authentication" and message and "missing authentication token" in message.lower():
        return VERDICT_SUMMARIES["aws-missing-token"]
    if verdict == "authentication" and message:
        return fill(VERDICT_SUMMARIES["authentication-message"], {"status": status, "message": message.rstrip(".")})
    if verdict == "authentication" and "missing-challenge" in by_id:
        return finding_summary(by_id["missing-challenge"])
    if verdict == "not-credential-related" and message:
        return fill(VERDICT_SUMMARIES["not-credential-related-message"],
                    {"status": status, "message": message.rstrip(".")})
    if verdict == "not-credential-related" and facts.resp.status in (404, 410):
        return fill(VERDICT_SUMMARIES["not-found"], {"status": status})
    return fill(VERDICT_SUMMARIES.get(verdict, "{status}"), {"status": status})


def _is_generic(message: str, resp: Response) -> bool:
    """A message that only repeats the status line ("Unauthorized", "Forbidden.")."""
    text = message.strip().rstrip(".!").strip().lower()
    phrases = {resp.reason.strip().lower(), "unauthorized", "forbidden", "unauthorised"}
    try:
        phrases.add(HTTPStatus(resp.status).phrase.lower())
    except ValueError:
        pass
    return text in phrases or text == f"{resp.status} {resp.reason}".strip().lower()


# Block pages of common web application firewalls and CDNs: (header name, value pattern or None).
_WAF_HEADERS = (
    ("cf-mitigated", None),  # Cloudflare: the request met a challenge or block rule
    ("x-amzn-waf-action", None),  # AWS WAF
    ("x-sucuri-block", None),
    ("x-iinfo", None),  # Imperva Incapsula
)
_WAF_BODY_RE = re.compile(
    r"you have been blocked|attention required!|request blocked|request rejected|the requested url was rejected"
    r"|incapsula incident|web application firewall|access denied.{0,200}reference #|sucuri website firewall"
    r"|mod_security|modsecurity",
    re.IGNORECASE | re.DOTALL,
)


def _waf_block(facts: _Facts) -> str | None:
    """Why the refusal looks like a web application firewall's block page, or None."""
    resp = facts.resp
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


def _missing_evidence(facts: _Facts, scope_note: str | None) -> list[str]:
    missing = list(facts.missing)
    info, tl = facts.token, facts.timeline
    if facts.credential is not None and info is None and facts.credential.is_bearerish:
        missing.append(MISSING["no-token"])
    if info is not None:
        if info.format == "opaque" and facts.credential and facts.credential.is_bearerish:
            missing.append(MISSING["opaque"])
        elif info.format == "jwe":
            missing.append(MISSING["jwe"])
        elif info.decode_error:
            missing.append(fill(MISSING["decode"], {"error": info.decode_error}))
        elif info.format == "jws":
            times = any(k in info.claims for k in ("exp", "nbf", "iat"))
            if times and tl is not None and not tl.by_server_clock:
                missing.append(fill(MISSING["date-cached"], {"note": tl.date_note}) if tl.date_note
                               else MISSING["no-date"])
            if "exp" not in info.claims:
                missing.append(MISSING["no-exp"])
            if info.verify_outcome is None and facts.resp.status >= 400:
                missing.append(MISSING["unverified"])
            elif info.verify_outcome == "unavailable":
                missing.append(fill(MISSING["verify-unavailable"], {"error": info.verify_error}))
    if scope_note:
        missing.append(scope_note)
    if facts.resp.status == 407 and not header_values(facts.resp.headers, "Proxy-Authenticate"):
        missing.append(MISSING["proxy-no-challenge"])
    return list(dict.fromkeys(missing))


def _explain_token_hop(facts: _Facts) -> Diagnosis:
    """The send stopped at the OAuth token request: judge the token endpoint's answer."""
    resp, status = facts.resp, facts.resp.status
    findings = _http_findings(facts)
    if status == 401 and not header_values(resp.headers, "WWW-Authenticate"):
        findings.append(make_finding("missing-challenge", evidence={"status": status, "hop": "token"}))
    findings += _server_findings(facts) if status >= 400 else []
    if status >= 400 and not _has(findings, "server-message") and facts.server_message:
        findings.append(make_finding("server-message", evidence={"message": facts.server_message},
                                     message=facts.server_message))
    findings = sort_findings(findings)
    code = (facts.server_error or "").lower()
    if status >= 500:
        verdict = "not-credential-related"
    elif code in AUTHORIZATION_TOKEN_ENDPOINT_CODES:
        verdict = "authorization"
    elif status == 429:
        verdict = "not-credential-related"
    else:
        verdict = "authentication"  # 4xx, or a 2xx that gave no usable token: we could not get credentials
    problem = facts.exchange.token_problem
    url = mask_url(facts.hop.url)
    desc = facts.server_message
    if code == "invalid_client":
        summary = fill(VERDICT_SUMMARIES["token-endpoint-client"],
                       {"url": url, "code": facts.server_error,
                        "desc_part": f": \u201c{desc.rstrip('.')}\u201d" if desc else ""})
    else:
        message = (str(problem) if problem else None) or desc or "no usable token came back"
        summary = fill(VERDICT_SUMMARIES["token-endpoint"],
                       {"url": url, "status": _status_text(resp), "message": (_scrub(facts, message.rstrip(".")) or "") + ".",
                        "code_part": f" with {facts.server_error}" if facts.server_error else ""})
    return Diagnosis(
        verdict=verdict,
        summary=summary,
        findings=tuple(findings),
        challenges=tuple(facts.challenges),
        proxy_challenges=tuple(facts.proxy_challenges),
        timeline=facts.timeline,
        server_error=facts.server_error,
        server_message=facts.server_message,
        missing_evidence=tuple(facts.missing),
    )


# --------------------------------------------------------------------------------------------- token alone


def strip_scheme(raw: str) -> str:
    """A pasted 'Bearer eyJ…' or 'Authorization: Bearer eyJ…' becomes the bare token."""
    text = raw.strip()
    if text.lower().startswith("authorization:"):
        text = text.split(":", 1)[1].strip()
    parts = text.split(None, 1)
    if parts and parts[0].lower() in ("bearer", "dpop", "token", "jwt"):
        text = parts[1].strip() if len(parts) == 2 else ""  # a scheme alone carries no token
    return text


def inspect_alone(
    raw_token: str,
    expectations: Expectations | None = None,
    now: datetime | None = None,
    *,
    token: TokenInfo | None = None,
) -> tuple[TokenInfo, Timeline | None, list[Finding]]:
    """Judge a token with no request around it, against `now` (the local clock; the CLI passes it in).

    Pass `token` when its signature was already checked with verify_token, to get signature-invalid.
    """
    exp = expectations or Expectations()
    now_utc = _utc(now or datetime.now(UTC))
    info = token or inspect_token(strip_scheme(raw_token))
    timeline = None
    if info.format == "jws" and not info.decode_error:
        timeline = build_timeline(info.claims, sent_at=now_utc, elapsed_s=0.0, server_date=None, age_header=None,
                                  now=now_utc, leeway_s=exp.leeway_s)
    findings = sort_findings(_token_findings(info, timeline, exp, alone=True))
    return info, timeline, findings
