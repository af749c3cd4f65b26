"""The token against the clocks: token-expired, token-near-expiry, token-not-yet-valid, clock-skew."""

from __future__ import annotations

from collections.abc import Sequence

from inspector.core.diagnosis.facts import Facts, iso
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.timeline import (
    Timeline,
    describe_expiry,
    describe_not_before,
    describe_relative,
    format_utc,
)

CLOCK_SKEW_WARNING_S = 60.0
CLOCK_SKEW_ERROR_S = 300.0


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    tl = facts.timeline
    out = time_findings(tl, alone=False) if facts.readable_token is not None and tl is not None else []
    if tl is not None and tl.clock_skew_s is not None and abs(tl.clock_skew_s) > CLOCK_SKEW_WARNING_S:
        skew = tl.clock_skew_s
        out.append(
            make_finding(
                "clock-skew",
                severity="error" if abs(skew) > CLOCK_SKEW_ERROR_S else "warning",
                evidence={
                    "clock_skew_s": round(skew, 1),
                    "server_date": iso(tl.server_date),
                    "sent_at": iso(tl.sent_at),
                },
                amount=describe_relative(skew),
                side="behind" if skew > 0 else "ahead of",
            )
        )
    return out


def time_findings(tl: Timeline, *, alone: bool) -> list[Finding]:
    """exp, nbf and iat against the reference time. `alone`: judged now, not at a request."""
    out: list[Finding] = []
    base = {
        "expires_at": iso(tl.expires_at),
        "reference_time": iso(tl.reference_time),
        "by_server_clock": tl.by_server_clock,
    }
    if tl.remaining_s is not None:
        phrase = describe_expiry(tl) or ""
        if alone:
            phrase = phrase.replace("before the request", "ago").replace("after the request", "from now")
        if tl.remaining_s <= 0:
            out.append(
                make_finding(
                    "token-expired",
                    evidence={**base, "remaining_s": round(tl.remaining_s, 3)},
                    phrase=phrase,
                    expires_at=format_utc(tl.expires_at),
                )
            )
        elif not alone and tl.remaining_s <= max(tl.elapsed_s, 60.0):
            out.append(
                make_finding(
                    "token-near-expiry",
                    evidence={**base, "remaining_s": round(tl.remaining_s, 3)},
                    phrase=phrase,
                )
            )
    ahead = tl.not_before_s
    future_iat = tl.issued_in_future_s
    if ahead is not None and ahead > 0:
        phrase = "it " + (describe_not_before(tl) or "")
        if alone:
            phrase = phrase.replace("after the request", "from now")
        out.append(
            make_finding(
                "token-not-yet-valid",
                evidence={
                    "not_before": iso(tl.not_before),
                    "reference_time": iso(tl.reference_time),
                    "by_server_clock": tl.by_server_clock,
                    "seconds_early": round(ahead, 3),
                },
                phrase=phrase[:1].upper() + phrase[1:],
            )
        )
    elif future_iat is not None and future_iat > tl.leeway_s:
        after = "in the future" if alone else "after the request"
        phrase = (
            f"It was issued {describe_relative(future_iat)} {after} ({tl.clock_phrase}), "
            f"beyond the {describe_relative(tl.leeway_s)} leeway"
        )
        out.append(
            make_finding(
                "token-not-yet-valid",
                evidence={
                    "issued_at": iso(tl.issued_at),
                    "reference_time": iso(tl.reference_time),
                    "by_server_clock": tl.by_server_clock,
                    "seconds_early": round(future_iat, 3),
                    "leeway_s": tl.leeway_s,
                },
                phrase=phrase,
            )
        )
    return out
