"""Authenticated, but not strongly or freshly enough, or without proof of possession: step-up-required,
dpop-required."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.timeline import describe_relative

# RFC 9470 and OpenID's claims challenge
STEP_UP_CODES = frozenset({"insufficient_user_authentication", "insufficient_claims"})


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    step_up = step_up_finding(facts)
    if step_up is not None:
        out.append(step_up)
    dpop = dpop_finding(facts)
    if dpop is not None and (facts.refused or "use_dpop_nonce" in facts.codes):
        out.append(dpop)
    return out


def step_up_finding(facts: Facts) -> Finding | None:
    codes = [c for c in facts.codes if c in STEP_UP_CODES]
    if not codes:
        return None
    claims = facts.token.claims if facts.token and facts.token.format == "jws" else {}
    ch = next((c for c in facts.challenges if c.param("error") in STEP_UP_CODES), None)
    acr_values = ch.param("acr_values") if ch else None
    max_age = ch.param("max_age") if ch else None
    parts = [f"The server says {codes[0]}."]
    need = (
        "more claims in the token" if codes[0] == "insufficient_claims" else "a stronger or more recent login"
    )
    evidence: dict[str, object] = {"code": codes[0]}
    if acr_values:
        acr = claims.get("acr")
        parts.append(
            f"It asks for acr {acr_values}; the token's acr is {acr if acr is not None else 'missing'}."
        )
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


def dpop_finding(facts: Facts) -> Finding | None:
    cred = facts.credential
    sent = (cred.scheme or "").lower() if cred and cred.where == "authorization" else ""
    why = None
    if "use_dpop_nonce" in facts.codes:
        why = (
            "The server asks for a DPoP proof carrying its nonce (use_dpop_nonce; see the DPoP-Nonce header)"
        )
    elif (
        any(ch.is_scheme("DPoP") for ch in facts.challenges)
        and sent != "dpop"
        and not any(ch.is_scheme(sent) for ch in facts.challenges if sent)
    ):
        sent_what = cred.scheme if cred and cred.scheme else "no DPoP proof"
        why = f"The server challenges with DPoP; you sent {sent_what}"
    elif facts.token and facts.token.format == "jws" and sent == "bearer":
        cnf = facts.token.claims.get("cnf")
        if isinstance(cnf, Mapping) and "jkt" in cnf:
            why = "The token is bound to a key (cnf.jkt) but was sent as a plain Bearer token"
    if why is None:
        return None
    return make_finding(
        "dpop-required",
        evidence={
            "sent_scheme": cred.scheme if cred else None,
            "dpop_nonce": facts.resp.header("DPoP-Nonce") is not None,
        },
        why=why,
    )
