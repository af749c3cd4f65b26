"""Diagnosis: what the explainer concluded about one exchange (the value the panel, history and CLI show)."""

from __future__ import annotations

from dataclasses import dataclass

from inspector.core.challenges import Challenge
from inspector.core.diagnosis.findings import Finding, Verdict
from inspector.core.timeline import Timeline
from inspector.core.tokens import SentCredential, TokenInfo


@dataclass(frozen=True)
class Diagnosis:
    verdict: Verdict
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
