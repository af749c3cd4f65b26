"""The `token` and `diagnosis` objects of the CLI's --json output (shared/specs/cli.md). Never the raw token."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inspector.core.challenges import Challenge
from inspector.core.diagnosis import Diagnosis
from inspector.core.findings import Finding
from inspector.core.timeline import Timeline
from inspector.core.tokens import TokenInfo


def iso_utc(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix: 2024-05-01T12:00:00Z."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def jsonable(value: object) -> Any:
    """A JSON-serialisable copy: datetimes as ISO UTC, tuples/sets as lists, unknown objects as str."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    return str(value)


def timeline_json(tl: Timeline | None) -> dict[str, Any] | None:
    if tl is None:
        return None
    return {
        "issued_at": iso_utc(tl.issued_at),
        "not_before": iso_utc(tl.not_before),
        "expires_at": iso_utc(tl.expires_at),
        "auth_time": iso_utc(tl.auth_time),
        "sent_at": iso_utc(tl.sent_at),
        "server_date": iso_utc(tl.server_date),
        "clock_skew_s": _seconds(tl.clock_skew_s),
        "remaining_s": _seconds(tl.remaining_s),
        "lifetime_s": _seconds(tl.lifetime_s),
        # additions beyond the contract
        "age_s": _seconds(tl.age_s),
        "leeway_s": _seconds(tl.leeway_s),
        "judged_at": iso_utc(tl.reference_time),
        "by_server_clock": tl.by_server_clock,
    }


def token_json(info: TokenInfo | None, timeline: Timeline | None) -> dict[str, Any] | None:
    """The `token` object: format, header, claims, verified, timeline. None when no token was sent."""
    if info is None:
        return None
    return {
        "format": info.format,
        "header": jsonable(info.header),
        "claims": jsonable(info.claims),
        "verified": bool(info.verified),
        "timeline": timeline_json(timeline) if info.format == "jws" else None,
        "verify_error": info.verify_error,
        "decode_error": info.decode_error,
    }


def challenge_json(ch: Challenge) -> dict[str, Any]:
    return {"scheme": ch.scheme, "token68": ch.token68, "params": dict(ch.params)}


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": f.severity,
        "title": f.title,
        "detail": f.detail,
        "evidence": jsonable(f.evidence),
        "next_step": f.next_step,
    }


def diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    """The `diagnosis` object: verdict, summary, challenges (parsed from raw lines), findings, and extras."""
    return {
        "verdict": d.verdict,
        "summary": d.summary,
        "challenges": [challenge_json(c) for c in d.challenges],
        "proxy_challenges": [challenge_json(c) for c in d.proxy_challenges],
        "findings": [finding_json(f) for f in d.findings],
        "server_error": d.server_error,
        "server_message": d.server_message,
        "missing_evidence": list(d.missing_evidence),
    }
