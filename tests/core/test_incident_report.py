"""The support report of an incident: cause, evidence, next step, timeline in words, the requests; no secret."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.export.incident_report import (
    build_incident_report,
    evidence_items,
    incident_report_html,
    timeline_lines,
)
from inspector.core.history import HistoryStore
from inspector.core.incidents import incidents
from inspector.core.pipeline import run
from inspector.demo.requests import burst_requests


@pytest.fixture
def burst_history(demo_url: str, tmp_path: Path) -> tuple[HistoryStore, list[str]]:
    """A real history holding the demo burst (sent through the pipeline), and the tokens it carried."""
    store = HistoryStore(tmp_path / "history.sqlite3")
    sent = burst_requests(demo_url)
    for _title, spec in sent:
        run(spec, history=store)
    tokens = sorted({h.value.split(" ", 1)[1] for _t, spec in sent for h in spec.headers})
    return store, tokens


def _found(store: HistoryStore) -> tuple[list, dict]:
    entries = store.incident_entries()
    return incidents(entries), {e.id: e for e in entries}


def test_the_report_holds_cause_evidence_next_step_timeline_and_requests(burst_history) -> None:
    store, _tokens = burst_history
    found, by_id = _found(store)
    rotated = next(i for i in found if i.cause == "signing-key-rotated")
    text = build_incident_report(rotated, by_id.values(), source="the history",
                                 generated_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert text.startswith("# Incident report: The signing key was rotated")
    assert "signing\\-key\\-rotated" in text or "signing-key-rotated" in text
    assert "## Next step" in text and "## Evidence" in text and "## Timeline" in text
    assert "Key id of the last success (kid)" in text
    assert "The change happened between" in text
    assert text.count("refused: 401 GET") == rotated.failed  # every failure is on the time axis
    assert "succeeded: 200 GET" in text
    for entry_id in rotated.entries:
        assert f"\\#{entry_id} " in text or f"#{entry_id} " in text
    assert "report written 2026-11-27 15:00:00 UTC" in text


def test_no_token_reaches_the_report_in_either_format(burst_history) -> None:
    store, tokens = burst_history
    found, by_id = _found(store)
    assert found
    for incident in found:
        for page in (build_incident_report(incident, by_id.values()),
                     incident_report_html(incident, by_id.values())):
            for token in tokens:
                assert token not in page
                assert token.split(".")[2] not in page  # not even the signature


def test_a_secret_in_a_url_or_in_evidence_text_is_masked(burst_history) -> None:
    from dataclasses import replace

    store, tokens = burst_history
    found, by_id = _found(store)
    incident = found[0]
    leaked = replace(incident, evidence={**incident.evidence, "error_codes": [f"Bearer {tokens[0]}"]})
    first = by_id[incident.entries[0]]
    by_id[first.id] = replace(first, url=first.url + f"?access_token={tokens[0]}")
    page = build_incident_report(leaked, by_id.values())
    assert tokens[0] not in page
    assert all(tokens[0] not in value for _label, value in evidence_items(leaked))


def test_timeline_lines_without_entries_name_each_mark_by_id(burst_history) -> None:
    store, _tokens = burst_history
    found, _by_id = _found(store)
    expired = next(i for i in found if i.cause == "credentials-expired")
    lines = timeline_lines(expired)
    assert sum("refused" in line for line in lines) == expired.failed
    assert lines[-1].endswith(f"#{expired.entries[-1]}") or "succeeded" in lines[-1]
