"""The rules, one module per family of findings. Each module's check(facts, found) returns its findings.

`found` holds what the rules before it found (explainer.REQUEST_RULES gives the order), for the few rules that
depend on another's result (an opaque token is not reported when the Authorization header is malformed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import Finding

Rule = Callable[[Facts, Sequence[Finding]], list[Finding]]


def has(findings: Sequence[Finding], *ids: str) -> bool:
    return any(f.id in ids for f in findings)
