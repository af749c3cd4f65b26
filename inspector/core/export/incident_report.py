"""The support report for an incident: what changed, when, for whom, the evidence, the next step, the timeline
in words and the requests it holds, as Markdown or self-contained HTML.

    text = build_incident_report(incident, entries, source="history", generated_at=now)   # Markdown
    page = incident_report_html(incident, entries, source="the HAR file customer.har")

`entries` are the IncidentEntry values the incident was found among (history or a HAR file): already masked;
URLs are masked again and every text passes the free-text masker, so no secret reaches the report. The
evidence and timeline wording (`evidence_items`, `timeline_lines`) is shared with the window's Incidents view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import inspector
from inspector.core.export.report import _render_html, _render_markdown, _scrub_blocks
from inspector.core.incidents import CAUSE_TITLES, Incident, IncidentEntry
from inspector.core.redact import mask_text, mask_url

__all__ = [
    "build_incident_report",
    "evidence_items",
    "incident_report_html",
    "timeline_lines",
]

# evidence key -> its label in words; keys not listed are shown with their own name
_LABELS = {
    "issuers": "Issuers",
    "profiles": "Profiles",
    "exp_first": "First token expiry (exp)",
    "exp_last": "Last token expiry (exp)",
    "exp_spread_s": "Expiries spread over",
    "token_lifetimes_s": "Token lifetimes",
    "kids": "Signing key ids (kid)",
    "error_codes": "Server error codes",
    "failing_kids": "Key id of the failing tokens (kid)",
    "last_success_kid": "Key id of the last success (kid)",
    "jwks_kids": "Key ids the JWKS lists",
    "removed_scopes": "Scopes removed",
    "granted_before": "Scopes granted before",
    "granted_now": "Scopes granted now",
    "endpoints": "Endpoints",
    "last_success_id": "Last success (history entry)",
    "findings": "Findings",
    "last_success_issuer": "Issuer of the last success",
    "skew_first_s": "Server clock offset at first",
    "skew_last_s": "Server clock offset at last",
    "skew_growth_s": "Offset grew by",
    "waf": "Block page",
    "proxy_auth": "Proxy asked for credentials",
    "statuses": "Statuses",
    "verdict": "Verdict",
    "finding_counts": "Findings (how many)",
    "hosts": "Hosts",
}
_SECONDS = ("exp_spread_s", "skew_growth_s")
_SIGNED_SECONDS = ("skew_first_s", "skew_last_s")
MAX_TIMELINE_LINES = 200  # a report is read by a person: a huge incident's marks are summarised
MAX_REQUEST_LINES = 500


def _utc(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc_ms(moment: datetime) -> str:
    """A mark on the timeline: a burst happens within a second, so milliseconds."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _seconds(value: float) -> str:
    s = abs(float(value))
    if 0 < s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} ({_plain(v)})" for k, v in value.items())
    return str(value)


def evidence_items(incident: Incident) -> list[tuple[str, str]]:
    """The evidence as (label, value in words), empty values left out, every value masked by shape."""
    out: list[tuple[str, str]] = []
    for key, value in incident.evidence.items():
        if value is None or value == [] or value == {} or value == "" or value == ():
            continue
        if key in _SECONDS and isinstance(value, (int, float)):
            text = _seconds(value)
        elif key in _SIGNED_SECONDS and isinstance(value, (int, float)):
            text = f"{value:+.0f} s"
        elif key == "token_lifetimes_s" and isinstance(value, list):
            text = ", ".join(_seconds(v) for v in value if isinstance(v, (int, float)))
        else:
            text = _plain(value)
        out.append((_LABELS.get(key, key.replace("_", " ")), mask_text(text)))
    return out


def _entry_line(e: IncidentEntry, failed: bool) -> str:
    status = str(e.status) if e.status is not None else "no response"
    what = "refused" if failed else "succeeded"
    findings = f" ({', '.join(e.findings)})" if failed and e.findings else ""
    return f"{_utc_ms(e.at)}  {what}: {status} {e.method} {mask_url(e.url)}  #{e.id}{findings}"


