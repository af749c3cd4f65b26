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

from typing import TYPE_CHECKING

from inspector.core.lazy import lazy_exports

# The names below are loaded on first use (PEP 562): importing one submodule (the codec needs findings and
# model) must not load the whole engine, whose rules take tens of milliseconds to import (start-up).
if TYPE_CHECKING:
    from inspector.core.diagnosis.evidence import evidence_lines
    from inspector.core.diagnosis.explainer import explain, explain_recorded, inspect_alone, strip_scheme
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
    "evidence_lines": "evidence",
    "explain": "explainer",
    "explain_recorded": "explainer",
    "inspect_alone": "explainer",
    "strip_scheme": "explainer",
    "FINDING_IDS": "findings",
    "SEVERITIES": "findings",
    "SEVERITY_RANK": "findings",
    "VERDICT_TITLES": "findings",
    "VERDICTS": "findings",
    "Finding": "findings",
    "Severity": "findings",
    "Verdict": "findings",
    "Diagnosis": "model",
    "granted_scopes": "rules.scope",
    "Story": "story",
    "TransportStory": "story",
    "tell": "story",
    "transport_story": "story",
    "Expectations": ".expectations",
}

__getattr__ = lazy_exports(__name__, _WHERE)


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
    "strip_scheme",
    "tell",
    "transport_story",
]
