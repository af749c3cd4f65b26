"""The catalogue is the one place that says what a finding means: its family (the verdict it argues for) and
its priority in the summary. Each finding is made by exactly one rule module."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.diagnosis import VERDICTS, explain
from inspector.core.diagnosis.findings import (
    CATALOGUE,
    FINDING_IDS,
    Finding,
    has_family,
    leading_finding,
    make_finding,
)
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.request import RequestSpec

RULES = Path(__file__).resolve().parents[2] / "inspector" / "core" / "diagnosis" / "rules"
MADE_RE = re.compile(r'make_finding\(\s*"([a-z-]+)"')


def test_every_family_and_lead_is_a_verdict_and_every_family_leads() -> None:
    for fid, spec in CATALOGUE.items():
        assert spec.family in (None, *VERDICTS), fid
        assert spec.leads in (None, *VERDICTS), fid
        if spec.family is not None:
            assert spec.priority is not None and spec.leads is None, (
                fid
            )  # evidence for a verdict also speaks for it
        if spec.leads is not None:
            assert spec.family is None and spec.priority is not None, fid
    priorities = [s.priority for s in CATALOGUE.values() if s.priority is not None]
    assert len(priorities) == len(set(priorities))  # no tie to break by accident


def test_the_authentication_family_is_the_401_family_of_the_spec() -> None:
    """shared/specs/explainer.md: who you are (missing, stripped, malformed, expired, not yet valid, badly
    signed, another audience or issuer, wrong scheme or token type, DPoP)."""
    family = {fid for fid, spec in CATALOGUE.items() if spec.family == "authentication"}
    assert family == {
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
        # shared/specs/signin.md: a session or login the server does not accept, a sign-in that gave no
        # token, a key the issuer no longer publishes
        "redirected-to-login",
        "session-expired",
        "cookie-not-sent",
        "csrf-failed",
        "login-failed",
        "oauth-flow-failed",
        "signing-key-unknown",
    }
    # signin.md: the TLS findings come with verdict transport-error (no response, error.kind tls)
    assert {fid for fid, s in CATALOGUE.items() if s.family == "transport-error"} == {
        "tls-client-certificate-required",
        "tls-client-certificate-rejected",
        "tls-untrusted-certificate",
        "tls-hostname-mismatch",
        "tls-certificate-expired",
    }
    assert {fid for fid, s in CATALOGUE.items() if s.family == "authorization"} == {
        "insufficient-scope",
        "authenticated-not-permitted",
    }


def test_every_finding_is_made_by_exactly_one_rule_module() -> None:
    """Adding a finding touches one rule module and the catalogue."""
    makers: dict[str, set[str]] = {}
    for module in RULES.glob("*.py"):
        for fid in MADE_RE.findall(module.read_text(encoding="utf-8")):
            makers.setdefault(fid, set()).add(module.name)
    assert set(makers) == set(FINDING_IDS)
    assert {fid: m for fid, m in makers.items() if len(m) > 1} == {}


def _f(fid: str) -> Finding:
    return make_finding(fid)


@pytest.mark.parametrize(
    ("ids", "verdict", "leader"),
    [
        (["clock-skew", "token-expired", "no-credentials"], "authentication", "no-credentials"),
        (["clock-skew", "token-near-expiry"], "authentication", "token-near-expiry"),
        (["basic-charset", "token-expired"], "authentication", "token-expired"),
        (["authenticated-not-permitted", "insufficient-scope"], "authorization", "insufficient-scope"),
        (["token-expired", "rate-limited"], "not-credential-related", "rate-limited"),
        (["token-expired", "server-message"], "authorization", None),
        (["server-message", "missing-challenge"], "authentication", None),
    ],
)
def test_the_leading_finding_is_the_lowest_priority_of_the_verdict(
    ids: list[str], verdict: str, leader: str | None
) -> None:
    found = leading_finding([_f(i) for i in ids], verdict)  # type: ignore[arg-type]
    assert (found.id if found else None) == leader


def test_has_family_counts_errors_only_when_asked() -> None:
    skew = make_finding("clock-skew", severity="error")
    assert not has_family([skew], "authentication")  # context: it never decides the verdict
    warning = make_finding("token-expired", severity="warning")
    assert has_family([warning], "authentication") and not has_family(
        [warning], "authentication", errors_only=True
    )
    assert has_family([_f("rate-limited")], "not-credential-related")


def test_a_large_clock_skew_alone_does_not_make_a_403_an_authentication_failure() -> None:
    """clock-skew is an error above 300 s, yet it is context, not evidence: the 403 stays authorization."""
    sent = datetime(2024, 5, 1, 12, tzinfo=UTC)
    response = Response(403, "Forbidden", (("Date", "Wed, 01 May 2024 12:10:00 GMT"),), b"", 0)
    hop = Hop("GET", "https://api.example.com/x", (("X-API-Key", "k" * 20),), response=response, sent_at=sent)
    d = explain(Exchange(RequestSpec(url=hop.url), (hop,), sent_at=sent, received_at=sent))
    skew = d.finding("clock-skew")
    assert skew is not None and skew.severity == "error"
    assert d.verdict == "authorization"