def timeline_lines(incident: Incident, entries: Mapping[int, IncidentEntry] | None = None) -> list[str]:
    """The incident's time axis in words: the change's window, then each failure and success in order (with
    its request when `entries` holds it), at most MAX_TIMELINE_LINES marks."""
    lines: list[str] = []
    if incident.last_success is not None:
        lines.append(f"Last success before it: {_utc(incident.last_success)}.")
        lines.append(
            f"The change happened between {_utc(incident.last_success)} and {_utc(incident.first_failure)} "
            f"({_seconds((incident.first_failure - incident.last_success).total_seconds())})."
        )
    else:
        lines.append("No request to these hosts succeeded before the first failure in the time looked at.")
    lines.append(f"First failure: {_utc(incident.first_failure)}; last failure: {_utc(incident.last_failure)}.")
    lines.append("Still failing: nothing succeeded for these hosts since." if incident.ongoing
                 else "Recovered: a request succeeded after the last failure.")
    marks = sorted(
        [(t, True, i) for t, i in zip(incident.failure_times, incident.entries, strict=False)]
        + [(t, False, i) for t, i in zip(incident.success_times, incident.successes, strict=False)],
        key=lambda m: (m[0], m[2]),
    )
    shown = marks if len(marks) <= MAX_TIMELINE_LINES else marks[: MAX_TIMELINE_LINES // 2] + marks[
        -MAX_TIMELINE_LINES // 2:]
    for n, (when, failed, entry_id) in enumerate(shown):
        if len(marks) > MAX_TIMELINE_LINES and n == MAX_TIMELINE_LINES // 2:
            lines.append(f"… {len(marks) - MAX_TIMELINE_LINES} more marks …")
        e = entries.get(entry_id) if entries is not None else None
        if e is not None:
            lines.append(_entry_line(e, failed))
        else:
            lines.append(f"{_utc_ms(when)}  {'refused' if failed else 'succeeded'}  #{entry_id}")
    return lines


def _blocks(incident: Incident, entries: Mapping[int, IncidentEntry], source: str,
            generated_at: datetime | None) -> list[tuple[object, ...]]:
    meta = [f"Request Inspector {inspector.__version__}"]
    if generated_at is not None:
        meta.append(f"report written {_utc(generated_at)}")
    meta.append(f"read from {source}")
    state = "still failing" if incident.ongoing else "recovered"
    blocks: list[tuple[object, ...]] = [
        ("p", " · ".join(meta)),
        ("h", 2, f"Cause: {CAUSE_TITLES.get(incident.cause, incident.cause)} ({incident.cause})"),
        ("p", incident.title),
        ("kv", [
            ("State", state),
            ("Failed", str(incident.failed)),
            ("Succeeded meanwhile", str(incident.succeeded)),
            ("First failure", _utc(incident.first_failure)),
            ("Last failure", _utc(incident.last_failure)),
            ("Last success before", _utc(incident.last_success) if incident.last_success else "none"),
            ("Hosts", ", ".join(incident.hosts)),
            ("Profiles", ", ".join(incident.profiles) or "none"),
            ("Paths", ", ".join(incident.paths)),
        ]),
        ("h", 2, "Next step"),
        ("p", incident.next_step),
    ]
    evidence = evidence_items(incident)
    if evidence:
        blocks += [("h", 2, "Evidence"), ("list", [f"{label}: {value}" for label, value in evidence])]
    blocks += [("h", 2, "Timeline"), ("list", timeline_lines(incident, entries))]
    rows = [entries[i] for i in incident.entries if i in entries]
    lines = []
    for e in rows[:MAX_REQUEST_LINES]:
        status = str(e.status) if e.status is not None else "---"
        findings = ", ".join(e.findings) or "no finding"
        lines.append(f"#{e.id} {_utc(e.at)} {status} {e.verdict or '-'} {e.method} {mask_url(e.url)} "
                     f"[{findings}]" + (f" profile {e.profile}" if e.profile else ""))
    if len(rows) > MAX_REQUEST_LINES:
        lines.append(f"… and {len(rows) - MAX_REQUEST_LINES} more.")
    missing = len(incident.entries) - len(rows)
    if missing:
        lines.append(f"{missing} of its requests are no longer in {source}.")
    blocks += [("h", 2, f"The {incident.failed} refused requests"), ("list", lines or ["(none at hand)"])]
    blocks.append(("p", "Secrets (tokens, passwords, API keys, cookies) are masked in this report; URLs are "
                        "masked the way history stores them."))
    return blocks


def _parts(incident: Incident, entries: Iterable[IncidentEntry], source: str,
           generated_at: datetime | None) -> tuple[str, list[tuple[object, ...]]]:
    by_id = {e.id: e for e in entries}
    title = f"Incident report: {CAUSE_TITLES.get(incident.cause, incident.cause)}"
    return title, _scrub_blocks(_blocks(incident, by_id, source, generated_at), mask_text)  # type: ignore[arg-type]


def build_incident_report(incident: Incident, entries: Iterable[IncidentEntry] | Sequence[IncidentEntry] = (),
                          *, source: str = "the history", generated_at: datetime | None = None) -> str:
    """The incident's support report as Markdown (secrets masked)."""
    title, blocks = _parts(incident, entries, source, generated_at)
    return _render_markdown(title, blocks, mask_text)  # type: ignore[arg-type]


def incident_report_html(incident: Incident, entries: Iterable[IncidentEntry] = (), *,
                         source: str = "the history", generated_at: datetime | None = None) -> str:
    """The incident's support report as one HTML page (style inline, no external asset; secrets masked)."""
    title, blocks = _parts(incident, entries, source, generated_at)
    return _render_html(title, blocks, mask_text)  # type: ignore[arg-type]
