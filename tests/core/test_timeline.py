"""The expiry timeline: server Date vs local clock, skew, Age, and the words for durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inspector.core.timeline import (
    build_timeline,
    describe_expiry,
    describe_not_before,
    describe_relative,
    describe_skew,
    numeric_date,
    parse_http_date,
)

SENT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(SENT.timestamp())


def _tl(claims: dict[str, object], *, date: str | None = None, age: str | None = None, elapsed: float = 0.2,
        leeway: float = 60.0):
    return build_timeline(claims, sent_at=SENT, elapsed_s=elapsed, server_date=date, age_header=age,
                          now=SENT + timedelta(seconds=elapsed), leeway_s=leeway)


def test_server_date_is_the_reference_and_skew_is_measured_from_the_midpoint() -> None:
    tl = _tl({"exp": T0 + 300 - 252, "iat": T0 - 3600}, date="Wed, 01 May 2024 12:05:00 GMT", elapsed=2.0)
    assert tl.by_server_clock and tl.server_date == SENT + timedelta(minutes=5)
    assert tl.clock_skew_s == pytest.approx(299.0)  # Date - (sent + elapsed/2)
    assert tl.remaining_s == pytest.approx(-252.0)
    assert tl.lifetime_s == pytest.approx(3600 + 48)
    assert tl.age_s == pytest.approx(3900.0)
    assert describe_expiry(tl) == "expired 4 min 12 s before the request (by the server's clock)"
    assert describe_skew(tl) == "your clock is 4 min 59 s behind the server's"


def test_without_date_the_local_clock_judges() -> None:
    tl = _tl({"exp": T0 + 600}, elapsed=0.0)
    assert not tl.by_server_clock and tl.server_date is None and tl.clock_skew_s is None
    assert tl.remaining_s == pytest.approx(600.0)
    assert describe_expiry(tl) == "expires 10 min after the request (by your clock)"


def test_age_header_means_the_date_is_ignored() -> None:
    tl = _tl({"exp": T0}, date="Wed, 01 May 2024 11:00:00 GMT", age="3600")
    assert tl.server_date is None and not tl.by_server_clock and tl.clock_skew_s is None
    assert tl.date_note and "cache" in tl.date_note


def test_unreadable_date_is_noted() -> None:
    tl = _tl({}, date="yesterday-ish")
    assert tl.server_date is None and tl.date_note and "cannot be read" in tl.date_note


def test_small_skew_is_noise() -> None:
    tl = _tl({}, date="Wed, 01 May 2024 12:00:01 GMT", elapsed=0.2)
    assert tl.clock_skew_s == pytest.approx(0.9)
    assert tl.skew_is_noise and describe_skew(tl) is None


def test_ahead_of_the_server() -> None:
    tl = _tl({}, date="Wed, 01 May 2024 11:58:00 GMT", elapsed=0.0)
    assert describe_skew(tl) == "your clock is 2 min ahead of the server's"


def test_not_before_and_future_iat() -> None:
    tl = _tl({"nbf": T0 + 180, "iat": T0 + 180}, elapsed=0.0)
    assert tl.not_before_s == pytest.approx(180.0) and tl.issued_in_future_s == pytest.approx(180.0)
    assert describe_not_before(tl) == "becomes valid 3 min after the request (by your clock)"
    assert describe_not_before(_tl({"nbf": T0 - 1})) is None


def test_exp_exactly_at_the_date_second_counts_as_expired() -> None:
    tl = _tl({"exp": T0}, date="Wed, 01 May 2024 12:00:00 GMT")
    assert tl.remaining_s == 0
    assert describe_expiry(tl) == "expired at the moment of the request (by the server's clock)"


@pytest.mark.parametrize(
    ("claims", "field"),
    [({"exp": "soon"}, "expires_at"), ({"exp": True}, "expires_at"), ({"exp": 1e30}, "expires_at"),
     ({"iat": float("nan")}, "issued_at"), ({"nbf": None}, "not_before"), ({"auth_time": [1]}, "auth_time")],
)
def test_bad_numeric_dates_are_ignored(claims: dict[str, object], field: str) -> None:
    assert getattr(_tl(claims), field) is None


def test_numeric_strings_are_read() -> None:
    assert numeric_date("1714564800") == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Wed, 01 May 2024 12:00:00 GMT", SENT), ("Wednesday, 01-May-24 12:00:00 GMT", SENT),
     ("Wed May  1 12:00:00 2024", SENT), ("", None), (None, None), ("garbage", None)],
)
def test_parse_http_date(value: str | None, expected: datetime | None) -> None:
    assert parse_http_date(value) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (0.4, "0 s"), (42, "42 s"), (-42, "42 s"), (60, "1 min"), (252, "4 min 12 s"),
     (3600, "1 h"), (7500, "2 h 5 min"), (86400, "1 d"), (3 * 86400 + 4 * 3600 + 59, "3 d 4 h")],
)
def test_describe_relative(seconds: float, text: str) -> None:
    assert describe_relative(seconds) == text


def test_naive_datetimes_are_taken_as_utc() -> None:
    tl = build_timeline({"exp": T0 + 10}, sent_at=SENT.replace(tzinfo=None), elapsed_s=0, server_date=None,
                        age_header=None, now=SENT.replace(tzinfo=None))
    assert tl.sent_at == SENT and tl.remaining_s == pytest.approx(10.0)
