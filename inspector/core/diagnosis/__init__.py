"""The explainer: explain(exchange, expectations, now) -> Diagnosis, and inspect_alone() for a pasted token.

facts.py     the facts read from an exchange, gathered once
rules/       one module per family of findings
verdict.py   the verdict, the summary, the missing evidence
findings.py  the catalogue: each finding's id, severity, wording, family and rank in the summary
model.py     Diagnosis
explainer.py explain() and inspect_alone(): the rules in order
"""

from __future__ import annotations

from inspector.core.diagnosis.explainer import explain, inspect_alone, strip_scheme
from inspector.core.diagnosis.facts import is_loopback
from inspector.core.diagnosis.findings import (
    FINDING_IDS,
    SEVERITIES,
    SEVERITY_RANK,
    VERDICT_TITLES,
    VERDICTS,
    Finding,
    Severity,
    Verdict,
)
from inspector.core.diagnosis.model import Diagnosis
from inspector.core.diagnosis.rules.scope import granted_scopes
from inspector.core.expectations import Expectations

__all__ = [
    "FINDING_IDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "VERDICTS",
    "VERDICT_TITLES",
    "Diagnosis",
    "Expectations",
    "Finding",
    "Severity",
    "Verdict",
    "explain",
    "granted_scopes",
    "inspect_alone",
    "is_loopback",
    "strip_scheme",
]
