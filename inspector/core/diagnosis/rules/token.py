"""What the token itself shows: encrypted-token, opaque-token, unsigned-token, suspicious-token-header,
signature-invalid, id-token-as-access-token, wrong-token-type."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.diagnosis.rules import has
from inspector.core.expectations import Expectations
from inspector.core.tokens import TokenInfo

_WRONG_TYPE_MESSAGE_RE = re.compile(
    r"wrong (token )?type|only (non-refresh|access|refresh) tokens|refresh tokens? (is |are )?not allowed",
    re.IGNORECASE,
)
_ACCESS_TYP = frozenset({"jwt", "at+jwt", "application/at+jwt", "jose", "jose+json", "bearer", ""})


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    info, cred = facts.token, facts.credential
    if info is not None:
        # (an opaque token beside a malformed header is dropped by the catalogue's explained_by)
        out = token_findings(
            info, facts.expectations, alone=False, bearerish=bool(cred and cred.is_bearerish)
        )
    if (
        facts.refused
        and facts.server_message
        and _WRONG_TYPE_MESSAGE_RE.search(facts.server_message)
        and not has([*found, *out], "wrong-token-type", "id-token-as-access-token")
    ):
        out.append(
            make_finding(
                "wrong-token-type",
                evidence={"message": facts.server_message},
                kind="non-access",
                why="the server's message says so",
            )
        )
    return out


def token_findings(
    info: TokenInfo, expectations: Expectations, *, alone: bool, bearerish: bool = True
) -> list[Finding]:
    """Format, signature and type. `alone`: a pasted token with no request around it."""
    out: list[Finding] = []
    if info.format == "jwe":
        out.append(
            make_finding(
                "encrypted-token",
                evidence={"format": "jwe", "alg": info.header.get("alg"), "enc": info.header.get("enc")},
            )
        )
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
            out.append(
                make_finding(
                    "unsigned-token",
                    evidence={"alg": alg, "signature_empty": info.signature_empty},
                    why=f"Its alg is '{alg}'",
                )
            )
        return out
    if (isinstance(alg, str) and alg.lower() == "none") or info.signature_empty or alg is None:
        why = (
            f"its alg is '{alg}'"
            if isinstance(alg, str) and alg.lower() == "none"
            else ("it has no alg" if alg is None else "its signature segment is empty")
        )
        out.append(
            make_finding(
                "unsigned-token",
                evidence={"alg": alg, "signature_empty": info.signature_empty},
                why=why[0].upper() + why[1:],
            )
        )
    if not alone:
        reasons = suspicious_header(header, expectations)
        if reasons:
            out.append(
                make_finding(
                    "suspicious-token-header",
                    evidence={"header_fields": sorted(k for k in header if isinstance(k, str)), "alg": alg},
                    why="; ".join(reasons),
                )
            )
    # no key for the token's kid: for a sent token rules/signin.py says signing-key-unknown (with the kids the
    # JWKS holds); a token judged alone (the token command) keeps signature-invalid
    unknown_kid = (not alone and info.verify_outcome == "no-key" and isinstance(header.get("kid"), str)
                   and header.get("kid"))
    if info.verify_outcome in ("invalid", "no-key") and not unknown_kid:
        source = f"the JWKS at {expectations.jwks_url}" if expectations.jwks_url else "the configured key"
        out.append(
            make_finding(
                "signature-invalid",
                evidence={
                    "outcome": info.verify_outcome,
                    "alg": alg,
                    "kid": header.get("kid"),
                    "error": info.verify_error,
                },
                why=info.verify_error or "The signature did not verify.",
                source=source,
            )
        )
    id_why = id_token_reason(header, claims)
    if id_why:
        out.append(make_finding("id-token-as-access-token", evidence={"reason": id_why}, why=id_why))
    else:
        kind_why = wrong_type_reason(header, claims)
        if kind_why:
            out.append(
                make_finding(
                    "wrong-token-type",
                    evidence={"kind": kind_why[0], "reason": kind_why[1]},
                    kind=kind_why[0],
                    why=kind_why[1],
                )
            )
    return out


def suspicious_header(header: Mapping[str, object], expectations: Expectations) -> list[str]:
    reasons = []
    for name in ("jku", "x5u", "jwk"):
        if name in header:
            reasons.append(f"It names its own key source '{name}', which a server must not trust blindly")
    kid = header.get("kid")
    if kid is not None:
        if not isinstance(kid, str):
            reasons.append("Its kid is not a string")
        elif (
            len(kid) > 256
            or ".." in kid
            or "/" in kid
            or "\\" in kid
            or any(c in kid for c in "'\";|$`")
            or any(ord(c) < 32 for c in kid)
        ):
            reasons.append("Its kid looks like a path or an injection attempt")
    alg = header.get("alg")
    if (
        isinstance(alg, str)
        and alg.upper().startswith("HS")
        and expectations.algorithms
        and all(not a.upper().startswith("HS") for a in expectations.algorithms)
    ):
        reasons.append(
            f"It uses {alg} (a shared secret) where {', '.join(expectations.algorithms)} is expected: "
            "the algorithm-confusion pattern"
        )
    return reasons


def id_token_reason(header: Mapping[str, object], claims: Mapping[str, object]) -> str | None:
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


def wrong_type_reason(header: Mapping[str, object], claims: Mapping[str, object]) -> tuple[str, str] | None:
    for name in ("typ", "type", "token_type", "token_use"):
        value = claims.get(name)
        if isinstance(value, str):
            low = value.lower().replace("_token", "")
            if low in (
                "refresh",
                "offline",
                "logout",
                "serialized-id",
                "registration",
                "action",
                "reset",
                "verify",
            ):
                return value.lower(), f"its {name} claim is '{value}'"
    typ = header.get("typ")
    if isinstance(typ, str) and typ.lower() not in _ACCESS_TYP and typ.lower() not in ("id", "id_token"):
        return typ, f"its header typ is '{typ}'"
    return None
