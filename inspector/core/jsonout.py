"""The `token` and `diagnosis` objects of the CLI's --json output (shared/specs/cli.md). Never the raw token."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inspector.core.challenges import Challenge
from inspector.core.diagnosis import Diagnosis
from inspector.core.diagnosis.findings import Finding
from inspector.core.timeline import Timeline
from inspector.core.tokens import SentCredential, TokenInfo


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


# -- back from JSON: a stored diagnosis (history) shown again in the panel ---------------------------------


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        dt = datetime.fromisoformat(text)  # Python 3.11 reads the Z suffix
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def timeline_from_json(doc: Mapping[str, Any] | None) -> Timeline | None:
    if not isinstance(doc, Mapping):
        return None
    reference = _when(doc.get("judged_at"))
    sent = _when(doc.get("sent_at"))
    now = reference or sent or datetime.now(UTC)
    return Timeline(
        now=now,
        leeway_s=_number(doc.get("leeway_s")) or 60.0,
        issued_at=_when(doc.get("issued_at")),
        not_before=_when(doc.get("not_before")),
        expires_at=_when(doc.get("expires_at")),
        auth_time=_when(doc.get("auth_time")),
        sent_at=sent,
        server_date=_when(doc.get("server_date")),
        clock_skew_s=_number(doc.get("clock_skew_s")),
        remaining_s=_number(doc.get("remaining_s")),
        lifetime_s=_number(doc.get("lifetime_s")),
        age_s=_number(doc.get("age_s")),
        reference_time=reference,
        by_server_clock=bool(doc.get("by_server_clock")),
    )


def diagnosis_from_json(doc: Mapping[str, Any]) -> Diagnosis:
    """A Diagnosis rebuilt from diagnosis_json (plus the "token", "timeline" and "credential" that history
    stores beside it). The raw token is never stored, so the rebuilt TokenInfo has claims but no token string."""

    def challenges(key: str) -> tuple[Challenge, ...]:
        out = []
        for c in doc.get(key) or ():
            if isinstance(c, Mapping) and isinstance(c.get("scheme"), str):
                raw_params = c.get("params")
                params = raw_params if isinstance(raw_params, Mapping) else {}
                out.append(Challenge(c["scheme"], c.get("token68"), {str(k): str(v) for k, v in params.items()}))
        return tuple(out)

    findings = tuple(
        Finding(str(f.get("id", "")), str(f.get("severity", "info")), str(f.get("title", "")),
                str(f.get("detail", "")), dict(f.get("evidence") or {}), str(f.get("next_step") or ""))
        for f in doc.get("findings") or () if isinstance(f, Mapping)
    )
    token_doc = doc.get("token") if isinstance(doc.get("token"), Mapping) else None
    token = None
    if token_doc is not None:
        token = TokenInfo(
            format=str(token_doc.get("format") or "opaque"),
            raw="",
            header=dict(token_doc.get("header") or {}),
            claims=dict(token_doc.get("claims") or {}),
            verified=bool(token_doc.get("verified")),
            verify_error=token_doc.get("verify_error"),
            decode_error=token_doc.get("decode_error"),
        )
    timeline = timeline_from_json(doc.get("timeline") or (token_doc or {}).get("timeline"))
    cred_doc = doc.get("credential") if isinstance(doc.get("credential"), Mapping) else None
    credential = None
    if cred_doc is not None:
        credential = SentCredential(str(cred_doc.get("where") or ""), str(cred_doc.get("name") or ""),
                                    cred_doc.get("scheme"), str(cred_doc.get("value") or ""))
    return Diagnosis(
        verdict=str(doc.get("verdict") or "not-credential-related"),
        summary=str(doc.get("summary") or ""),
        findings=findings,
        challenges=challenges("challenges"),
        proxy_challenges=challenges("proxy_challenges"),
        credential=credential,
        token=token,
        timeline=timeline,
        server_error=doc.get("server_error"),
        server_message=doc.get("server_message"),
        missing_evidence=tuple(str(m) for m in doc.get("missing_evidence") or ()),
    )
