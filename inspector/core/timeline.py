"""The expiry timeline: iat/nbf/exp/auth_time against the send time, the server's Date, now and the leeway."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The Date header has a resolution of one second and is stamped at some point while the server handles the
# request, so a skew below this is noise, not a wrong clock.
SKEW_NOISE_S = 2.0


@dataclass(frozen=True)
class Timeline:
    now: datetime  # all datetimes UTC-aware
    leeway_s: float = 60.0
    issued_at: datetime | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None
    auth_time: datetime | None = None
    sent_at: datetime | None = None  # local clock
    server_date: datetime | None = None  # the server's Date header (None when absent, unparseable or cached)
    clock_skew_s: float | None = None  # server - local (positive: your clock is behind the server)
    remaining_s: float | None = None  # exp - server time at request (or local when no Date); negative = expired
    lifetime_s: float | None = None  # exp - iat
    age_s: float | None = None  # request time - iat
    # Added by the explainer work:
    reference_time: datetime | None = None  # the instant the token was judged at (server Date, else local)
    by_server_clock: bool = False  # reference_time came from the server's Date header
    date_note: str | None = None  # why the Date header was not used, when it was present
    elapsed_s: float = 0.0

    @property
    def clock_phrase(self) -> str:
        return "by the server's clock" if self.by_server_clock else "by your clock"

    @property
    def skew_is_noise(self) -> bool:
        return self.clock_skew_s is None or abs(self.clock_skew_s) < SKEW_NOISE_S

    @property
    def not_before_s(self) -> float | None:
        """nbf - reference time: positive when the token is not valid yet."""
        if self.not_before is None or self.reference_time is None:
            return None
        return (self.not_before - self.reference_time).total_seconds()

    @property
    def issued_in_future_s(self) -> float | None:
        """iat - reference time: positive when the token claims to be issued after the request."""
        if self.issued_at is None or self.reference_time is None:
            return None
        return (self.issued_at - self.reference_time).total_seconds()

    @property
    def remaining_now_s(self) -> float | None:
        """exp - now (local clock corrected by the skew when known)."""
        if self.expires_at is None:
            return None
        skew = 0.0 if self.skew_is_noise or self.clock_skew_s is None else self.clock_skew_s
        return (self.expires_at - (self.now + timedelta(seconds=skew))).total_seconds()


def numeric_date(value: object) -> datetime | None:
    """A JWT NumericDate (seconds since the epoch, int or float) as a UTC datetime; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7) as a UTC datetime; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    from email.utils import parsedate_to_datetime  # here: the email package is slow to import (start-up)

    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def build_timeline(
    claims: Mapping[str, object],
    *,
    sent_at: datetime | None,
    elapsed_s: float,
    server_date: str | None,
    age_header: str | None,
    now: datetime,
    leeway_s: float = 60.0,
) -> Timeline:
    """Place the token's times against the request, the server's clock and now."""
    now_utc = _utc(now)
    assert now_utc is not None
    sent = _utc(sent_at)
    elapsed = max(float(elapsed_s or 0.0), 0.0)
    date = parse_http_date(server_date)
    note = None
    if server_date and date is None:
        note = f"the Date header '{server_date[:60]}' cannot be read"
    if date is not None and age_header is not None and age_header.strip():
        # A cached response's Date is when the origin made it, not when our request arrived.
        note = f"the response came from a cache (Age: {age_header.strip()[:20]}), so its Date is not the server's time"
        date = None
    midpoint = sent + timedelta(seconds=elapsed / 2) if sent else None
    skew = (date - midpoint).total_seconds() if date and midpoint else None
    if date is not None:
        reference, by_server = date, True
    else:
        reference, by_server = (midpoint or now_utc), False

    iat = numeric_date(claims.get("iat"))
    nbf = numeric_date(claims.get("nbf"))
    exp = numeric_date(claims.get("exp"))
    auth_time = numeric_date(claims.get("auth_time"))
    return Timeline(
        now=now_utc,
        leeway_s=float(leeway_s),
        issued_at=iat,
        not_before=nbf,
        expires_at=exp,
        auth_time=auth_time,
        sent_at=sent,
        server_date=date,
        clock_skew_s=skew,
        remaining_s=(exp - reference).total_seconds() if exp else None,
        lifetime_s=(exp - iat).total_seconds() if exp and iat else None,
        age_s=(reference - iat).total_seconds() if iat else None,
        reference_time=reference,
        by_server_clock=by_server,
        date_note=note,
        elapsed_s=elapsed,
    )


def describe_relative(seconds: float) -> str:
    """A duration in words, sign ignored: '0 s', '42 s', '4 min 12 s', '2 h 5 min', '3 d 4 h'."""
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def describe_expiry(tl: Timeline) -> str | None:
    """'expired 4 min 12 s before the request (by the server's clock)' or 'expires 10 min after ...'."""
    if tl.remaining_s is None:
        return None
    clock = tl.clock_phrase
    if tl.remaining_s <= 0:
        if tl.remaining_s == 0:
            return f"expired at the moment of the request ({clock})"
        return f"expired {describe_relative(tl.remaining_s)} before the request ({clock})"
    return f"expires {describe_relative(tl.remaining_s)} after the request ({clock})"


def describe_not_before(tl: Timeline) -> str | None:
    """'becomes valid 3 min after the request (by your clock)' when nbf is in the future."""
    ahead = tl.not_before_s
    if ahead is None or ahead <= 0:
        return None
    return f"becomes valid {describe_relative(ahead)} after the request ({tl.clock_phrase})"


def describe_skew(tl: Timeline) -> str | None:
    """'your clock is 5 min 3 s behind the server's' / 'ahead of'; None when unknown or within noise."""
    if tl.clock_skew_s is None or tl.skew_is_noise:
        return None
    side = "behind" if tl.clock_skew_s > 0 else "ahead of"
    return f"your clock is {describe_relative(tl.clock_skew_s)} {side} the server's"


def format_utc(dt: datetime | None) -> str | None:
    """'2024-05-01 12:00:00 UTC' for display."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if dt else None
