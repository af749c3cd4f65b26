"""incidents(): each cause from generated histories, the near misses that stay `mixed`, and grouping that
never loses or duplicates an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.incidents import (
    CAUSES,
    IncidentEntry,
    incident_to_json,
    incidents,
    parse_since,
)

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
HOST = "api.example.test:443"


def clock() -> datetime:
    return T0 + timedelta(hours=2)


def entry(
    i: int,
    minute: float,
    *,
    ok: bool = False,
    findings: tuple[str, ...] = (),
    host: str = HOST,
    verdict: str | None = None,
    path: str = "/orders",
    **kw: Any,
) -> IncidentEntry:
    status = 200 if ok else kw.pop("status", 401)
    return IncidentEntry(
        id=i,
        at=T0 + timedelta(minutes=minute),
        method="GET",
        url=f"https://{host.split(':')[0]}{path}",
        host=host,
        status=status,
        verdict="ok" if ok else (verdict or "authentication"),
        findings=findings,
        **kw,
    )


def successes(n: int, start: int = 1000, **kw: Any) -> list[IncidentEntry]:
    return [entry(start + k, k * 0.5, ok=True, **kw) for k in range(n)]


def burst(
    n: int, findings: tuple[str, ...], start: int = 1, at: float = 10.0, **kw: Any
) -> list[IncidentEntry]:
    return [entry(start + k, at + k * 0.25, findings=findings, **kw) for k in range(n)]


def only(found: list[Any]) -> Any:
    assert len(found) == 1, [(i.cause, i.entries) for i in found]
    return found[0]


EXP = T0.timestamp() + 9 * 60


def expired_together() -> list[IncidentEntry]:
    return successes(5, profile="Billing", iss="https://idp", exp=EXP, iat=EXP - 300) + [
        entry(
            k,
            10 + k * 0.2,
            findings=("token-expired", "server-error-code"),
            profile="Billing",
            iss="https://idp",
            exp=EXP + k * 3,
            iat=EXP + k * 3 - 300,
            error_codes=("invalid_token",),
        )
        for k in range(1, 9)
    ]


def expired_apart() -> list[IncidentEntry]:
    return [
        entry(
            k, 10 + k, findings=("token-expired",), profile="Billing", iss="https://idp", exp=EXP - k * 3600
        )
        for k in range(1, 6)
    ]


def rotated() -> list[IncidentEntry]:
    return successes(4, kid="key-2025") + burst(6, ("signature-invalid",), kid="key-2026")


def bad_signature_same_kid() -> list[IncidentEntry]:
    return successes(4, kid="key-2025") + burst(6, ("signature-invalid",), kid="key-2025")


def bad_signature_no_history() -> list[IncidentEntry]:
    return burst(6, ("signature-invalid",), kid="key-2026")


def jwks_lists_other_kids() -> list[IncidentEntry]:
    return burst(3, ("signing-key-unknown",), kid="old", jwks_kids=("new-1", "new-2"))


def scope_removed() -> list[IncidentEntry]:
    return successes(3, profile="Reporting", scopes=("orders:read", "orders:write")) + burst(
        5,
        ("insufficient-scope",),
        profile="Reporting",
        scopes=("orders:read",),
        verdict="authorization",
        status=403,
    )


def scope_same_tokens() -> list[IncidentEntry]:
    return successes(3, profile="Reporting", scopes=("orders:read",)) + burst(
        5,
        ("insufficient-scope",),
        profile="Reporting",
        scopes=("orders:read",),
        verdict="authorization",
        status=403,
    )


def scope_never_worked() -> list[IncidentEntry]:
    return burst(
        5,
        ("authenticated-not-permitted",),
        profile="Reporting",
        scopes=("a",),
        verdict="authorization",
        status=403,
    )


def scope_other_endpoint() -> list[IncidentEntry]:
    return successes(3, profile="Reporting", scopes=("a", "b"), path="/health") + burst(
        5, ("insufficient-scope",), profile="Reporting", scopes=("a",), verdict="authorization", status=403
    )


def audience_changed() -> list[IncidentEntry]:
    return successes(3) + burst(4, ("audience-mismatch",)) + burst(2, ("issuer-mismatch",), start=50, at=12)


def audience_single() -> list[IncidentEntry]:
    return successes(3) + burst(1, ("audience-mismatch",))


def clock_drifting() -> list[IncidentEntry]:
    ok = [entry(1000 + k, k, ok=True, skew_s=-10.0 - k) for k in range(5)]
    return ok + [
        entry(k, 10 + k, findings=("token-not-yet-valid", "clock-skew"), skew_s=-70.0 - 20 * k)
        for k in range(1, 5)
    ]


def clock_steady() -> list[IncidentEntry]:
    ok = [entry(1000 + k, k, ok=True, skew_s=-400.0) for k in range(5)]
    return ok + [entry(k, 10 + k, findings=("token-not-yet-valid",), skew_s=-400.0) for k in range(1, 5)]


def session() -> list[IncidentEntry]:
    return burst(4, ("session-expired",), profile="Portal")


def rate() -> list[IncidentEntry]:
    return burst(7, ("rate-limited",), verdict="not-credential-related", status=429)


def edge() -> list[IncidentEntry]:
    return burst(3, (), verdict="not-credential-related", status=403, waf="server: AkamaiGHost") + burst(
        2,
        ("proxy-auth-required",),
        start=40,
        host="other.test:443",
        verdict="proxy-authentication",
        status=407,
    )


def edge_403_without_waf() -> list[IncidentEntry]:
    return burst(3, (), verdict="not-credential-related", status=403)


def scattered() -> list[IncidentEntry]:
    return [
        entry(1, 1, findings=("token-expired",), exp=EXP),
        entry(2, 2, findings=("audience-mismatch",)),
        entry(3, 3, findings=("no-credentials",)),
        entry(4, 4, findings=("rate-limited",), verdict="not-credential-related", status=429),
    ]


@pytest.mark.parametrize(
    ("history", "cause"),
    [
        (expired_together, "credentials-expired"),
        (rotated, "signing-key-rotated"),
        (jwks_lists_other_kids, "signing-key-rotated"),
        (scope_removed, "scope-removed"),
        (clock_drifting, "clock-drift"),
        (session, "session-expired"),
        (rate, "rate-limited"),
    ],
)
def test_each_cause_from_its_signature(history: Any, cause: str) -> None:
    entries = history()
    found = only(incidents(entries, None, clock))
    assert found.cause == cause
    assert found.failed == sum(1 for e in entries if e.failed)
    assert found.next_step and found.next_step.endswith(".")
    assert found.evidence


def test_audience_and_issuer_change_together_on_one_host() -> None:
    found = only(incidents(audience_changed(), None, clock))
    assert found.cause == "audience-or-issuer-changed"
    assert found.evidence["findings"] == ["audience-mismatch", "issuer-mismatch"]
    assert found.hosts == (HOST,)


def test_edge_block_spans_hosts() -> None:
    found = only(incidents(edge(), None, clock))
    assert found.cause == "edge-block"
    assert found.hosts == (HOST, "other.test:443")


@pytest.mark.parametrize(
    "history",
    [
        expired_apart,
        bad_signature_same_kid,
        bad_signature_no_history,
        scope_same_tokens,
        scope_never_worked,
        scope_other_endpoint,
        audience_single,
        clock_steady,
        edge_403_without_waf,
    ],
)
def test_near_misses_stay_mixed(history: Any) -> None:
    found = incidents(history(), None, clock)
    assert found
    assert {i.cause for i in found} == {"mixed"}


def test_scattered_failures_are_grouped_by_host_and_verdict() -> None:
    found = incidents(scattered(), None, clock)
    assert {i.cause for i in found} == {"mixed"}
    assert sorted((i.evidence["verdict"], i.failed) for i in found) == [
        ("authentication", 3),
        ("not-credential-related", 1),
    ]


def test_expired_evidence_and_window() -> None:
    found = only(incidents(expired_together(), None, clock))
    assert found.profiles == ("Billing",)
    assert found.evidence["issuers"] == ["https://idp"]
    assert found.evidence["token_lifetimes_s"] == [300]
    assert found.evidence["exp_spread_s"] == 21.0
    assert found.last_success == T0 + timedelta(minutes=2)
    assert found.first_failure == T0 + timedelta(minutes=10.2)
    assert found.ongoing is True
    assert "Billing" in found.next_step and "14:10" in found.next_step
    doc = incident_to_json(found)
    assert doc["entries"] == list(range(1, 9))
    assert doc["hosts"] == [HOST] and doc["profiles"] == ["Billing"]
    assert doc["first_failure"] == "2026-11-27T14:10:12Z"


def test_a_later_success_of_the_same_profile_ends_it() -> None:
    later = entry(2000, 30, ok=True, profile="Billing")
    assert only(incidents([*expired_together(), later], None, clock)).ongoing is False


def test_rotation_names_both_kids() -> None:
    found = only(incidents(rotated(), None, clock))
    assert found.evidence["failing_kids"] == ["key-2026"]
    assert found.evidence["last_success_kid"] == "key-2025"
    assert "key-2025" in found.next_step and "key-2026" in found.next_step


def test_scope_removed_names_the_scope() -> None:
    found = only(incidents(scope_removed(), None, clock))
    assert found.evidence["removed_scopes"] == ["orders:write"]
    assert "orders:write" in found.next_step


def test_since_keeps_only_the_window() -> None:
    entries = expired_together()
    found = incidents(entries, T0 + timedelta(minutes=11), clock)
    assert sum(i.failed for i in found) == sum(
        1 for e in entries if e.failed and e.at >= T0 + timedelta(minutes=11)
    )
    assert incidents(entries, timedelta(minutes=1), clock) == []


def test_two_causes_on_one_host_are_two_incidents() -> None:
    found = incidents(
        rotated()
        + burst(5, ("rate-limited",), start=200, at=40, verdict="not-credential-related", status=429),
        None,
        clock,
    )
    assert [i.cause for i in found] == ["rate-limited", "signing-key-rotated"]  # newest first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", clock() - timedelta(hours=1)),
        ("30m", clock() - timedelta(minutes=30)),
        ("2d", clock() - timedelta(days=2)),
        ("2026-11-27T14:00Z", T0),
        ("2026-11-27T15:00:00+01:00", T0),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, clock()) == expected


def test_parse_since_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_since("yesterday-ish", clock())


FINDINGS = st.sampled_from(
    [
        (),
        ("token-expired",),
        ("signature-invalid",),
        ("insufficient-scope",),
        ("audience-mismatch",),
        ("rate-limited",),
        ("clock-skew",),
        ("session-expired",),
        ("proxy-auth-required",),
        ("no-credentials",),
    ]
)


@st.composite
def histories(draw: Any) -> list[IncidentEntry]:
    n = draw(st.integers(0, 40))
    out = []
    for i in range(n):
        ok = draw(st.booleans())
        out.append(
            entry(
                i + 1,
                draw(st.floats(0, 120, allow_nan=False)),
                ok=ok,
                findings=() if ok else draw(FINDINGS),
                host=draw(st.sampled_from([HOST, "b.test:80", "c.test:8443"])),
                profile=draw(st.sampled_from([None, "A", "B"])),
                kid=draw(st.sampled_from([None, "k1", "k2"])),
                iss=draw(st.sampled_from([None, "https://idp"])),
                exp=draw(st.one_of(st.none(), st.floats(EXP - 3600, EXP + 3600, allow_nan=False))),
                scopes=draw(st.one_of(st.none(), st.sampled_from([("a",), ("a", "b")]))),
                skew_s=draw(st.one_of(st.none(), st.floats(-500, 500, allow_nan=False))),
                verdict=draw(st.sampled_from(["authentication", "authorization", "not-credential-related"])),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(histories(), st.one_of(st.none(), st.floats(0, 120, allow_nan=False)))
def test_grouping_never_loses_or_duplicates_an_entry(
    history: list[IncidentEntry], since: float | None
) -> None:
    start = None if since is None else T0 + timedelta(minutes=since)
    found = incidents(history, start, clock)
    grouped = [i for inc in found for i in inc.entries]
    expected = sorted(e.id for e in history if e.failed and (start is None or e.at >= start))
    assert sorted(grouped) == expected
    assert len(grouped) == len(set(grouped))
    assert all(inc.cause in CAUSES and inc.failed == len(inc.entries) for inc in found)
