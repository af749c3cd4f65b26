"""Who the token is for and who issued it: audience-mismatch, issuer-mismatch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.diagnosis.wording import expected_value
from inspector.core.expectations import Expectations


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    info = facts.readable_token
    if info is None:
        return []
    exp, named = facts.expectations, server_expectations(facts)
    # What the server says it expected stands in for an expectation the profile did not set.
    merged = replace(exp, audience=exp.audience or named.audience, issuer=exp.issuer or named.issuer)
    out = identity_findings(info.claims, merged)
    return [_from_server(f) if _named_by_server(f, exp, named) else f for f in out]


def server_expectations(facts: Facts) -> Expectations:
    """The audience or issuer a refusal names as the one it expected (jsonwebtoken: "expected: api://x")."""
    wording = facts.wording
    if not facts.refused or wording is None or wording.family.name not in ("audience", "issuer"):
        return Expectations()
    texts = [facts.server_message, *(ch.param("error_description") for ch in facts.challenges)]
    value = next((v for v in map(expected_value, texts) if v), None)
    if value is None:
        return Expectations()
    return Expectations(audience=value) if wording.family.name == "audience" else Expectations(issuer=value)


def _named_by_server(f: Finding, exp: Expectations, named: Expectations) -> bool:
    return (f.id == "audience-mismatch" and not exp.audience and bool(named.audience)) or (
        f.id == "issuer-mismatch" and not exp.issuer and bool(named.issuer)
    )


def _from_server(f: Finding) -> Finding:
    """The finding, saying that the expected value is the server's word, not the profile's."""
    return replace(f, evidence={**f.evidence, "expected_from": "server"},
                   detail=f.detail + " (The expected value is the one the server's message names.)")


def identity_findings(claims: Mapping[str, object], expectations: Expectations) -> list[Finding]:
    """aud and iss against the expected audience and issuer, when they are set."""
    out: list[Finding] = []
    if expectations.audience:
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else ([str(a) for a in aud] if isinstance(aud, list) else [])
        if expectations.audience not in auds:
            actual = ", ".join(auds) if auds else "missing"
            out.append(
                make_finding(
                    "audience-mismatch",
                    evidence={"expected": expectations.audience, "actual": auds},
                    expected=expectations.audience,
                    actual=actual,
                    difference=audience_difference(expectations.audience, auds),
                )
            )
    if expectations.issuer:
        iss = claims.get("iss")
        if iss != expectations.issuer:
            actual = iss if isinstance(iss, str) else "missing"
            difference = (
                issuer_difference(expectations.issuer, iss)
                if isinstance(iss, str)
                else "The token has no iss claim."
            )
            out.append(
                make_finding(
                    "issuer-mismatch",
                    evidence={
                        "expected": expectations.issuer,
                        "actual": iss if isinstance(iss, str) else None,
                        "difference": difference,
                    },
                    expected=expectations.issuer,
                    actual=actual,
                    difference=difference,
                )
            )
    return out


def issuer_difference(expected: str, actual: str) -> str:
    """Say what differs between two issuer URLs: trailing slash, /v2.0, tenant, scheme, case."""
    e, a = expected.strip(), actual.strip()
    if e.rstrip("/") == a.rstrip("/"):
        return "They differ only by a trailing slash, which issuers compare exactly."
    if e.lower() == a.lower():
        return "They differ only in letter case, which issuers compare exactly."
    if e.split("://", 1)[-1] == a.split("://", 1)[-1]:
        return "They differ only in the URL scheme (http vs https)."
    e_n, a_n = e.rstrip("/"), a.rstrip("/")
    if e_n.endswith("/v2.0") != a_n.endswith("/v2.0"):
        return (
            "One is a v2.0 issuer and the other a v1 issuer (Microsoft identity platform): request a token "
            "for the same endpoint version, or set accessTokenAcceptedVersion."
        )
    if ("sts.windows.net" in e) != ("sts.windows.net" in a):
        return (
            "One is the v1 issuer (sts.windows.net) and the other the v2.0 issuer "
            "(login.microsoftonline.com)."
        )
    e_parts, a_parts = e_n.split("/"), a_n.split("/")
    if len(e_parts) == len(a_parts):
        diff = [(x, y) for x, y in zip(e_parts, a_parts, strict=True) if x != y]
        if len(diff) == 1 and e_parts[:3] == a_parts[:3]:
            return f"Only one path part differs ('{diff[0][0]}' vs '{diff[0][1]}'): another tenant or realm."
    if e_parts[:3] != a_parts[:3]:
        return "They are different hosts: the token comes from another identity provider or environment."
    return "They do not match exactly, and issuers are compared exactly."


def audience_difference(expected: str, actual: list[str]) -> str:
    """A near miss between the expected audience and one the token names ('' when there is none)."""
    e = expected.strip()
    for a in (x.strip() for x in actual):
        if e.rstrip("/") == a.rstrip("/"):
            return f" '{a}' differs only by a trailing slash, and audiences are compared exactly."
        if e.lower() == a.lower():
            return f" '{a}' differs only in letter case, and audiences are compared exactly."
    return ""
