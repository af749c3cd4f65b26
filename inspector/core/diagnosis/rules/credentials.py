"""What was sent: no-credentials, credentials-stripped-on-redirect, netrc-override, credentials-over-http,
malformed-authorization, scheme-mismatch, basic-charset."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from inspector.core.challenges import TOKEN68_RE
from inspector.core.cookies import is_loopback
from inspector.core.diagnosis.facts import (
    Facts,
    body_credentials,
    credentials_for,
    host_of,
    origin,
    token_hop_secrets,
)
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.exchange import Hop
from inspector.core.redact import mask_url
from inspector.core.tokens import SentCredential

_PLACEHOLDERS = frozenset(
    {
        "undefined",
        "null",
        "none",
        "nil",
        "<token>",
        "token",
        "$token",
        "${token}",
        "{{token}}",
        "[object",
        "false",
    }
)


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """Credentials lost on the way, sent in the clear, missing, or malformed."""
    out = redirect_findings(facts) + over_http(facts)
    status, cred = facts.status, facts.credential
    # A 407 is the proxy's business: the API may not need credentials at all.
    # A client_secret/password in a form body (an OAuth token request) is a credential too.
    body_secrets = body_credentials(facts.hop)
    if (
        status != 407
        and not facts.credentials
        and not body_secrets
        and (facts.refusal_status in (401, 403) or facts.challenges or (facts.refused and facts.auth_message))
    ):
        out.append(
            make_finding(
                "no-credentials",
                evidence={"status": status, "url": mask_url(facts.hop.url, facts.expectations.api_key_names)},
            )
        )
    if cred is not None and cred.where == "authorization":
        out += authorization_findings(facts, cred)
    return out


def check_token_endpoint(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """For an OAuth token request: only whether its secrets went over plain HTTP."""
    return over_http(facts)


def authorization_findings(facts: Facts, cred: SentCredential) -> list[Finding]:
    out: list[Finding] = []
    raw = next((v for k, v in facts.hop.sent_headers if k.lower() == "authorization"), "")
    # A value read back masked from history or a HAR file was sent whole: the mask is ours, not a flaw in it.
    problem = None if facts.masked else authorization_problem(raw)
    if problem:
        out.append(
            make_finding(
                "malformed-authorization",
                evidence={"scheme": cred.scheme, "problem": problem},
                problem=problem,
            )
        )
    elif (cred.scheme or "").lower() == "basic" and not facts.masked:
        out += basic_findings(facts, cred)
    if (
        cred.scheme
        and facts.challenges
        and facts.refused
        and not any(ch.is_scheme(cred.scheme) for ch in facts.challenges)
    ):
        challenged = ", ".join(dict.fromkeys(ch.scheme for ch in facts.challenges))
        out.append(
            make_finding(
                "scheme-mismatch",
                evidence={"sent": cred.scheme, "challenged": challenged.split(", ")},
                sent=cred.scheme,
                challenged=challenged,
            )
        )
    return out


def authorization_problem(raw: str) -> str | None:
    """Why an Authorization value is malformed, in a sentence without the secret; None when it looks fine."""
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
        return (
            f"The credentials are the placeholder '{cred[:20]}', not a token: "
            "the variable was never filled in"
        )
    if scheme.lower() in ("bearer", "basic", "dpop"):
        if any(c.isspace() for c in cred):
            return "The credentials contain whitespace (a line break or a second word)"
        if not TOKEN68_RE.fullmatch(cred):
            bad = sorted({c for c in cred if not re.match(r"[A-Za-z0-9\-._~+/=]", c)})[:5]
            shown = " ".join(repr(c) for c in bad) if bad else "'=' in the middle"
            return f"The credentials hold characters a token68 cannot hold ({shown})"
    return None


def basic_findings(facts: Facts, cred: SentCredential) -> list[Finding]:
    try:
        decoded = base64.b64decode(cred.value, validate=True)
    except (binascii.Error, ValueError):
        return [
            make_finding(
                "malformed-authorization",
                evidence={"scheme": cred.scheme, "problem": "basic-not-base64"},
                problem="The Basic credentials are not valid base64 of 'user:password'",
            )
        ]
    if b":" not in decoded:
        return [
            make_finding(
                "malformed-authorization",
                evidence={"scheme": cred.scheme, "problem": "basic-no-colon"},
                problem="The Basic credentials have no ':' between the user name and the password",
            )
        ]
    wants_utf8 = any(
        ch.is_scheme("Basic") and (ch.param("charset") or "").lower() in ("utf-8", "utf8")
        for ch in facts.challenges
    )
    if wants_utf8 and any(b > 0x7F for b in decoded):
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return [make_finding("basic-charset", evidence={"charset_requested": "UTF-8", "non_ascii": True})]
    return []


def redirect_findings(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    hops = facts.exchange.request_hops
    if not hops:
        return out
    final = hops[-1]
    stripped = [n for h in hops for n in h.credentials_stripped]
    carried = [(h, credentials_for(h, facts.expectations)) for h in hops[:-1]]
    with_creds = [(h, c) for h, c in carried if c]
    final_creds = facts.credentials if facts.hop is final else credentials_for(final, facts.expectations)
    source: Hop | None = None
    names: list[str] = []
    if with_creds and not final_creds:
        last_h, last_c = with_creds[-1]
        if origin(last_h.url) != origin(final.url):
            source, names = last_h, [c.name for c in last_c]
    if stripped and source is None:
        source = next((h for h, _c in reversed(with_creds) if origin(h.url) != origin(final.url)), hops[0])
    if source is not None:
        all_names = sorted(set(names) | set(stripped), key=str.lower)
        out.append(
            make_finding(
                "credentials-stripped-on-redirect",
                evidence={
                    "from_origin": origin(source.url),
                    "to_origin": origin(final.url),
                    "names": all_names,
                    "redirects": len(hops) - 1,
                },
                names=", ".join(all_names) or "credentials",
            )
        )
    for h in hops:
        if h.netrc_applied:
            set_value = facts.exchange.spec.header("Authorization") or ""
            sent_value = next((v for k, v in h.sent_headers if k.lower() == "authorization"), "")
            set_scheme = set_value.split()[0] if set_value.split() else None
            sent_scheme = sent_value.split()[0] if sent_value.split() else None
            schemes = (
                f" (you set {set_scheme} credentials; {sent_scheme} credentials from .netrc were sent)"
                if set_scheme and sent_scheme
                else ""
            )
            out.append(
                make_finding(
                    "netrc-override",
                    evidence={"host": host_of(h.url), "set_scheme": set_scheme, "sent_scheme": sent_scheme},
                    schemes=schemes,
                )
            )
            break
    return out


def over_http(facts: Facts) -> list[Finding]:
    """credentials-over-http: the first hop that sent credentials over plain HTTP to a non-loopback host."""
    for h in facts.exchange.hops:
        try:
            parts = urlsplit(h.url)
        except ValueError:
            continue
        if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
            continue
        names = [c.name for c in credentials_for(h, facts.expectations)]
        if h.role == "token":
            names += token_hop_secrets(h)
        if names:
            return [
                make_finding(
                    "credentials-over-http",
                    evidence={
                        "url": mask_url(h.url, facts.expectations.api_key_names),
                        "host": parts.hostname,
                        "names": names,
                    },
                    names=", ".join(names),
                )
            ]
    return []
