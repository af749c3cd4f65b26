"""The explainer: explain(exchange, expectations, now) -> Diagnosis, and inspect_alone() for a pasted token.

facts.py     the facts read from an exchange, gathered once
rules/       one module per family of findings
verdict.py   the verdict, the summary, the missing evidence
findings.py  the catalogue: each finding's id, severity, wording, family, rank, what explains it
model.py     Diagnosis
explainer.py explain(), explain_recorded() and inspect_alone(): the rules in order
evidence.py  a finding's evidence as labelled lines in words
story.py     tell(): the explanation as the panel, CLI and report tell it; a transport error's story
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names below are loaded on first use (PEP 562): importing one submodule (the codec needs findings and
# model) must not load the whole engine, whose rules take tens of milliseconds to import (start-up).
if TYPE_CHECKING:
    from inspector.core.diagnosis.evidence import evidence_lines
    from inspector.core.diagnosis.explainer import explain, explain_recorded, inspect_alone, strip_scheme
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
    from inspector.core.diagnosis.story import Story, TransportStory, tell, transport_story
    from inspector.core.expectations import Expectations

_WHERE = {
    "evidence_lines": "inspector.core.diagnosis.evidence",
    "explain": "inspector.core.diagnosis.explainer",
    "explain_recorded": "inspector.core.diagnosis.explainer",
    "inspect_alone": "inspector.core.diagnosis.explainer",
    "strip_scheme": "inspector.core.diagnosis.explainer",
    "is_loopback": "inspector.core.diagnosis.facts",
    "FINDING_IDS": "inspector.core.diagnosis.findings",
    "SEVERITIES": "inspector.core.diagnosis.findings",
    "SEVERITY_RANK": "inspector.core.diagnosis.findings",
    "VERDICT_TITLES": "inspector.core.diagnosis.findings",
    "VERDICTS": "inspector.core.diagnosis.findings",
    "Finding": "inspector.core.diagnosis.findings",
    "Severity": "inspector.core.diagnosis.findings",
    "Verdict": "inspector.core.diagnosis.findings",
    "Diagnosis": "inspector.core.diagnosis.model",
    "granted_scopes": "inspector.core.diagnosis.rules.scope",
    "Story": "inspector.core.diagnosis.story",
    "TransportStory": "inspector.core.diagnosis.story",
    "tell": "inspector.core.diagnosis.story",
    "transport_story": "inspector.core.diagnosis.story",
    "Expectations": "inspector.core.expectations",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


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
    "Story",
    "TransportStory",
    "Verdict",
    "evidence_lines",
    "explain",
    "explain_recorded",
    "granted_scopes",
    "inspect_alone",
    "is_loopback",
    "strip_scheme",
    "tell",
    "transport_story",
]
